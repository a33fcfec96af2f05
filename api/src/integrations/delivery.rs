//! Webhook deliveries: the webhook outbox.
//!
//! Each webhook follows the change feed with its own cursor: its changes
//! are queued as deliveries a window at a time ([`queue`]), the cursor
//! moving in the same transaction, so every committed change is queued
//! exactly once, no write ever waits for a receiver, and a slow receiver
//! leaves its backlog in the feed rather than in new rows. Every instance sends: a delivery is
//! claimed with a lease (a conditional UPDATE that one instance wins), sent
//! with the Standard Webhooks headers and signature, and marked delivered
//! on a 2xx. Anything else is retried with backoff (the first retry after
//! 5 s) under the same `webhook-id` and body, across restarts and
//! instances, until the webhook has failed for a day
//! (`FIELDNOTES_WEBHOOKS_GIVE_UP_SECS`): then it is turned off and the
//! admin who made it is mailed.
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::{target, webhooks::give_up_pending};
use crate::kernel::{
    audit::{self, Actor, Entry},
    config::Settings,
    lang::Lang,
    outbox::{self, NewMail},
};

/// A delivery attempt ends after this long.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Deliveries one instance sends at once.
pub const IN_FLIGHT: usize = 16;
/// Seconds before the next attempt, by how many have failed (the last
/// repeats until the webhook is turned off).
const BACKOFF: [i64; 8] = [5, 30, 120, 600, 1800, 3600, 7200, 14400];

/// A delivery's `webhook-id`: the same on every attempt.
pub fn message_id(id: Uuid) -> String {
    format!("msg_{}", id.simple())
}

/// A new delivery of `kind` about `data` to `webhook_id`, due now. Its body
/// is fixed here: `{type, timestamp, data}`.
pub fn row(
    webhook_id: Uuid,
    kind: &str,
    at: DateTime<Utc>,
    data: &serde_json::Value,
) -> entity::webhook_delivery::ActiveModel {
    let payload = serde_json::json!({
        "type": kind,
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "data": data,
    });
    let now = Utc::now();
    entity::webhook_delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        webhook_id: Set(webhook_id),
        event_type: Set(kind.to_string()),
        payload: Set(payload.to_string()),
        created_at: Set(now),
        next_attempt_at: Set(now),
        attempts: Set(0),
        locked_until: Set(None),
        delivered_at: Set(None),
        gave_up_at: Set(None),
        last_status: Set(None),
        last_error: Set(None),
    }
}

/// Deliveries one webhook may have waiting at once: more are queued from
/// the feed as these go out, so a slow receiver costs the writers nothing
/// (the feed holds the rest).
pub const WINDOW: u64 = 64;

