//! What every feature stands on: errors and field errors, the caller and
//! the permission table (`access`), a request's context and its one
//! transaction (`ctx`), the audit log, the mail outbox, settings, the
//! site-scoped loader, the write queue, and the small shared rules (names
//! of stored lists, time zones, opening hours, languages, mail texts).
//! The kernel imports no feature.
pub mod access;
pub mod audit;
pub mod config;
pub mod ctx;
pub mod error;
pub mod field;
pub mod hours;
pub mod lang;
pub mod mail;
pub mod meters;
pub mod names;
pub mod outbox;
pub mod precondition;
pub mod scoped;
pub mod settings;
pub mod team;
pub mod tz;
pub mod wire;
pub mod writer;
pub mod xml;
