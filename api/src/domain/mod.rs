//! Rules with no web or database imports.
pub mod hours;
pub mod instruments;
pub mod interview;
pub mod participant;
pub mod pseudonym;
pub mod readiness;
pub mod schedule;
