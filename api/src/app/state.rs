use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::{
    access::auth::Sessions,
    kernel::config::Settings,
    kernel::{
        access::{tokens::JwtKeys, Principal, RequestMeta},
        audit::Actor,
        ctx::Ctx,
        writer::Writer,
    },
};

pub use crate::sites::KnownSites;

/// What every handler can reach. Holds no state that matters for correctness
/// across instances: everything durable is in the database.
#[derive(Clone)]
pub struct AppState {
    /// The write connection (the same as `writer.db`), for tests and tools.
    pub db: DatabaseConnection,
    /// Plain reads (sign-in checks, lookups, lists). The same pool as `db`
    /// on PostgreSQL; read-only connections beside the writer on SQLite.
    pub read: DatabaseConnection,
    /// Where writes go, with the group-commit writer of notes and stand-alone
    /// audit entries (on both databases).
    pub writer: Writer,
    pub settings: Arc<Settings>,
    pub jwt: Arc<JwtKeys>,
    /// Wakes this instance's outbox worker early; only a latency hint; the
    /// worker also polls, so mail queued by another instance is sent too.
    pub outbox_wake: Arc<Notify>,
    /// Ids of sites known to exist (sites are never deleted).
    pub known_sites: KnownSites,
    /// Exports running at once on this instance.
    pub exports: crate::analysis::exports::ExportSlots,
}

impl AppState {
    /// The context a service acts in for this caller.
    pub fn cx<'a>(&'a self, p: &'a Principal, meta: &RequestMeta) -> Ctx<'a> {
        Ctx {
            writer: &self.writer,
            read: &self.read,
            p,
            actor: Actor::new(p, meta),
            lang: meta.lang,
            public_url: &self.settings.public_url,
            outbox_wake: &self.outbox_wake,
            at: None,
        }
    }

    /// What signing in and refreshing need.
    pub fn sessions(&self) -> Sessions<'_> {
        Sessions {
            db: &self.db,
            jwt: &self.jwt,
            settings: &self.settings,
        }
    }
}
