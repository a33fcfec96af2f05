//! Shared pieces of the `bench` and `crashtest` binaries: finding, starting
//! and stopping the `fieldnotes` server on a fresh database, a small API
//! client, generated note text, and reading the machine and a process's memory
//! from `/proc`.
pub mod client;
pub mod cluster;
pub mod server;
pub mod sys;
pub mod text;

use std::time::Duration;

/// Milliseconds with three decimals, for reports.
pub fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Microseconds recorded in a histogram as milliseconds with three decimals.
pub fn us_to_ms(us: u64) -> f64 {
    us as f64 / 1e3
}

/// Rounds to `places` decimals, so the JSON report stays readable.
pub fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}
