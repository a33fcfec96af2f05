//! The HTTP surface shared by every feature: the route table, the caller
//! (bearer token, language, address), extractors, metrics, the web client's
//! files and the health checks.
pub mod assets;
pub mod caller;
pub mod conditional;
pub mod extract;
pub mod health;
pub mod metrics;
pub mod routes;
