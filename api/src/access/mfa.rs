//! Two-factor sign-in: an authenticator app (TOTP, RFC 6238) with single-use
//! recovery codes, the roles that must use it, and an admin's reset.
//!
//! A code is accepted once: the time step of the last accepted code is kept,
//! and a conditional UPDATE moves it forward, so two instances behind a load
//! balancer cannot both accept the same code.
use crate::kernel::field::FieldProblem;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use totp_rs::{Algorithm, Secret, TOTP};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    access::throttle::{Attempt, Settled},
    kernel::{
        access::{
            rules::{SecurityPatch, SecuritySettings, SECURITY_KEY},
            tokens::{random_token, sha256_hex},
        },
        audit::{self, Actor, Entry},
        ctx::{Change, Ctx},
        error::{ApiError, ApiResult},
    },
};

/// The name authenticator apps show above the code.
pub const ISSUER: &str = "Fieldnotes";
/// How long the step between password and code may take.
pub const CHALLENGE_TTL: Duration = Duration::minutes(5);
/// Recovery codes handed out when the second factor is turned on.
pub const RECOVERY_CODES: usize = 10;
const STEP_SECONDS: u64 = 30;
/// The study's sign-in rules.
pub async fn security_settings(db: &impl ConnectionTrait) -> Result<SecuritySettings, ApiError> {
    let row = entity::setting::Entity::find_by_id(SECURITY_KEY)
        .one(db)
        .await?;
    Ok(SecuritySettings::from_stored(row.map(|r| r.value)))
}

/// Admins only: which roles must use a second factor.
pub async fn save_security(cx: &Ctx<'_>, patch: SecurityPatch) -> ApiResult<SecuritySettings> {
    if patch.require_mfa_for.len() > 3 {
        return Err(ApiError::field("/require_mfa_for", FieldProblem::Duplicate));
    }
    let mut roles = patch.require_mfa_for;
    roles.sort_by_key(|r| r.as_str());
    roles.dedup();
    let settings = SecuritySettings {
        require_mfa_for: roles,
    };
    let value = serde_json::to_value(&settings).map_err(anyhow::Error::from)?;
    let ch = cx.begin().await?;
    crate::kernel::settings::save(ch.db(), SECURITY_KEY, value.clone(), cx.p.user_id).await?;
    ch.audit(Entry {
        action: "settings.security_update",
        object_type: "settings",
        object_id: Some(SECURITY_KEY.into()),
        site_id: None,
        detail: Some(value),
    })
    .await?;
    ch.commit().await?;
    Ok(settings)
}

/// The answer to a person whose role must use a second factor and whose
/// sign-in has none.
pub fn enrolment_required() -> ApiError {
    ApiError::forbidden(
        "mfa_required",
        "Your role must sign in with a second factor. Set up an authenticator app (POST /me/mfa/totp, then POST /me/mfa/totp/confirm); if you already have one, sign out and sign in again with its code.",
    )
}

/// The generator for a stored secret.
fn totp(secret_b32: &str, account: &str) -> ApiResult<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_string())
        .to_bytes()
        .map_err(|e| anyhow::anyhow!("stored TOTP secret unreadable: {e:?}"))?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS,
        bytes,
        Some(ISSUER.into()),
        account.into(),
    )
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("TOTP setup: {e}")))
}

/// The time step `code` belongs to, if it is the code of the current step
/// or of one step either side (clock drift).
fn matching_step(t: &TOTP, code: &str, now: DateTime<Utc>) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = now.timestamp().max(0) as u64 / STEP_SECONDS;
    [step.saturating_sub(1), step, step + 1]
        .into_iter()
        .find(|s| t.generate(s * STEP_SECONDS) == code)
        .map(|s| s as i64)
}

/// What a person sees of their own second factor.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaStatusOut {
    /// An authenticator app is set up and confirmed.
    pub enabled: bool,
    /// Set up but not yet confirmed with a code.
    pub pending: bool,
    /// Unused recovery codes left.
    pub recovery_codes_left: u64,
    /// The person's role must use a second factor.
    pub required: bool,
    /// This sign-in passed the second factor.
    pub this_session_verified: bool,
}

pub async fn status(cx: &Ctx<'_>) -> ApiResult<MfaStatusOut> {
    let row = entity::mfa_totp::Entity::find_by_id(cx.p.user_id)
        .one(cx.read)
        .await?;
    let left = unused_recovery_codes(cx.read, cx.p.user_id).await?;
    let required = security_settings(cx.read)
        .await?
        .require_mfa_for
        .contains(&cx.p.role);
    Ok(MfaStatusOut {
        enabled: row.as_ref().is_some_and(|r| r.confirmed_at.is_some()),
        pending: row.as_ref().is_some_and(|r| r.confirmed_at.is_none()),
        recovery_codes_left: left,
        required,
        this_session_verified: cx.p.session_mfa,
    })
}

