//! The tsdbd server: flags, shared state, self-metrics, HTTP routes and the main loop that ties
//! storage, scraping, remote write and the query API together.

pub mod flags;
pub mod metrics;
pub mod routes;
mod run;
pub mod state;

pub use flags::ServerFlags;
pub use metrics::Metrics;
pub use run::run;
pub use state::{LoadedConfig, TsdbState};
