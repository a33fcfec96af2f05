//! sea-orm entities, one module per table. No business logic lives here;
//! rules are in `api/src/domain`, database work in `api/src/services`.
pub mod api_key;
pub mod audit_log;
pub mod auth_session;
pub mod consent;
pub mod instrument;
pub mod login_attempt;
pub mod outbox;
pub mod participant;
pub mod refresh_token;
pub mod screening;
pub mod setting;
pub mod site;
pub mod user;
pub mod user_site;
pub mod user_token;