async fn unused_recovery_codes(db: &impl ConnectionTrait, user_id: Uuid) -> ApiResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(entity::mfa_recovery_code::Entity::find()
        .filter(entity::mfa_recovery_code::Column::UserId.eq(user_id))
        .filter(entity::mfa_recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await?)
}

/// A new authenticator secret, to scan or type into the app.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolOut {
    /// The secret in base32, for typing in by hand.
    pub secret: String,
    /// The `otpauth://` address the QR code holds.
    pub otpauth_uri: String,
    /// The QR code as an SVG image.
    pub qr_svg: String,
}

/// Starts setting up an authenticator app: a new secret, pending until
/// [`confirm`]. Starting again replaces a pending secret; a confirmed one
/// must be turned off first.
pub async fn enrol(cx: &Ctx<'_>) -> ApiResult<EnrolOut> {
    let existing = entity::mfa_totp::Entity::find_by_id(cx.p.user_id)
        .one(cx.read)
        .await?;
    if existing.is_some_and(|r| r.confirmed_at.is_some()) {
        return Err(ApiError::conflict(
            "mfa_already_enabled",
            "Two-factor sign-in is already on. Turn it off first (DELETE /me/mfa) to set up another app.",
        ));
    }
    let mut raw = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let secret = Secret::Raw(raw.to_vec()).to_encoded().to_string();
    let t = totp(&secret, &cx.p.email)?;
    let uri = t.get_url();
    let qr_svg = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| anyhow::anyhow!("QR code: {e}"))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    let now = cx.now();
    let ch = cx.begin().await?;
    entity::mfa_totp::Entity::delete_by_id(cx.p.user_id)
        .exec(ch.db())
        .await?;
    entity::mfa_totp::ActiveModel {
        user_id: Set(cx.p.user_id),
        secret: Set(secret.clone()),
        created_at: Set(now),
        confirmed_at: Set(None),
        last_step: Set(None),
    }
    .insert(ch.db())
    .await?;
    ch.audit(Entry::new("mfa.enrol_started", "user", cx.p.user_id))
        .await?;
    ch.commit().await?;
    Ok(EnrolOut {
        secret,
        otpauth_uri: uri,
        qr_svg,
    })
}

/// A code from the authenticator app.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorCodeIn {
    /// The 6 digits the app shows now.
    #[schema(example = "123456", max_length = 64)]
    pub code: String,
}

/// Recovery codes: each signs in once in place of the app's code. Shown
/// only now; write them down.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesOut {
    pub recovery_codes: Vec<String>,
}

/// The one gate every second-factor code goes through: signing in,
/// confirming enrolment, turning the factor off, and whatever comes next.
///
/// Before `check` looks at the code, the try takes its place in the sign-in
/// throttle of the account and address ([`Attempt`]): wrong codes count as
/// failed sign-ins wherever they are typed, all of them against one limit
/// per account, and a burst of concurrent guesses gets no more checks than
/// that limit. `check` answers `None` for a wrong code (recorded in the
/// audit log as `auth.mfa_failed`), or what it did and how the try settles.
pub async fn guarded<T>(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    user_id: Uuid,
    email: &str,
    now: DateTime<Utc>,
    check: impl AsyncFnOnce() -> ApiResult<Option<(T, Settled)>>,
) -> ApiResult<Option<T>> {
    let ip = actor.ip.clone().unwrap_or_default();
    let attempt = Attempt::take(db, email, &ip, now).await?;
    match check().await? {
        Some((done, how)) => {
            attempt.settle(db, how).await?;
            Ok(Some(done))
        }
        None => {
            attempt.settle(db, Settled::Failed).await?;
            let mut a = actor.clone();
            a.user_id = Some(user_id);
            audit::record(db, &a, Entry::new("auth.mfa_failed", "user", user_id)).await?;
            Ok(None)
        }
    }
}

fn wrong_code() -> ApiError {
    ApiError::field("/code", FieldProblem::WrongCode)
}

