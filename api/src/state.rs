use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::{auth::tokens::JwtKeys, config::Settings};

/// What every handler can reach. Holds no state that matters for correctness
/// across instances: everything durable is in the database.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub jwt: Arc<JwtKeys>,
    /// Wakes this instance's outbox worker early; only a latency hint; the
    /// worker also polls, so mail queued by another instance is sent too.
    pub outbox_wake: Arc<Notify>,
}
