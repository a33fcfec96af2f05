//! Sign-in, refresh-token rotation with reuse detection, sign-out, and the
//! single-use tokens sent by email (invitations, password resets).
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::throttle::{serialize, Attempt, Settled};
use crate::{
    kernel::config::Settings,
    kernel::{
        access::tokens::{random_token, sha256_hex, JwtKeys},
        audit::{self, Actor, Entry},
        ctx::Ctx,
        error::{ApiError, ApiResult, FieldError},
        field::FieldProblem,
    },
};

pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub user_id: Uuid,
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

use sea_orm::QuerySelect;

/// What signing in and refreshing need: the write connection, the keys and
/// the token lifetimes.
pub struct Sessions<'a> {
    pub db: &'a sea_orm::DatabaseConnection,
    pub jwt: &'a JwtKeys,
    pub settings: &'a Settings,
}

/// What a correct password leads to.
pub enum LoginOutcome {
    /// Signed in.
    Signed(Issued),
    /// The user has a second factor: finish with [`login_mfa`].
    Challenge { token: String, expires_in: u64 },
}

pub async fn login(
    state: &Sessions<'_>,
    email: &str,
    password: String,
    actor: &Actor,
    user_agent: Option<String>,
) -> Result<LoginOutcome, ApiError> {
    let db = state.db;
    let now = Utc::now();
    let email = normalize_email(email);
    let ip = actor.ip.clone().unwrap_or_default();
    let slot = Attempt::take(db, &email, &ip, now).await?;
    let user = entity::user::Entity::find()
        .filter(entity::user::Column::Email.eq(email.clone()))
        .one(db)
        .await?;
    let stored = user
        .as_ref()
        .filter(|u| u.active)
        .and_then(|u| u.password_hash.clone());
    let ok = crate::access::password::verify(stored, password).await?;
    let txn = db.begin().await?;
    let user = match (ok, user) {
        (true, Some(u)) => u,
        (_, user) => {
            slot.settle(&txn, Settled::Failed).await?;
            let mut a = actor.clone();
            a.user_id = user.as_ref().map(|u| u.id);
            audit::record(
                &txn,
                &a,
                Entry {
                    action: "auth.login_failed",
                    object_type: "user",
                    object_id: user.as_ref().map(|u| u.id.to_string()),
                    site_id: None,
                    detail: None,
                },
            )
            .await?;
            txn.commit().await?;
            return Err(ApiError::Unauthorized {
                code: "invalid_credentials",
                detail: "The email or password is wrong.".into(),
            });
        }
    };
    let mut a = actor.clone();
    a.user_id = Some(user.id);
    if crate::access::mfa::enabled(&txn, user.id).await? {
        // The password alone proves little: no success is recorded (it
        // would make this address a known device) until the code is given.
        slot.settle(&txn, Settled::Passed).await?;
        let token = crate::access::mfa::new_challenge(&txn, user.id, user_agent, now).await?;
        audit::record(&txn, &a, Entry::new("auth.mfa_challenge", "user", user.id)).await?;
        txn.commit().await?;
        return Ok(LoginOutcome::Challenge {
            token,
            expires_in: crate::access::mfa::CHALLENGE_TTL.num_seconds() as u64,
        });
    }
    slot.settle(&txn, Settled::SignedIn).await?;
    audit::record(&txn, &a, Entry::new("auth.login", "user", user.id)).await?;
    let issued = start_session(state, &txn, user.id, now, user_agent, false).await?;
    txn.commit().await?;
    Ok(LoginOutcome::Signed(issued))
}

