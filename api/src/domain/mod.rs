//! Rules with no web or database imports.
pub mod field;
pub mod hours;
pub mod instruments;
pub mod interview;
pub mod mail;
pub mod methods;
pub mod participant;
pub mod passage;
pub mod pseudonym;
pub mod readiness;
pub mod schedule;
pub mod tz;
