//! Integration tests: the real server on port 0, over HTTP, against a fresh
//! SQLite database and (when `FIELDNOTES_TEST_POSTGRES_URL` is set) a fresh
//! PostgreSQL database per test.
mod helpers;
mod interviews;
mod lifecycle;
mod longitudinal;
mod operations;

mod analysis;
mod auth;
mod backup;
mod basics;
mod calendar;
mod contract;
mod email;
mod feed;
mod notes;
mod nul;
mod participants;
mod permissions;
mod readiness;
mod record;
mod scopes;
mod scoping;
mod security;
mod throttle;
mod trust;
mod webhooks;
