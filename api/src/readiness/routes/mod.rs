//! Handlers of instruments, screenings and the readiness verdict.
pub mod instruments;
pub mod readiness;
pub mod screenings;
