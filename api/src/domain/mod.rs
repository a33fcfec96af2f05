//! Rules with no web or database imports.
pub mod hours;
pub mod instruments;
pub mod readiness;
pub mod schedule;