/// Queues the webhook's next changes from the feed (after its cursor, of
/// its events) as deliveries, up to [`WINDOW`] waiting, and moves its
/// cursor past them in the same transaction. Instances race for a window
/// with a conditional update of the cursor: one wins, so each change is
/// queued once. Returns how many it queued.
pub async fn queue(
    db: &DatabaseConnection,
    hook: &entity::webhook::Model,
) -> Result<usize, sea_orm::DbErr> {
    use entity::{audit_log as a, webhook as w, webhook_delivery as wd};
    let waiting = wd::Entity::find()
        .filter(wd::Column::WebhookId.eq(hook.id))
        .filter(wd::Column::DeliveredAt.is_null())
        .filter(wd::Column::GaveUpAt.is_null())
        .count(db)
        .await?;
    let room = WINDOW.saturating_sub(waiting) as usize;
    if room == 0 {
        return Ok(0);
    }
    let events: Vec<String> = serde_json::from_value(hook.events.clone()).unwrap_or_default();
    let scanned = a::Entity::find()
        .filter(a::Column::FeedSeq.gt(hook.feed_cursor))
        .order_by_asc(a::Column::FeedSeq)
        // enough to fill the room when most changes are of its events,
        // and to move on steadily when few are
        .limit((room as u64 * 8).clamp(64, 1000))
        .all(db)
        .await?;
    let Some(last) = scanned.last().and_then(|r| r.feed_seq) else {
        return Ok(0);
    };
    let mut cursor = last;
    let mut rows = Vec::new();
    for r in &scanned {
        let (Some(seq), Some(kind)) = (r.feed_seq, r.change_type.as_deref()) else {
            continue;
        };
        if !events.iter().any(|e| e == kind) {
            continue;
        }
        if rows.len() == room {
            // the window is full: the rest waits for the next pass
            cursor = seq - 1;
            break;
        }
        let data = serde_json::json!({
            "object_type": r.object_type,
            "object_id": r.object_id,
            "site_id": r.site_id,
        });
        rows.push(row(hook.id, kind, r.at, &data));
    }
    let txn = db.begin().await?;
    let won = w::Entity::update_many()
        .col_expr(
            w::Column::FeedCursor,
            sea_orm::sea_query::Expr::value(cursor),
        )
        .filter(w::Column::Id.eq(hook.id))
        .filter(w::Column::Active.eq(true))
        .filter(w::Column::FeedCursor.eq(hook.feed_cursor))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if !won {
        return Ok(0); // another instance queued this window (rolled back)
    }
    let n = rows.len();
    if !rows.is_empty() {
        wd::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(n)
}

/// The client every delivery goes through: no redirects, no proxies, a
/// 10 s limit, and the address guard on every connection.
pub fn client(allow_private: bool) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .user_agent(concat!("Fieldnotes-Webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(target::GuardedResolver { allow_private }))
        .build()?)
}

/// Claims up to `limit` due deliveries for this instance for `lease`.
async fn claim(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    limit: u64,
    lease: Duration,
) -> Result<Vec<entity::webhook_delivery::Model>, sea_orm::DbErr> {
    use entity::webhook_delivery::{Column, Entity};
    let free = || {
        Column::LockedUntil
            .is_null()
            .or(Column::LockedUntil.lt(now))
    };
    // As the database keeps it (microseconds), so `record` can compare it.
    let until = chrono::SubsecRound::trunc_subsecs(now + lease, 6);
    let candidates = Entity::find()
        .filter(Column::DeliveredAt.is_null())
        .filter(Column::GaveUpAt.is_null())
        .filter(Column::NextAttemptAt.lte(now))
        .filter(free())
        .order_by_asc(Column::NextAttemptAt)
        .limit(limit)
        .all(db)
        .await?;
    let mut claimed = Vec::new();
    for d in candidates {
        let won = Entity::update_many()
            .col_expr(Column::LockedUntil, sea_orm::sea_query::Expr::value(until))
            .filter(Column::Id.eq(d.id))
            .filter(Column::DeliveredAt.is_null())
            .filter(Column::GaveUpAt.is_null())
            .filter(free())
            .exec(db)
            .await?
            .rows_affected
            == 1;
        if won {
            // its lease: what `record` checks it still holds
            let mut d = d;
            d.locked_until = Some(until);
            claimed.push(d);
        }
    }
    Ok(claimed)
}

/// What one attempt came to.
enum Outcome {
    Delivered(i32),
    Failed(Option<i32>, String),
    /// The webhook is off (or gone): not sent.
    Skipped,
}

async fn attempt(
    client: &reqwest::Client,
    hook: &entity::webhook::Model,
    d: &entity::webhook_delivery::Model,
    allow_private: bool,
) -> Outcome {
    let url = match target::parse(&hook.url, allow_private) {
        Ok(u) => u,
        Err(r) => return Outcome::Failed(None, r.english().into()),
    };
    if let Err(r) = target::check(&url, allow_private).await {
        return Outcome::Failed(None, r.english().into());
    }
    let signer = match standardwebhooks::Webhook::new(&hook.secret) {
        Ok(s) => s,
        Err(_) => return Outcome::Failed(None, "the webhook's secret is not valid".into()),
    };
    let msg_id = message_id(d.id);
    let ts = Utc::now().timestamp();
    let signature = match signer.sign(&msg_id, ts, d.payload.as_bytes()) {
        Ok(s) => s,
        Err(_) => return Outcome::Failed(None, "the body could not be signed".into()),
    };
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(standardwebhooks::HEADER_WEBHOOK_ID, &msg_id)
        .header(standardwebhooks::HEADER_WEBHOOK_TIMESTAMP, ts.to_string())
        .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
        .body(d.payload.clone())
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => Outcome::Delivered(i32::from(r.status().as_u16())),
        Ok(r) => {
            let status = r.status();
            let how = if status.is_redirection() {
                "redirects are not followed"
            } else {
                "not a 2xx answer"
            };
            Outcome::Failed(
                Some(i32::from(status.as_u16())),
                format!("the receiver answered {status}: {how}"),
            )
        }
        // Without the URL: a receiver's URL may hold a token in its query.
        Err(e) => Outcome::Failed(None, describe(&e.without_url())),
    }
}

