use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::{auth::tokens::JwtKeys, config::Settings};

/// What every handler can reach. Holds no state that matters for correctness
/// across instances: everything durable is in the database.
#[derive(Clone)]
pub struct AppState {
    /// Every write, and reads that must see the writer's own transaction.
    pub db: DatabaseConnection,
    /// Plain reads (sign-in checks, lookups, lists). The same pool as `db`
    /// on PostgreSQL; read-only connections beside the writer on SQLite.
    pub read: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub jwt: Arc<JwtKeys>,
    /// Wakes this instance's outbox worker early; only a latency hint; the
    /// worker also polls, so mail queued by another instance is sent too.
    pub outbox_wake: Arc<Notify>,
    /// Ids of sites known to exist (sites are never deleted).
    pub known_sites: KnownSites,
    /// SQLite only: the group-commit writer of field notes and of audit
    /// entries that belong to no other write (see `audit::log`).
    pub notes_writer: Option<crate::services::note_writer::NotesWriter>,
}

/// A set that only grows, of ids of rows that are never deleted: caching
/// their existence is always right, on every instance.
#[derive(Clone, Default)]
pub struct KnownSites(Arc<std::sync::RwLock<std::collections::HashSet<uuid::Uuid>>>);

impl KnownSites {
    pub fn contains(&self, id: &uuid::Uuid) -> bool {
        self.0.read().map(|s| s.contains(id)).unwrap_or(false)
    }
    pub fn extend(&self, ids: impl IntoIterator<Item = uuid::Uuid>) {
        if let Ok(mut s) = self.0.write() {
            s.extend(ids);
        }
    }
}