/// Finishes a sign-in with the second factor: the challenge from [`login`]
/// and a current code from the app or an unused recovery code. Wrong codes
/// count as failed sign-ins and are throttled like passwords; a challenge
/// works once, for [`crate::access::mfa::CHALLENGE_TTL`].
pub async fn login_mfa(
    state: &Sessions<'_>,
    challenge: &str,
    code: &str,
    actor: &Actor,
) -> Result<Issued, ApiError> {
    use entity::mfa_challenge::{Column, Entity};
    let expired = || {
        ApiError::Unauthorized {
        code: "invalid_challenge",
        detail: "This sign-in step is unknown, expired or already used. Sign in again with your password.".into(),
    }
    };
    let now = Utc::now();
    let row = Entity::find()
        .filter(Column::TokenHash.eq(sha256_hex(challenge)))
        .one(state.db)
        .await?
        .filter(|c| c.used_at.is_none() && c.expires_at > now)
        .ok_or_else(expired)?;
    let user = entity::user::Entity::find_by_id(row.user_id)
        .one(state.db)
        .await?
        .filter(|u| u.active)
        .ok_or_else(expired)?;
    let mut a = actor.clone();
    a.user_id = Some(user.id);
    let signed =
        crate::access::mfa::guarded(state.db, actor, user.id, &user.email, now, async || {
            let txn = state.db.begin().await?;
            let Some(factor) =
                crate::access::mfa::use_code(&txn, user.id, &user.email, code, now).await?
            else {
                return Ok(None);
            };
            let won = Entity::update_many()
                .col_expr(Column::UsedAt, sea_orm::sea_query::Expr::value(now))
                .filter(Column::Id.eq(row.id))
                .filter(Column::UsedAt.is_null())
                .exec(&txn)
                .await?
                .rows_affected
                == 1;
            if !won {
                return Err(expired());
            }
            let entry = Entry::new("auth.login", "user", user.id)
                .detail(serde_json::json!({ "second_factor": factor.as_str() }));
            audit::record(&txn, &a, entry).await?;
            let issued =
                start_session(state, &txn, user.id, now, row.user_agent.clone(), true).await?;
            txn.commit().await?;
            Ok(Some((issued, Settled::SignedIn)))
        })
        .await?;
    match signed {
        Some(issued) => Ok(issued),
        None => Err(ApiError::Unauthorized {
                code: "invalid_mfa_code",
            detail: "That code is wrong or was already used. Type the code your authenticator app shows now, or a recovery code.".into(),
        }),
    }
}

async fn start_session(
    state: &Sessions<'_>,
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
    user_agent: Option<String>,
    mfa: bool,
) -> Result<Issued, ApiError> {
    let session_id = Uuid::now_v7();
    let refresh_ttl =
        Duration::from_std(state.settings.refresh_token_ttl).unwrap_or(Duration::days(30));
    entity::auth_session::ActiveModel {
        id: Set(session_id),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(now + refresh_ttl),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        user_agent: Set(user_agent),
        last_used_at: Set(Some(now)),
        mfa: Set(mfa),
    }
    .insert(db)
    .await?;
    issue_pair(state, db, user_id, session_id, now).await
}

