//! The change feed: what changed, in the order it became visible, read
//! from the audit log (`GET /changes`).
//!
//! Writers put their audit entries in with a change type and no feed
//! number, inside their own transactions. The sequencer ([`sequence`])
//! numbers the entries that have committed, one pass at a time across every
//! instance (a transaction-scoped advisory lock on PostgreSQL; SQLite has
//! one writer). A pass numbers only what it can see, and every later pass
//! numbers above it, so a reader that follows the numbers never skips an
//! entry whose transaction committed late: the entry gets a number when it
//! commits, not when it was written.
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::kernel::{
    access::Principal,
    error::{ApiError, ApiResult},
    field::FieldProblem,
};

/// How many entries one sequencer pass numbers at most.
const PASS: u64 = 2000;

/// The advisory lock key that keeps sequencer passes one at a time on
/// PostgreSQL ("fn-feed").
const LOCK_KEY: i64 = 0x0066_6e2d_6665_6564;

/// Numbers the committed changes that have no feed number yet, oldest
/// first, above every number given before. Returns how many it numbered.
/// Safe to call from every instance at once.
pub async fn sequence(db: &DatabaseConnection) -> Result<u64, sea_orm::DbErr> {
    let mut total = 0;
    loop {
        let txn = db.begin().await?;
        if db.get_database_backend() == DbBackend::Postgres {
            // Waits for a pass another instance is making: after it, this
            // statement's snapshot sees that pass's numbers.
            txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({LOCK_KEY})"))
                .await?;
        }
        // One statement: the highest number so far and the pending entries
        // are read, and the entries numbered, in the same snapshot.
        let n = txn
            .execute_unprepared(&format!(
                "UPDATE audit_log SET feed_seq = pending.base + pending.rn \
                 FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn, \
                              (SELECT COALESCE(MAX(feed_seq), 0) FROM audit_log) AS base \
                       FROM audit_log \
                       WHERE change_type IS NOT NULL AND feed_seq IS NULL \
                       ORDER BY id LIMIT {PASS}) AS pending \
                 WHERE audit_log.id = pending.id"
            ))
            .await?
            .rows_affected();
        txn.commit().await?;
        total += n;
        if n < PASS {
            return Ok(total);
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The `cursor` of the last change you have seen (or the page's
    /// `next_cursor`). Without it the feed starts at the beginning.
    #[param(max_length = 20, pattern = "^[0-9]{1,19}$")]
    pub after: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// One change. It names the object, never its content: read the object
/// with your own rights to see it (a deleted note answers 404).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeOut {
    /// This change's place in the feed. Opaque: pass it back as `after`.
    #[schema(pattern = "^[0-9]{1,19}$")]
    pub cursor: String,
    #[serde(rename = "type")]
    #[schema(value_type = crate::kernel::audit::ChangeType)]
    pub kind: String,
    /// e.g. `note`, `interview`, `participant`, `consent`, `screening`,
    /// `transcript`, `coding`. Sessions are changes of their interview.
    pub object_type: String,
    pub object_id: String,
    /// The site the object belongs to.
    pub site_id: Option<Uuid>,
    /// When the change was made.
    pub at: DateTime<Utc>,
}

/// A page of the change feed, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    pub items: Vec<ChangeOut>,
    /// Pass as `after` for what comes next: the last item's cursor, or the
    /// `after` you gave when nothing new has happened (absent only when the
    /// feed is empty). Keep it: a cursor stays valid.
    #[schema(pattern = "^[0-9]{1,19}$")]
    pub next_cursor: Option<String>,
    /// More changes are waiting now; otherwise poll again later.
    pub has_more: bool,
}

fn after_of(q: &ChangesQuery) -> ApiResult<i64> {
    match &q.after {
        None => Ok(0),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0 && s.chars().all(|c| c.is_ascii_digit()))
            .ok_or_else(|| ApiError::field("/after", FieldProblem::Cursor)),
    }
}

/// The changes after `q.after` on the caller's sites, oldest first. Numbers
/// what has committed first, so a caller sees its own writes.
pub async fn list(
    db: &DatabaseConnection,
    read: &DatabaseConnection,
    p: &Principal,
    q: &ChangesQuery,
) -> ApiResult<ChangePage> {
    let after = after_of(q)?;
    let limit = crate::kernel::ctx::limit(q.limit)?;
    sequence(db).await?;
    use entity::audit_log::{Column, Entity};
    let mut sel = Entity::find()
        .filter(Column::FeedSeq.gt(after))
        .order_by_asc(Column::FeedSeq)
        .limit(limit + 1);
    if let Some(sites) = p.visible_sites() {
        sel = sel.filter(Column::SiteId.is_in(sites.to_vec()));
    }
    let mut rows = sel.all(read).await?;
    let has_more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let items: Vec<ChangeOut> = rows
        .into_iter()
        .filter_map(|r| {
            Some(ChangeOut {
                cursor: r.feed_seq?.to_string(),
                kind: r.change_type?,
                object_type: r.object_type,
                object_id: r.object_id?,
                site_id: r.site_id,
                at: r.at,
            })
        })
        .collect();
    let next_cursor = items
        .last()
        .map(|c| c.cursor.clone())
        .or_else(|| q.after.clone());
    Ok(ChangePage {
        items,
        next_cursor,
        has_more,
    })
}

/// The highest feed number given so far (0 when none).
pub async fn last(db: &impl ConnectionTrait) -> Result<i64, sea_orm::DbErr> {
    use entity::audit_log::{Column, Entity};
    Ok(Entity::find()
        .select_only()
        .column_as(Column::FeedSeq.max(), "last")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten()
        .unwrap_or(0))
}
