//! A request's context for the services: handlers call one service function
//! with a [`Ctx`]; services never see HTTP types or `AppState`.
//!
//! * Reads go to `Ctx::read` (read-only connections beside the writer on
//!   SQLite; the pool on PostgreSQL), so they never queue behind writes.
//! * A write is a [`Change`]: one transaction that also carries its audit
//!   entries and the mail it causes, committed together or not at all.
//! * Objects of a site are loaded through [`crate::kernel::scoped::load`], which answers 404
//!   for another site's object exactly as for a missing one.

use crate::kernel::field::FieldProblem;
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use tokio::sync::Notify;

use crate::kernel::{
    access::Principal,
    audit::{Actor, Entry},
    error::ApiResult,
    lang::Lang,
    outbox::NewMail,
};
use crate::kernel::{audit, outbox, writer::Writer};

/// Upper bound of `limit` on every list.
pub const MAX_LIMIT: u64 = 200;
pub const DEFAULT_LIMIT: u64 = 50;

pub fn limit(requested: Option<u64>) -> Result<u64, crate::kernel::error::ApiError> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(0) => Err(crate::kernel::error::ApiError::field(
            "/limit",
            FieldProblem::AtLeast { min: 1 },
        )),
        Some(n) if n > MAX_LIMIT => Err(crate::kernel::error::ApiError::field(
            "/limit",
            FieldProblem::AtMost {
                max: MAX_LIMIT as i64,
            },
        )),
        Some(n) => Ok(n),
    }
}

/// An opaque cursor of a keyset page: the sort key of its last row, its
/// parts joined by `|` and base64url-encoded.
pub fn encode_cursor(parts: &[String]) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    URL_SAFE_NO_PAD.encode(parts.join("|"))
}

/// The `n` parts of a cursor [`encode_cursor`] gave out; anything else is a
/// 422 naming `/cursor`.
pub fn decode_cursor(c: &str, n: usize) -> ApiResult<Vec<String>> {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let raw = URL_SAFE_NO_PAD.decode(c).map_err(|_| bad_cursor())?;
    let s = String::from_utf8(raw).map_err(|_| bad_cursor())?;
    let parts: Vec<String> = s.split('|').map(str::to_string).collect();
    if parts.len() != n {
        return Err(bad_cursor());
    }
    Ok(parts)
}

/// The error of a cursor part that does not parse.
pub fn bad_cursor() -> crate::kernel::error::ApiError {
    crate::kernel::error::ApiError::field("/cursor", FieldProblem::Cursor)
}

/// Cuts a list fetched with `limit + 1` rows to one page, and gives the
/// cursor of the next page when there is one.
pub fn page<T>(
    mut rows: Vec<T>,
    limit: u64,
    id: impl Fn(&T) -> uuid::Uuid,
) -> (Vec<T>, Option<uuid::Uuid>) {
    if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        let next = rows.last().map(id);
        (rows, next)
    } else {
        (rows, None)
    }
}

/// Everything a service needs to act for a caller.
pub struct Ctx<'a> {
    pub writer: &'a Writer,
    /// Plain reads.
    pub read: &'a DatabaseConnection,
    pub p: &'a Principal,
    pub actor: Actor,
    /// The language the caller reads messages in.
    pub lang: Lang,
    /// Links in mail point here.
    pub public_url: &'a str,
    /// Wakes this instance's outbox worker after a change queued mail.
    pub outbox_wake: &'a Notify,
    /// The time the caller acts at: `None` (the clock) for every request;
    /// the demo loader replays a study's past with it.
    pub at: Option<DateTime<Utc>>,
}

impl Ctx<'_> {
    /// Now, as this context sees it.
    pub fn now(&self) -> DateTime<Utc> {
        self.at.unwrap_or_else(Utc::now)
    }

    /// Starts a change: one transaction on the write connection.
    pub async fn begin(&self) -> ApiResult<Change<'_>> {
        let waited = std::time::Instant::now();
        let txn = self.writer.db.begin().await?;
        metrics::histogram!(crate::kernel::meters::POOL_WAIT_SECONDS, "pool" => "write")
            .record(waited.elapsed().as_secs_f64());
        Ok(Change {
            txn,
            cx: self,
            mailed: false,
        })
    }

    /// An audit entry that belongs to no change (a read), durable before
    /// this returns.
    pub async fn log(&self, entry: Entry<'_>) -> ApiResult<()> {
        self.writer.log(&self.actor, entry).await
    }
}

/// One change to the study: its transaction, its audit entries and the mail
/// it causes, committed together or not at all. Whoever triggers a change
/// (a handler, a withdrawal, the demo loader) goes through here, so the same
/// change is audited and announced the same way.
pub struct Change<'a> {
    txn: DatabaseTransaction,
    cx: &'a Ctx<'a>,
    mailed: bool,
}

impl<'a> Change<'a> {
    /// The transaction, for the change's own statements.
    pub fn db(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub fn cx(&self) -> &'a Ctx<'a> {
        self.cx
    }

    /// Records `entry` as done by the caller, in this transaction.
    pub async fn audit(&self, entry: Entry<'_>) -> ApiResult<()> {
        audit::record(&self.txn, &self.cx.actor, entry).await?;
        Ok(())
    }

    /// Queues a message in this transaction; false when its dedupe key was
    /// already used.
    pub async fn mail(&mut self, mail: NewMail) -> ApiResult<bool> {
        let queued = outbox::enqueue(&self.txn, mail).await?;
        self.mailed |= queued;
        Ok(queued)
    }

    /// Queues a message `(subject, body)` to one person, in this
    /// transaction (no dedupe key: each change tells them once).
    pub async fn tell(&mut self, to: &str, (subject, body): (String, String)) -> ApiResult<()> {
        self.mail(NewMail {
            to: to.to_string(),
            subject,
            body,
            dedupe_key: None,
        })
        .await?;
        Ok(())
    }

    /// Commits, then wakes the outbox worker when mail was queued.
    pub async fn commit(self) -> ApiResult<()> {
        self.txn.commit().await?;
        if self.mailed {
            self.cx.outbox_wake.notify_one();
        }
        Ok(())
    }
}
