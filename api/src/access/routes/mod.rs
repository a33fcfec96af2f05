//! Handlers of sign-in, the caller's own account and security, people, API
//! keys and the audit log.
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod me;
pub mod security;
pub mod users;
