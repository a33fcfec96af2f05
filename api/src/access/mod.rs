//! Who may come in: sign-in and tokens, passwords, second factors, people
//! and their sites, API keys, and the throttle on guessing.
pub mod api_keys;
pub mod auth;
pub mod mfa;
pub mod password;
pub mod routes;
pub mod throttle;
pub mod users;
