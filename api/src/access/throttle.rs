//! Sign-in throttling: every attempt (a password, a second-factor code)
//! takes its place in the count of the account and the address before
//! anything is checked, in one transaction serialized per account and per
//! address on every instance. Used by sign-in (`auth`) and by every check
//! of a second factor (`mfa::guarded`).
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
    TransactionTrait,
};
use uuid::Uuid;

use crate::kernel::error::{ApiError, ApiResult};

/// Failed logins allowed per account, and per address, in `THROTTLE_WINDOW`.
pub const MAX_FAILURES_PER_ACCOUNT: u64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: u64 = 30;
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);

/// How long an address the account signed in from stays its own device.
pub const KNOWN_DEVICE: Duration = Duration::days(30);

/// Serializes the rest of `txn` with every other transaction that names one
/// of `keys`, on every instance: PostgreSQL advisory locks, held until the
/// transaction ends. On SQLite the single write connection already runs one
/// transaction at a time. A count followed by an insert under these keys
/// is then atomic: a burst of concurrent requests cannot all read the same
/// count.
pub(crate) async fn serialize(txn: &DatabaseTransaction, keys: &[String]) -> ApiResult<()> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    // The same order everywhere, so two transactions never wait on each other.
    let mut keys: Vec<&String> = keys.iter().collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        txn.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [key.as_str().into()],
        ))
        .await?;
    }
    Ok(())
}

/// A sign-in attempt (a password or a second-factor code) that has taken its
/// place in the throttle. It counts as a failure from the moment it is
/// taken, before anything is checked, so a hundred concurrent guesses get
/// no more checks than the limit; [`Attempt::settle`] says how it ended.
#[must_use = "an attempt counts as failed until it is settled"]
pub struct Attempt {
    id: Uuid,
}

/// How a checked attempt ended.
pub enum Settled {
    /// The person signed in: the attempt stops counting, and the address
    /// becomes a known device.
    SignedIn,
    /// The check passed but nobody signed in yet (a correct password before
    /// the second factor, a code that confirmed or turned off the factor):
    /// the attempt stops counting and leaves no trace.
    Passed,
    /// The check failed: the attempt keeps counting.
    Failed,
}

impl Attempt {
    /// Takes a place in the throttle of `email` and `ip`: a 429 when either
    /// has reached its limit, else an attempt that counts as failed until
    /// settled. One short transaction, serialized per account and per
    /// address across instances.
    pub async fn take(
        db: &sea_orm::DatabaseConnection,
        email: &str,
        ip: &str,
        now: DateTime<Utc>,
    ) -> ApiResult<Attempt> {
        let txn = db.begin().await?;
        serialize(
            &txn,
            &[
                format!("sign-in account {email}"),
                format!("sign-in address {ip}"),
            ],
        )
        .await?;
        throttle(&txn, email, ip, now).await?;
        let id = Uuid::now_v7();
        entity::login_attempt::ActiveModel {
            id: Set(id),
            email: Set(email.to_string()),
            ip: Set(ip.to_string()),
            at: Set(now),
            success: Set(false),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(Attempt { id })
    }

    pub async fn settle(self, db: &impl ConnectionTrait, how: Settled) -> ApiResult<()> {
        use entity::login_attempt::{Column, Entity};
        match how {
            Settled::SignedIn => {
                Entity::update_many()
                    .col_expr(Column::Success, Expr::value(true))
                    .filter(Column::Id.eq(self.id))
                    .exec(db)
                    .await?;
            }
            Settled::Passed => {
                Entity::delete_by_id(self.id).exec(db).await?;
            }
            Settled::Failed => {
                metrics::counter!(crate::kernel::meters::FAILED_LOGINS).increment(1);
            }
        }
        Ok(())
    }
}

/// Counts recent failures in the database (not in memory), so every instance
/// behind a load balancer sees the same count. An account's failures lock
/// out the addresses it has not signed in from lately; from an address it
/// signed in from within [`KNOWN_DEVICE`], only that address's own failures
/// count, so someone guessing a password elsewhere never locks the person
/// out of their own phone.
async fn throttle(
    db: &impl ConnectionTrait,
    email: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    use entity::login_attempt::{Column, Entity};
    let since = now - THROTTLE_WINDOW;
    let known_device = Entity::find()
        .filter(Column::Email.eq(email))
        .filter(Column::Ip.eq(ip))
        .filter(Column::Success.eq(true))
        .filter(Column::At.gt(now - KNOWN_DEVICE))
        .one(db)
        .await?
        .is_some();
    let account = if known_device {
        Column::Email.eq(email).and(Column::Ip.eq(ip))
    } else {
        Column::Email.eq(email)
    };
    for (which, max) in [
        (account, MAX_FAILURES_PER_ACCOUNT),
        (Column::Ip.eq(ip), MAX_FAILURES_PER_ADDRESS),
    ] {
        let q = Entity::find()
            .filter(which)
            .filter(Column::Success.eq(false))
            .filter(Column::At.gt(since));
        let failures = q.clone().count(db).await?;
        if failures >= max {
            // The window frees up when the oldest counted failure ages out.
            let skip = failures - max;
            let oldest = q
                .order_by_asc(Column::At)
                .offset(skip)
                .one(db)
                .await?
                .map(|a| a.at)
                .unwrap_or(now);
            let retry = (oldest + THROTTLE_WINDOW - now).num_seconds().max(1) as u64;
            return Err(ApiError::too_many_attempts(retry));
        }
    }
    Ok(())
}
