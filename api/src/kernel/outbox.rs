//! Mail is queued in the `outbox` table inside the transaction that causes it,
//! so a rolled-back change sends nothing and a committed one is never lost.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::OnConflict, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use entity::outbox;

pub struct NewMail {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// At most one message with this key is ever queued (e.g. `reminder:24h:<id>`).
    pub dedupe_key: Option<String>,
}

/// Queues a message. Returns false when a message with the same dedupe key exists.
pub async fn enqueue(db: &impl ConnectionTrait, mail: NewMail) -> Result<bool, sea_orm::DbErr> {
    let now = Utc::now();
    let row = outbox::ActiveModel {
        id: Set(Uuid::now_v7()),
        dedupe_key: Set(mail.dedupe_key),
        to_addr: Set(mail.to),
        subject: Set(mail.subject),
        body_text: Set(mail.body),
        created_at: Set(now),
        next_attempt_at: Set(now),
        attempts: Set(0),
        locked_until: Set(None),
        sent_at: Set(None),
        last_error: Set(None),
    };
    let res = outbox::Entity::insert(row)
        .on_conflict(
            OnConflict::column(outbox::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(res > 0)
}

/// How long a claimed message stays reserved for the instance that claimed it.
/// How long a claimed message is this instance's to send, by default
/// (`FIELDNOTES_OUTBOX_LEASE_SECS`); after that another instance may.
pub const LEASE: Duration = Duration::seconds(120);
pub const MAX_ATTEMPTS: i32 = 12;

/// Claims up to `limit` due messages for this instance. The claim is a
/// conditional UPDATE per row (a lease), which works the same on SQLite and on
/// PostgreSQL with several instances: only one UPDATE can win a given row.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
    lease: Duration,
) -> Result<Vec<outbox::Model>, sea_orm::DbErr> {
    let candidates = outbox::Entity::find()
        .filter(outbox::Column::SentAt.is_null())
        .filter(outbox::Column::Attempts.lt(MAX_ATTEMPTS))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .filter(
            outbox::Column::LockedUntil
                .is_null()
                .or(outbox::Column::LockedUntil.lt(now)),
        )
        .order_by_asc(outbox::Column::NextAttemptAt)
        .limit(limit)
        .all(db)
        .await?;
    let mut claimed = Vec::new();
    for msg in candidates {
        let res = outbox::Entity::update_many()
            .col_expr(
                outbox::Column::LockedUntil,
                sea_orm::sea_query::Expr::value(now + lease),
            )
            .filter(outbox::Column::Id.eq(msg.id))
            .filter(outbox::Column::SentAt.is_null())
            .filter(
                outbox::Column::LockedUntil
                    .is_null()
                    .or(outbox::Column::LockedUntil.lt(now)),
            )
            .exec(db)
            .await?;
        if res.rows_affected == 1 {
            claimed.push(msg);
        }
    }
    Ok(claimed)
}

pub async fn mark_sent(db: &impl ConnectionTrait, id: Uuid) -> Result<(), sea_orm::DbErr> {
    let now = Utc::now();
    outbox::ActiveModel {
        id: Set(id),
        sent_at: Set(Some(now)),
        locked_until: Set(None),
        last_error: Set(None),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Records a failed attempt and schedules the next with exponential backoff
/// (5 s, 10 s, 20 s … capped at one hour).
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    msg: &outbox::Model,
    error: &str,
) -> Result<(), sea_orm::DbErr> {
    let attempts = msg.attempts + 1;
    let backoff = Duration::seconds((5i64 << attempts.clamp(0, 10)).min(3600));
    outbox::ActiveModel {
        id: Set(msg.id),
        attempts: Set(attempts),
        next_attempt_at: Set(Utc::now() + backoff),
        locked_until: Set(None),
        last_error: Set(Some(error.chars().take(500).collect())),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}
