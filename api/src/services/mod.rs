//! Database work over `&impl ConnectionTrait`, so callers choose the
//! transaction. Multi-row writes always run in one transaction.
pub mod audit;
pub mod auth;
pub mod interviews;
pub mod note_writer;
pub mod notes;
pub mod outbox;
pub mod readiness;
pub mod search;
pub mod settings;
pub mod sites;
pub mod users;
