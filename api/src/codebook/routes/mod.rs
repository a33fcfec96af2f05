//! Handlers of codes and codings.
pub mod codes;
pub mod codings;
