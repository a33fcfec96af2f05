//! Sign-in, token refresh, sign-out, invitations and password resets.
use actix_web::{post, web, HttpResponse};
use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    auth::{password, Principal, RequestMeta},
    error::{ApiError, ApiResult},
    extract::Json,
    services::{
        self,
        audit::{self, Actor, Entry},
    },
    state::AppState,
};

/// Credentials for signing in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    #[schema(example = "coordinator@example.org")]
    pub email: String,
    pub password: String,
}

/// A token pair. Send the access token as `Authorization: Bearer …`; when it
/// expires, exchange the refresh token at `/auth/refresh` for a new pair.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    pub access_token: String,
    /// Single use: each refresh returns a new one and retires the old.
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
}

impl From<services::auth::Issued> for TokenOut {
    fn from(i: services::auth::Issued) -> Self {
        TokenOut {
            access_token: i.access_token,
            refresh_token: i.refresh_token,
            token_type: "Bearer".into(),
            expires_in: i.expires_in,
        }
    }
}

/// Sign in with email and password.
///
/// Repeated failures for one account or from one address are throttled with
/// 429 and `Retry-After`. The error never tells whether the email exists.
#[utoipa::path(
    tag = "auth",
    request_body = LoginIn,
    responses(
        (status = 200, description = "Signed in", body = TokenOut),
        (status = 401, description = "Wrong email or password", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: Json<LoginIn>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    if body.email.len() > 320 || body.password.len() > 1024 {
        return Err(ApiError::Unauthorized {
            code: "invalid_credentials",
            detail: "The email or password is wrong.".into(),
        });
    }
    let issued = services::auth::login(
        &state.sessions(),
        &body.email,
        body.password,
        &Actor::anonymous(&meta),
    )
    .await?;
    Ok(HttpResponse::Ok().json(TokenOut::from(issued)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshIn {
    pub refresh_token: String,
}

/// Exchange a refresh token for a new token pair.
///
/// The presented refresh token stops working. Presenting a refresh token that
/// was already used revokes every token of that sign-in (theft detection).
#[utoipa::path(
    tag = "auth",
    request_body = RefreshIn,
    responses(
        (status = 200, description = "New token pair", body = TokenOut),
        (status = 401, description = "Invalid, expired, revoked or reused refresh token", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: Json<RefreshIn>,
) -> ApiResult<HttpResponse> {
    let issued = services::auth::refresh(
        &state.sessions(),
        &body.refresh_token,
        &Actor::anonymous(&meta),
    )
    .await?;
    Ok(HttpResponse::Ok().json(TokenOut::from(issued)))
}

/// Sign out: revokes this sign-in, so its access and refresh tokens stop
/// working at once. With `?everywhere=true`, every sign-in of the user.
#[utoipa::path(
    tag = "auth",
    params(LogoutQuery),
    responses((status = 204, description = "Signed out")),
    security(("bearer" = []))
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: crate::extract::Query<LogoutQuery>,
) -> ApiResult<HttpResponse> {
    let txn = state.db.begin().await?;
    if q.everywhere.unwrap_or(false) {
        services::auth::revoke_all_sessions(&txn, p.user_id, "logout_everywhere").await?;
    } else if let Some(sid) = p.session_id {
        services::auth::revoke_session(&txn, sid, "logout").await?;
    } else {
        return Err(ApiError::BadRequest {
            code: "not_a_session",
            detail: "API keys do not sign in; revoke the key with DELETE /api-keys/{id}.".into(),
        });
    }
    audit::record(
        &txn,
        &Actor::new(&p, &meta),
        Entry::new("auth.logout", "user", p.user_id),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogoutQuery {
    /// Sign out of every device.
    pub everywhere: Option<bool>,
}

/// Setting a password with a token received by email.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenPasswordIn {
    /// The token from the emailed link.
    pub token: String,
    /// At least 12 characters.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
}

async fn set_password_with_token(
    state: &AppState,
    meta: &RequestMeta,
    body: TokenPasswordIn,
    purpose: &str,
) -> ApiResult<HttpResponse> {
    password::check_strength("/password", &body.password)
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let hash = password::hash(body.password).await?;
    let txn = state.db.begin().await?;
    let user_id = services::auth::consume_user_token(&txn, &body.token, purpose).await?;
    let user = entity::user::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    if !user.active {
        return Err(services::auth::invalid_link());
    }
    entity::user::ActiveModel {
        id: Set(user_id),
        password_hash: Set(Some(hash)),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    // A new password ends every existing sign-in.
    services::auth::revoke_all_sessions(&txn, user_id, "password_changed").await?;
    let mut actor = Actor::anonymous(meta);
    actor.user_id = Some(user_id);
    audit::record(
        &txn,
        &actor,
        Entry::new(
            if purpose == services::auth::PURPOSE_INVITATION {
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
    Ok(HttpResponse::NoContent().finish())
}

/// Accept an invitation: set a password with the token from the invitation email.
#[utoipa::path(
    tag = "auth",
    request_body = TokenPasswordIn,
    responses(
        (status = 204, description = "Password set; sign in with it"),
        (status = 422, description = "Invalid, expired or used token, or a weak password", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/invitations/accept")]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: Json<TokenPasswordIn>,
) -> ApiResult<HttpResponse> {
    set_password_with_token(&state, &meta, body.0, services::auth::PURPOSE_INVITATION).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetIn {
    pub email: String,
}

/// Ask for a password-reset link by email.
///
/// Always answers 202, whether or not the email belongs to an account.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordResetIn,
    responses((status = 202, description = "If the account exists, a link is on its way"))
)]
#[post("/auth/password-reset")]
pub async fn request_password_reset(
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: Json<PasswordResetIn>,
) -> ApiResult<HttpResponse> {
    let email = services::auth::normalize_email(&body.email);
    let user = entity::user::Entity::find()
        .filter(entity::user::Column::Email.eq(email))
        .filter(entity::user::Column::Active.eq(true))
        .one(&state.read)
        .await?;
    if let Some(user) = user {
        let txn = state.db.begin().await?;
        let token = services::auth::create_user_token(
            &txn,
            user.id,
            services::auth::PURPOSE_PASSWORD_RESET,
            Duration::hours(2),
        )
        .await?;
        services::outbox::enqueue(&txn, services::outbox::NewMail {
            to: user.email.clone(),
            subject: "Reset your Fieldnotes password".into(),
            body: format!(
                "Hello {},\n\nSomeone (hopefully you) asked to reset your Fieldnotes password.\nOpen this link within 2 hours to choose a new one:\n\n{}/#/reset?token={}\n\nIf it was not you, ignore this email; your password stays as it is.\n",
                user.display_name, state.settings.public_url, token
            ),
            dedupe_key: None,
        })
        .await?;
        let mut actor = Actor::anonymous(&meta);
        actor.user_id = Some(user.id);
        audit::record(
            &txn,
            &actor,
            Entry::new("auth.password_reset_requested", "user", user.id),
        )
        .await?;
        txn.commit().await?;
        state.outbox_wake.notify_one();
    }
    Ok(HttpResponse::Accepted().finish())
}

/// Set a new password with the token from a password-reset email.
#[utoipa::path(
    tag = "auth",
    request_body = TokenPasswordIn,
    responses(
        (status = 204, description = "Password changed; every sign-in ended"),
        (status = 422, description = "Invalid, expired or used token, or a weak password", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn confirm_password_reset(
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: Json<TokenPasswordIn>,
) -> ApiResult<HttpResponse> {
    set_password_with_token(
        &state,
        &meta,
        body.0,
        services::auth::PURPOSE_PASSWORD_RESET,
    )
    .await
}