async fn issue_pair(
    state: &Sessions<'_>,
    db: &impl ConnectionTrait,
    user_id: Uuid,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Issued, ApiError> {
    let refresh = random_token();
    let refresh_ttl =
        Duration::from_std(state.settings.refresh_token_ttl).unwrap_or(Duration::days(30));
    entity::refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        token_hash: Set(sha256_hex(&refresh)),
        created_at: Set(now),
        expires_at: Set(now + refresh_ttl),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    let ttl = state.settings.access_token_ttl;
    let access = state.jwt.issue(user_id, session_id, now, ttl)?;
    Ok(Issued {
        access_token: access,
        refresh_token: refresh,
        expires_in: ttl.as_secs(),
        user_id,
    })
}

pub async fn revoke_session(
    db: &impl ConnectionTrait,
    session_id: Uuid,
    reason: &str,
) -> Result<u64, sea_orm::DbErr> {
    revoke_where(db, entity::auth_session::Column::Id.eq(session_id), reason).await
}

pub async fn revoke_all_sessions(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    reason: &str,
) -> Result<u64, sea_orm::DbErr> {
    revoke_where(db, entity::auth_session::Column::UserId.eq(user_id), reason).await
}

async fn revoke_where(
    db: &impl ConnectionTrait,
    which: sea_orm::sea_query::SimpleExpr,
    reason: &str,
) -> Result<u64, sea_orm::DbErr> {
    use entity::auth_session::Column;
    let res = entity::auth_session::Entity::update_many()
        .col_expr(
            Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .col_expr(
            Column::RevokedReason,
            sea_orm::sea_query::Expr::value(reason),
        )
        .filter(which)
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Rotates a refresh token. A token that was already used means it was copied:
/// the whole session (token family) is revoked and the caller must sign in.
pub async fn refresh(state: &Sessions<'_>, token: &str, actor: &Actor) -> Result<Issued, ApiError> {
    let denied = || ApiError::Unauthorized {
        code: "invalid_refresh_token",
        detail: "The refresh token is invalid, expired or revoked. Sign in again.".into(),
    };
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let Some(rt) = entity::refresh_token::Entity::find()
        .filter(entity::refresh_token::Column::TokenHash.eq(sha256_hex(token)))
        .one(&txn)
        .await?
    else {
        return Err(denied());
    };
    let session = entity::auth_session::Entity::find_by_id(rt.session_id)
        .one(&txn)
        .await?
        .ok_or_else(denied)?;
    // Mark used only if nobody else did: the conditional UPDATE is the race guard.
    let won = entity::refresh_token::Entity::update_many()
        .col_expr(
            entity::refresh_token::Column::UsedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(entity::refresh_token::Column::Id.eq(rt.id))
        .filter(entity::refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if !won {
        revoke_session(&txn, session.id, "refresh_token_reused").await?;
        let mut a = actor.clone();
        a.user_id = Some(session.user_id);
        audit::record(
            &txn,
            &a,
            Entry::new("auth.refresh_reuse_detected", "session", session.id),
        )
        .await?;
        txn.commit().await?;
        return Err(ApiError::Unauthorized {
            code: "refresh_token_reused",
            detail: "This refresh token was already used, so it may have been copied. All tokens of this sign-in are revoked; sign in again.".into(),
        });
    }
    if session.revoked_at.is_some() {
        // Committed: the token is used up either way.
        txn.commit().await?;
        return Err(ApiError::Unauthorized {
            code: "session_revoked",
            detail: "This sign-in was ended (signed out elsewhere, ended from the list of devices, or a password or second-factor reset). Sign in again.".into(),
        });
    }
    if session.expires_at <= now || rt.expires_at <= now {
        return Err(denied());
    }
    let active = entity::user::Entity::find_by_id(session.user_id)
        .one(&txn)
        .await?
        .is_some_and(|u| u.active);
    if !active {
        return Err(denied());
    }
    let issued = issue_pair(state, &txn, session.user_id, session.id, now).await?;
    txn.commit().await?;
    Ok(issued)
}

pub const PURPOSE_INVITATION: &str = "invitation";
pub const PURPOSE_PASSWORD_RESET: &str = "password_reset";

/// Creates a single-use token and returns it; only its hash is stored.
pub async fn create_user_token(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    purpose: &str,
    ttl: Duration,
) -> Result<String, sea_orm::DbErr> {
    let token = random_token();
    let now = Utc::now();
    entity::user_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        purpose: Set(purpose.to_string()),
        token_hash: Set(sha256_hex(&token)),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Whether an emailed link still works, without using it up: known, not
/// expired, not used, and its person still active. Checked when the page
/// of the link opens, so nobody types a new password for a dead link.
pub async fn check_user_token(
    db: &impl ConnectionTrait,
    token: &str,
    purpose: &str,
) -> Result<(), ApiError> {
    let row = unexpired_token(db, token, purpose).await?;
    if row.used_at.is_some() {
        return Err(invalid_link());
    }
    let active = entity::user::Entity::find_by_id(row.user_id)
        .one(db)
        .await?
        .is_some_and(|u| u.active);
    if !active {
        return Err(invalid_link());
    }
    Ok(())
}

/// The token's row, known for `purpose` and not expired (used or not).
async fn unexpired_token(
    db: &impl ConnectionTrait,
    token: &str,
    purpose: &str,
) -> Result<entity::user_token::Model, ApiError> {
    use entity::user_token::{Column, Entity};
    let row = Entity::find()
        .filter(Column::TokenHash.eq(sha256_hex(token)))
        .filter(Column::Purpose.eq(purpose))
        .one(db)
        .await?
        .ok_or_else(invalid_link)?;
    if row.expires_at <= Utc::now() {
        return Err(invalid_link());
    }
    Ok(row)
}

/// Uses up a token: returns its user, or an error if unknown, expired or used.
pub async fn consume_user_token(
    db: &impl ConnectionTrait,
    token: &str,
    purpose: &str,
) -> Result<Uuid, ApiError> {
    use entity::user_token::{Column, Entity};
    let now = Utc::now();
    let row = unexpired_token(db, token, purpose).await?;
    let won = Entity::update_many()
        .col_expr(Column::UsedAt, sea_orm::sea_query::Expr::value(now))
        .filter(Column::Id.eq(row.id))
        .filter(Column::UsedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if !won {
        return Err(invalid_link());
    }
    Ok(row.user_id)
}

/// The answer to an unknown, expired or used emailed link: 422 naming `/token`.
pub fn invalid_link() -> ApiError {
    let field = FieldError::new("/token", FieldProblem::InvalidLink);
    ApiError::unprocessable("invalid_token", field.detail.clone())
        .with("errors", serde_json::to_value([field]).unwrap_or_default())
}

/// Sign out: this sign-in, or with `everywhere` every sign-in of the user.
pub async fn logout(cx: &Ctx<'_>, everywhere: bool) -> ApiResult<()> {
    if cx.p.api_key_id.is_some() {
        return Err(ApiError::BadRequest {
            code: "not_a_session",
            detail: "API keys do not sign in; revoke the key with DELETE /api-keys/{id}.".into(),
        });
    }
    let ch = cx.begin().await?;
    if everywhere {
        revoke_all_sessions(ch.db(), cx.p.user_id, "logout_everywhere").await?;
    } else if let Some(sid) = cx.p.session_id {
        revoke_session(ch.db(), sid, "logout").await?;
    } else {
        return Err(ApiError::BadRequest {
            code: "not_a_session",
            detail: "API keys do not sign in; revoke the key with DELETE /api-keys/{id}.".into(),
        });
    }
    ch.audit(Entry::new("auth.logout", "user", cx.p.user_id))
        .await?;
    ch.commit().await?;
    Ok(())
}

/// Sets a password with a token received by email (an invitation or a
/// reset, by `purpose`); every existing sign-in of the user ends, and after
/// a reset their API keys and calendar feeds too. True when mail was queued.
pub async fn set_password_with_token(
    state: &Sessions<'_>,
    actor: &Actor,
    token: &str,
    new_password: String,
    purpose: &str,
) -> Result<bool, ApiError> {
    crate::access::password::check_strength("/password", &new_password)
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let hash = crate::access::password::hash(new_password).await?;
    let txn = state.db.begin().await?;
    let user_id = consume_user_token(&txn, token, purpose).await?;
    let user = entity::user::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    if !user.active {
        return Err(invalid_link());
    }
    entity::user::ActiveModel {
        id: Set(user_id),
        password_hash: Set(Some(hash)),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    // A new password ends every existing sign-in. A reset may follow a
    // compromise: it also ends the user's API keys and calendar feeds, and
    // tells the user so.
    revoke_all_sessions(&txn, user_id, "password_changed").await?;
    let mut mailed = false;
    if purpose == PURPOSE_PASSWORD_RESET {
        let (keys, feeds) = revoke_keys_and_feeds(&txn, user_id, Utc::now()).await?;
        let (subject, body) = crate::kernel::mail::password_was_reset(
            crate::kernel::lang::Lang::parse(&user.language),
            &user.display_name,
            keys,
            feeds,
        );
        mailed = crate::kernel::outbox::enqueue(
            &txn,
            crate::kernel::outbox::NewMail {
                to: user.email.clone(),
                subject,
                body,
                dedupe_key: None,
            },
        )
        .await?;
    }
    let mut actor = actor.clone();
    actor.user_id = Some(user_id);
    audit::record(
        &txn,
        &actor,
        Entry::new(
            if purpose == PURPOSE_INVITATION {
                "auth.invitation_accepted"
            } else {
                "auth.password_reset"
            },
            "user",
            user_id,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(mailed)
}

/// Reset links mailed to one account in an hour, at most.
pub const RESETS_PER_HOUR: u64 = 3;
/// Reset links mailed because of requests from one address in an hour, at
/// most (to all accounts together).
pub const RESETS_PER_ADDRESS_PER_HOUR: u64 = 10;

/// Mails a password-reset link to the active account with `email`, if
/// there is one and it has had fewer than [`RESETS_PER_HOUR`] in the last
/// hour; true when a message was queued.
pub async fn request_password_reset(
    state: &Sessions<'_>,
    read: &sea_orm::DatabaseConnection,
    actor: &Actor,
    email: &str,
) -> Result<bool, ApiError> {
    let email = normalize_email(email);
    let Some(user) = entity::user::Entity::find()
        .filter(entity::user::Column::Email.eq(email))
        .filter(entity::user::Column::Active.eq(true))
        .one(read)
        .await?
    else {
        return Ok(false);
    };
    // Counted and written in one transaction, serialized per account and
    // per address across instances, so a burst of requests cannot all see
    // the same count.
    let txn = state.db.begin().await?;
    let mut keys = vec![format!("password reset account {}", user.id)];
    if let Some(ip) = &actor.ip {
        keys.push(format!("password reset address {ip}"));
    }
    serialize(&txn, &keys).await?;
    // At most RESETS_PER_HOUR links an hour per account: a stranger who
    // knows the address cannot flood its inbox.
    let key = format!("password_reset:{}:", user.id);
    let recent = entity::outbox::Entity::find()
        .filter(entity::outbox::Column::DedupeKey.starts_with(key.as_str()))
        .filter(entity::outbox::Column::CreatedAt.gt(Utc::now() - Duration::hours(1)))
        .count(&txn)
        .await?;
    if recent >= RESETS_PER_HOUR {
        tracing::info!("password reset not mailed: the hourly limit of the account was reached");
        return Ok(false);
    }
    // Nor can one address mail links to many accounts.
    if let Some(ip) = &actor.ip {
        use entity::audit_log::{Column, Entity};
        let from_here = Entity::find()
            .filter(Column::At.gt(Utc::now() - Duration::hours(1)))
            .filter(Column::Action.eq("auth.password_reset_requested"))
            .filter(Column::Ip.eq(ip.as_str()))
            .count(&txn)
            .await?;
        if from_here >= RESETS_PER_ADDRESS_PER_HOUR {
            tracing::info!(
                "password reset not mailed: the hourly limit of the address was reached"
            );
            return Ok(false);
        }
    }
    let token =
        create_user_token(&txn, user.id, PURPOSE_PASSWORD_RESET, Duration::hours(2)).await?;
    let (subject, body) = crate::kernel::mail::reset_link(
        crate::kernel::lang::Lang::parse(&user.language),
        &user.display_name,
        &format!("{}/#/reset?token={token}", state.settings.public_url),
    );
    crate::kernel::outbox::enqueue(
        &txn,
        crate::kernel::outbox::NewMail {
            to: user.email.clone(),
            subject,
            body,
            dedupe_key: Some(format!("{key}{}", Uuid::now_v7())),
        },
    )
    .await?;
    let mut actor = actor.clone();
    actor.user_id = Some(user.id);
    audit::record(
        &txn,
        &actor,
        Entry::new("auth.password_reset_requested", "user", user.id),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// How stale `last_used_at` may get: it is written at most this often per
/// key or sign-in, so a busy one costs no write per request.
const USE_RESOLUTION: Duration = Duration::minutes(1);

/// Records that the caller's API key or sign-in was used now, when its
/// recorded use is older than [`USE_RESOLUTION`]. In the background: a
/// request never waits for it, and a failure only leaves the time older.
pub fn note_use(writer: &crate::kernel::writer::Writer, p: &crate::kernel::access::Principal) {
    let now = Utc::now();
    if p.last_used_at.is_some_and(|t| now - t < USE_RESOLUTION) {
        return;
    }
    let db = writer.db.clone();
    let (key, session) = (p.api_key_id, p.session_id);
    tokio::spawn(async move {
        let res = match (key, session) {
            (Some(id), _) => entity::api_key::Entity::update_many()
                .col_expr(
                    entity::api_key::Column::LastUsedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(entity::api_key::Column::Id.eq(id))
                .exec(&db)
                .await
                .map(drop),
            (None, Some(id)) => entity::auth_session::Entity::update_many()
                .col_expr(
                    entity::auth_session::Column::LastUsedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(entity::auth_session::Column::Id.eq(id))
                .exec(&db)
                .await
                .map(drop),
            (None, None) => Ok(()),
        };
        if let Err(e) = res {
            tracing::warn!(error = %e, "recording the use of a key or sign-in failed");
        }
    });
}

/// One sign-in of a person: a device or browser.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = SignInOut)]
pub struct SessionOut {
    pub id: Uuid,
    /// When the person signed in.
    pub created_at: DateTime<Utc>,
    /// Roughly when it was last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// The browser or app, as it named itself.
    pub user_agent: Option<String>,
    /// The browser, named from `user_agent` ("Chrome", "Safari"); null when
    /// it cannot be told.
    pub browser: Option<String>,
    /// The operating system, named from `user_agent` ("Android", "iPhone",
    /// "Windows 10"); null when it cannot be told.
    pub os: Option<String>,
    /// Signed in with a second factor.
    pub mfa: bool,
    /// The sign-in this request was made with.
    pub current: bool,
}

/// The browser and the operating system a user agent names, as the
/// `woothee` parser tells them; `None` for what it cannot tell.
fn device(user_agent: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(got) = user_agent.and_then(|ua| woothee::parser::Parser::new().parse(ua)) else {
        return (None, None);
    };
    let known =
        |s: &str| (!s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN).then(|| s.to_string());
    (known(got.name), known(got.os))
}

/// The caller's sign-ins that still work, newest use first.
pub async fn list_sessions(cx: &Ctx<'_>) -> ApiResult<Vec<SessionOut>> {
    use entity::auth_session::{Column, Entity};
    let rows = Entity::find()
        .filter(Column::UserId.eq(cx.p.user_id))
        .filter(Column::RevokedAt.is_null())
        .filter(Column::ExpiresAt.gt(cx.now()))
        .order_by_desc(Column::LastUsedAt)
        .order_by_desc(Column::CreatedAt)
        .limit(crate::kernel::ctx::MAX_LIMIT)
        .all(cx.read)
        .await?;
    Ok(rows
        .into_iter()
        .map(|s| {
            let (browser, os) = device(s.user_agent.as_deref());
            SessionOut {
                current: Some(s.id) == cx.p.session_id,
                id: s.id,
                created_at: s.created_at,
                last_used_at: s.last_used_at,
                user_agent: s.user_agent,
                browser,
                os,
                mfa: s.mfa,
            }
        })
        .collect())
}

/// Ends one of the caller's own sign-ins (a lost phone); its tokens stop
/// working at once. Another person's sign-in is not found.
pub async fn end_session(cx: &Ctx<'_>, id: Uuid) -> ApiResult<()> {
    let owned = entity::auth_session::Entity::find_by_id(id)
        .one(cx.read)
        .await?
        .is_some_and(|s| s.user_id == cx.p.user_id);
    if !owned {
        return Err(ApiError::NotFound("session"));
    }
    let ch = cx.begin().await?;
    revoke_session(ch.db(), id, "ended_by_user").await?;
    ch.audit(Entry::new("auth.session_ended", "session", id))
        .await?;
    ch.commit().await
}

/// An admin ends every sign-in of a user (a lost or stolen phone); the
/// user signs in again.
pub async fn end_user_sessions(cx: &Ctx<'_>, user_id: Uuid) -> ApiResult<u64> {
    entity::user::Entity::find_by_id(user_id)
        .one(cx.read)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    let ch = cx.begin().await?;
    let n = revoke_all_sessions(ch.db(), user_id, "ended_by_admin").await?;
    ch.audit(
        Entry::new("user.sessions_ended", "user", user_id)
            .detail(serde_json::json!({ "sessions": n })),
    )
    .await?;
    ch.commit().await?;
    Ok(n)
}

/// Revokes every API key and calendar feed of `user_id`; how many of each.
async fn revoke_keys_and_feeds(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<(u64, u64)> {
    use entity::{api_key, calendar_feed};
    let keys = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(now))
        .filter(api_key::Column::UserId.eq(user_id))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    let feeds = calendar_feed::Entity::update_many()
        .col_expr(calendar_feed::Column::RevokedAt, Expr::value(now))
        .filter(calendar_feed::Column::UserId.eq(user_id))
        .filter(calendar_feed::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    Ok((keys, feeds))
}

/// What ending a person's credentials ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialsEnded {
    /// Sign-ins ended (every device).
    pub sessions: u64,
    /// API keys revoked.
    pub api_keys: u64,
    /// Calendar feeds revoked.
    pub calendar_feeds: u64,
}

/// A lost phone, or someone leaving the team: every credential of a person
/// ends at once (admin): their sign-ins on every device, their API keys and
/// their calendar feeds. Audited, and the person is told by mail. Their
/// account stays; they sign in again with their password.
pub async fn end_user_credentials(cx: &Ctx<'_>, user_id: Uuid) -> ApiResult<CredentialsEnded> {
    let user = entity::user::Entity::find_by_id(user_id)
        .one(cx.read)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    let mut ch = cx.begin().await?;
    let sessions = revoke_all_sessions(ch.db(), user_id, "ended_by_admin").await?;
    let (api_keys, calendar_feeds) = revoke_keys_and_feeds(ch.db(), user_id, cx.now()).await?;
    ch.tell(
        &user.email,
        crate::kernel::mail::credentials_ended(
            crate::kernel::lang::Lang::parse(&user.language),
            &user.display_name,
            &cx.p.display_name,
            sessions,
            api_keys,
            calendar_feeds,
        ),
    )
    .await?;
    ch.audit(
        Entry::new("user.credentials_ended", "user", user_id).detail(serde_json::json!({
            "sessions": sessions, "api_keys": api_keys, "calendar_feeds": calendar_feeds
        })),
    )
    .await?;
    ch.commit().await?;
    Ok(CredentialsEnded {
        sessions,
        api_keys,
        calendar_feeds,
    })
}

/// An admin resets a user's second factor (a lost phone): the app and the
/// recovery codes are removed and every sign-in of the user ends; the user
/// is told by mail and sets up a new app after signing in with the password.
pub async fn admin_reset(cx: &Ctx<'_>, user_id: Uuid) -> ApiResult<()> {
    let user = entity::user::Entity::find_by_id(user_id)
        .one(cx.read)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    let mut ch = cx.begin().await?;
    super::mfa::remove(ch.db(), user_id).await?;
    revoke_all_sessions(ch.db(), user_id, "mfa_reset").await?;
    ch.tell(
        &user.email,
        crate::kernel::mail::second_factor_reset(
            crate::kernel::lang::Lang::parse(&user.language),
            &user.display_name,
            &cx.p.display_name,
        ),
    )
    .await?;
    ch.audit(Entry::new("user.mfa_reset", "user", user_id))
        .await?;
    ch.commit().await
}

#[cfg(test)]
mod device_tests {
    use super::device;

    #[test]
    fn names_the_browser_and_the_system() {
        let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";
        assert_eq!(
            device(Some(android)),
            (Some("Chrome".into()), Some("Android".into()))
        );
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(
            device(Some(iphone)),
            (Some("Safari".into()), Some("iPhone".into()))
        );
        assert_eq!(device(Some("curl/8.5.0")).1, None);
        assert_eq!(device(None), (None, None));
    }
}
