//! The log store's write-ahead log: record encodings (`record`) on top of the segmented,
//! checksummed log of the `storage-io` crate.

pub(crate) mod record;