fn describe(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut s = if e.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s.chars().take(500).collect()
}

/// Records what an attempt came to, if this instance still holds the
/// delivery's lease (an attempt that outlived it leaves the row to the
/// instance that claimed it since). After the give-up time of failures it
/// turns the webhook off (once, whichever instance sees it first) and mails
/// its creator. The webhook is read afresh inside the transaction: an admin
/// may have turned it off or on meanwhile.
async fn record(
    db: &DatabaseConnection,
    settings: &Settings,
    d: &entity::webhook_delivery::Model,
    outcome: Outcome,
) -> Result<(), sea_orm::DbErr> {
    use entity::{webhook as w, webhook_delivery as wd};
    use sea_orm::sea_query::Expr;
    let now = Utc::now();
    let txn = db.begin().await?;
    let Some(hook) = w::Entity::find_by_id(d.webhook_id).one(&txn).await? else {
        return Ok(()); // deleted with its deliveries
    };
    let mine = wd::Entity::update_many()
        .col_expr(
            wd::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(wd::Column::Id.eq(d.id))
        .filter(wd::Column::LockedUntil.eq(d.locked_until))
        .filter(wd::Column::DeliveredAt.is_null())
        .filter(wd::Column::GaveUpAt.is_null());
    let gave_up = |mine: sea_orm::UpdateMany<wd::Entity>| {
        mine.col_expr(wd::Column::GaveUpAt, Expr::value(now))
    };
    let held = match outcome {
        // The webhook was off: not sent.
        Outcome::Skipped => gave_up(mine).exec(&txn).await?.rows_affected == 1,
        Outcome::Delivered(status) => {
            let held = mine
                .col_expr(wd::Column::Attempts, Expr::value(d.attempts + 1))
                .col_expr(wd::Column::DeliveredAt, Expr::value(now))
                .col_expr(wd::Column::LastStatus, Expr::value(status))
                .col_expr(wd::Column::LastError, Expr::value(Option::<String>::None))
                .exec(&txn)
                .await?
                .rows_affected
                == 1;
            if held && hook.failing_since.is_some() {
                w::Entity::update_many()
                    .col_expr(
                        w::Column::FailingSince,
                        Expr::value(Option::<DateTime<Utc>>::None),
                    )
                    .filter(w::Column::Id.eq(hook.id))
                    .exec(&txn)
                    .await?;
            }
            held
        }
        Outcome::Failed(status, error) => {
            let failed = d.attempts + 1;
            let wait = BACKOFF[(failed as usize - 1).min(BACKOFF.len() - 1)];
            let mut update = mine
                .col_expr(wd::Column::Attempts, Expr::value(failed))
                .col_expr(
                    wd::Column::NextAttemptAt,
                    Expr::value(now + Duration::seconds(wait)),
                )
                .col_expr(wd::Column::LastStatus, Expr::value(status))
                .col_expr(wd::Column::LastError, Expr::value(Some(error.clone())));
            if !hook.active {
                // a test event to a webhook that is off: tried once
                update = gave_up(update);
            }
            let held = update.exec(&txn).await?.rows_affected == 1;
            if held && hook.active {
                let since = hook.failing_since.unwrap_or(now);
                if hook.failing_since.is_none() {
                    w::Entity::update_many()
                        .col_expr(w::Column::FailingSince, Expr::value(now))
                        .filter(w::Column::Id.eq(hook.id))
                        .filter(w::Column::FailingSince.is_null())
                        .exec(&txn)
                        .await?;
                }
                if now - since >= settings.webhooks_give_up {
                    turn_off(&txn, settings, &hook, since, &error, now).await?;
                }
            }
            held
        }
    };
    if held {
        txn.commit().await
    } else {
        txn.rollback().await
    }
}

async fn turn_off(
    txn: &sea_orm::DatabaseTransaction,
    settings: &Settings,
    hook: &entity::webhook::Model,
    since: DateTime<Utc>,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    use entity::webhook as w;
    let won = w::Entity::update_many()
        .col_expr(w::Column::Active, sea_orm::sea_query::Expr::value(false))
        .col_expr(w::Column::DisabledAt, sea_orm::sea_query::Expr::value(now))
        .col_expr(w::Column::UpdatedAt, sea_orm::sea_query::Expr::value(now))
        .filter(w::Column::Id.eq(hook.id))
        .filter(w::Column::Active.eq(true))
        .exec(txn)
        .await?
        .rows_affected
        == 1;
    if !won {
        return Ok(());
    }
    give_up_pending(txn, hook.id, now).await?;
    audit::record(
        txn,
        &Actor::system(),
        Entry::new("webhook.turned_off", "webhook", hook.id)
            .detail(serde_json::json!({"failing_since": since, "last_error": error})),
    )
    .await?;
    if let Some(admin) = entity::user::Entity::find_by_id(hook.created_by)
        .one(txn)
        .await?
    {
        let (subject, body) = crate::kernel::mail::webhook_turned_off(
            Lang::parse(&admin.language),
            &admin.display_name,
            &super::webhooks::logged(&hook.url),
            ((now - since).num_minutes() + 59) / 60,
            error,
            &format!("{}/#/more/webhooks/{}", settings.public_url, hook.id),
        );
        outbox::enqueue(
            txn,
            NewMail {
                to: admin.email,
                subject,
                body,
                dedupe_key: Some(format!("webhook-off:{}:{}", hook.id, now.timestamp())),
            },
        )
        .await?;
    }
    Ok(())
}

/// One delivery, claimed: sent (or skipped) and recorded.
async fn deliver(
    db: &DatabaseConnection,
    client: &reqwest::Client,
    settings: &Settings,
    d: entity::webhook_delivery::Model,
) -> Result<(), sea_orm::DbErr> {
    let Some(hook) = entity::webhook::Entity::find_by_id(d.webhook_id)
        .one(db)
        .await?
    else {
        return Ok(()); // deleted with its deliveries
    };
    let outcome = if hook.active || d.event_type == audit::TEST_EVENT {
        attempt(client, &hook, &d, settings.webhooks_allow_private).await
    } else {
        Outcome::Skipped
    };
    if let Outcome::Failed(_, e) = &outcome {
        tracing::warn!(delivery_id = %d.id, webhook_id = %hook.id, error = %e, "webhook delivery failed; will retry");
    }
    record(db, settings, &d, outcome).await
}

/// The sender every instance runs: keeps up to [`IN_FLIGHT`] deliveries
/// going, claiming more as they finish.
pub fn spawn_sender(
    db: DatabaseConnection,
    settings: Arc<Settings>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let client = client(settings.webhooks_allow_private)?;
    // A claimed delivery is this instance's for longer than an attempt
    // can take; after that (a crash) another instance sends it again.
    let lease = settings.outbox_lease.max(Duration::seconds(15));
    let slots = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    Ok(tokio::spawn(async move {
        loop {
            let hooks = entity::webhook::Entity::find()
                .filter(entity::webhook::Column::Active.eq(true))
                .all(&db)
                .await;
            match hooks {
                Ok(hooks) => {
                    for hook in &hooks {
                        if let Err(e) = queue(&db, hook).await {
                            tracing::warn!(webhook_id = %hook.id, error = %e, "queueing webhook deliveries failed");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "reading the webhooks failed"),
            }
            let free = slots.available_permits();
            let claimed = if free == 0 {
                Ok(Vec::new())
            } else {
                claim(&db, Utc::now(), free as u64, lease).await
            };
            let idle = match claimed {
                Ok(batch) => {
                    let idle = batch.is_empty();
                    for d in batch {
                        let Ok(permit) = slots.clone().acquire_owned().await else {
                            return;
                        };
                        let (db, client, settings) = (db.clone(), client.clone(), settings.clone());
                        tokio::spawn(async move {
                            if let Err(e) = deliver(&db, &client, &settings, d).await {
                                tracing::warn!(error = %e, "recording a webhook delivery failed");
                            }
                            drop(permit);
                        });
                    }
                    idle
                }
                Err(e) => {
                    tracing::warn!(error = %e, "claiming webhook deliveries failed");
                    true
                }
            };
            let pause = if idle { 500 } else { 50 };
            tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
        }
    }))
}
