//! Persisted blocks in Prometheus's layout: `<ULID>/meta.json`, `index`, `chunks/`, `tombstones`.

pub(crate) mod meta;
pub(crate) mod reader;
pub(crate) mod tombstones;
pub(crate) mod writer;
