//! The `tsdbd` and `logd` daemons: `tsdbd` stands in for Prometheus (scraping, remote write,
//! the HTTP API Grafana queries); `logd` arrives with its issue.
#![forbid(unsafe_code)]

pub mod api;
pub mod backfill;
pub mod config;
pub mod remote_queue;
pub mod remote_write;
pub mod scrape;
pub mod tsdbd;
pub mod web;