/// Turns the second factor on with the app's first code, and hands out
/// [`RECOVERY_CODES`] recovery codes (stored hashed). This sign-in counts as
/// verified from now on.
pub async fn confirm(cx: &Ctx<'_>, code: &str) -> ApiResult<RecoveryCodesOut> {
    let now = cx.now();
    let row = entity::mfa_totp::Entity::find_by_id(cx.p.user_id)
        .one(cx.read)
        .await?;
    let row =
        match row {
            Some(r) if r.confirmed_at.is_none() => r,
            Some(_) => {
                return Err(ApiError::conflict(
                    "mfa_already_enabled",
                    "Two-factor sign-in is already on.",
                ))
            }
            None => return Err(ApiError::conflict(
                "mfa_not_started",
                "Start with POST /me/mfa/totp, scan the QR code, then confirm with the app's code.",
            )),
        };
    let codes = guarded(
        &cx.writer.db,
        &cx.actor,
        cx.p.user_id,
        &cx.p.email,
        now,
        async || {
            let Some(step) = matching_step(&totp(&row.secret, &cx.p.email)?, code, now) else {
                return Ok(None);
            };
            let ch = cx.begin().await?;
            let won = entity::mfa_totp::Entity::update_many()
                .col_expr(entity::mfa_totp::Column::ConfirmedAt, Expr::value(now))
                .col_expr(entity::mfa_totp::Column::LastStep, Expr::value(step))
                .filter(entity::mfa_totp::Column::UserId.eq(cx.p.user_id))
                .filter(entity::mfa_totp::Column::Secret.eq(row.secret.clone()))
                .filter(entity::mfa_totp::Column::ConfirmedAt.is_null())
                .exec(ch.db())
                .await?
                .rows_affected
                == 1;
            if !won {
                return Ok(None);
            }
            let codes = new_recovery_codes(ch.db(), cx.p.user_id, now).await?;
            if let Some(sid) = cx.p.session_id {
                entity::auth_session::Entity::update_many()
                    .col_expr(entity::auth_session::Column::Mfa, Expr::value(true))
                    .filter(entity::auth_session::Column::Id.eq(sid))
                    .exec(ch.db())
                    .await?;
            }
            ch.audit(Entry::new("mfa.enabled", "user", cx.p.user_id))
                .await?;
            ch.commit().await?;
            Ok(Some((codes, Settled::Passed)))
        },
    )
    .await?
    .ok_or_else(wrong_code)?;
    Ok(RecoveryCodesOut {
        recovery_codes: codes,
    })
}

/// Replaces the user's recovery codes with [`RECOVERY_CODES`] new ones, in
/// groups of four letters and digits (`k7mq-2xpa-9fzt`).
async fn new_recovery_codes(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<Vec<String>> {
    use entity::mfa_recovery_code::{ActiveModel, Column, Entity};
    Entity::delete_many()
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    // No 0/o, 1/l/i: codes are read off paper.
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let mut bytes = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let chars: Vec<char> = bytes
            .iter()
            .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
            .collect();
        let code = chars
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("-");
        ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id),
            code_hash: Set(recovery_hash(&code)),
            created_at: Set(now),
            used_at: Set(None),
        }
        .insert(db)
        .await?;
        codes.push(code);
    }
    Ok(codes)
}

/// Recovery codes are compared without dashes, spaces or case.
fn recovery_hash(code: &str) -> String {
    let canonical: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    sha256_hex(&format!("fieldnotes-recovery:{canonical}"))
}

/// How a second factor was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    Totp,
    RecoveryCode,
}

impl Factor {
    pub fn as_str(self) -> &'static str {
        match self {
            Factor::Totp => "totp",
            Factor::RecoveryCode => "recovery_code",
        }
    }
}

/// Uses up `code` for `user_id`: a current app code whose time step is
/// newer than the last accepted one, or an unused recovery code. Run it in
/// the transaction that acts on it; the conditional UPDATEs are the guard
/// against the same code being used twice at once.
pub async fn use_code(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    account: &str,
    code: &str,
    now: DateTime<Utc>,
) -> ApiResult<Option<Factor>> {
    let Some(row) = entity::mfa_totp::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|r| r.confirmed_at.is_some())
    else {
        return Ok(None);
    };
    if let Some(step) = matching_step(&totp(&row.secret, account)?, code, now) {
        use entity::mfa_totp::Column;
        let fresh = entity::mfa_totp::Entity::update_many()
            .col_expr(Column::LastStep, Expr::value(step))
            .filter(Column::UserId.eq(user_id))
            .filter(Column::LastStep.is_null().or(Column::LastStep.lt(step)))
            .exec(db)
            .await?
            .rows_affected
            == 1;
        return Ok(fresh.then_some(Factor::Totp));
    }
    if code.len() > 64 {
        return Ok(None);
    }
    use entity::mfa_recovery_code::Column;
    let used = entity::mfa_recovery_code::Entity::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::CodeHash.eq(recovery_hash(code)))
        .filter(Column::UsedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1;
    Ok(used.then_some(Factor::RecoveryCode))
}

/// Whether `user_id` signs in with a second factor.
pub async fn enabled(db: &impl ConnectionTrait, user_id: Uuid) -> ApiResult<bool> {
    Ok(entity::mfa_totp::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .is_some_and(|r| r.confirmed_at.is_some()))
}

/// Turns the second factor off; needs a current code from the app.
pub async fn disable(cx: &Ctx<'_>, code: &str) -> ApiResult<()> {
    with_app_code(cx, code, async |ch: &Change<'_>| {
        remove(ch.db(), cx.p.user_id).await?;
        ch.audit(Entry::new("mfa.disabled", "user", cx.p.user_id))
            .await
    })
    .await
}

/// Runs `act` in one change once `code` is a current code from the app
/// (a recovery code will not do), through the sign-in throttle
/// ([`guarded`]); the change is committed after `act`.
async fn with_app_code<T>(
    cx: &Ctx<'_>,
    code: &str,
    act: impl AsyncFnOnce(&Change<'_>) -> ApiResult<T>,
) -> ApiResult<T> {
    guarded(
        &cx.writer.db,
        &cx.actor,
        cx.p.user_id,
        &cx.p.email,
        cx.now(),
        async || {
            let ch = cx.begin().await?;
            match use_code(ch.db(), cx.p.user_id, &cx.p.email, code, cx.now()).await? {
                Some(Factor::Totp) => {}
                _ => return Ok(None),
            }
            let out = act(&ch).await?;
            ch.commit().await?;
            Ok(Some((out, Settled::Passed)))
        },
    )
    .await?
    .ok_or_else(wrong_code)
}

/// Makes new recovery codes (the old ones stop working); needs a current
/// code from the app, so a lost list is replaced by the person holding the
/// phone.
pub async fn renew_recovery_codes(cx: &Ctx<'_>, code: &str) -> ApiResult<RecoveryCodesOut> {
    let codes = with_app_code(cx, code, async |ch: &Change<'_>| {
        let codes = new_recovery_codes(ch.db(), cx.p.user_id, cx.now()).await?;
        ch.audit(Entry::new(
            "mfa.recovery_codes_renewed",
            "user",
            cx.p.user_id,
        ))
        .await?;
        Ok(codes)
    })
    .await?;
    Ok(RecoveryCodesOut {
        recovery_codes: codes,
    })
}

pub(crate) async fn remove(db: &impl ConnectionTrait, user_id: Uuid) -> ApiResult<()> {
    entity::mfa_totp::Entity::delete_by_id(user_id)
        .exec(db)
        .await?;
    entity::mfa_recovery_code::Entity::delete_many()
        .filter(entity::mfa_recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A correct password for someone with a second factor: the token that lets
/// [`crate::access::auth::login_mfa`] finish the sign-in.
pub async fn new_challenge(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    user_agent: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<String> {
    let token = random_token();
    entity::mfa_challenge::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        token_hash: Set(sha256_hex(&token)),
        user_agent: Set(user_agent),
        created_at: Set(now),
        expires_at: Set(now + CHALLENGE_TTL),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_step_and_its_neighbours_only() {
        let secret = Secret::Raw(vec![7u8; 20]).to_encoded().to_string();
        let t = totp(&secret, "a@example.org").expect("a generator");
        let now = DateTime::from_timestamp(1_800_000_000, 0).expect("a time");
        let step = 1_800_000_000 / 30;
        let code = t.generate(1_800_000_000);
        assert_eq!(matching_step(&t, &code, now), Some(step));
        let earlier = t.generate(1_800_000_000 - 30);
        assert_eq!(matching_step(&t, &earlier, now), Some(step - 1));
        let stale = t.generate(1_800_000_000 - 90);
        assert_ne!(stale, code);
        assert_eq!(matching_step(&t, &stale, now), None);
        assert_eq!(matching_step(&t, "12345", now), None);
        assert_eq!(matching_step(&t, "abcdef", now), None);
    }

    #[test]
    fn recovery_codes_compare_without_dashes_or_case() {
        assert_eq!(
            recovery_hash("k7mq-2xpa-9fzt"),
            recovery_hash("K7MQ 2XPA 9FZT")
        );
        assert_ne!(
            recovery_hash("k7mq-2xpa-9fzt"),
            recovery_hash("k7mq-2xpa-9fzu")
        );
    }
}
