//! Sign-in, token refresh, sign-out, invitations and password resets.
use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    app::state::AppState,
    http::extract::Json,
    kernel::{
        access::{Principal, RequestMeta},
        audit::Actor,
        error::{ApiError, ApiResult},
    },
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

impl From<crate::access::auth::Issued> for TokenOut {
    fn from(i: crate::access::auth::Issued) -> Self {
        TokenOut {
            access_token: i.access_token,
            refresh_token: i.refresh_token,
            token_type: "Bearer".into(),
            expires_in: i.expires_in,
        }
    }
}

/// The second sign-in step: the password was right and the account has a
/// second factor. Send the challenge with a code to `/auth/login/mfa`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaChallengeOut {
    /// Always true.
    pub mfa_required: bool,
    /// Single use; send it to `/auth/login/mfa`.
    pub challenge: String,
    /// Seconds the challenge stays valid.
    #[schema(example = 300)]
    pub expires_in: u64,
}

/// Either a token pair, or (for an account with a second factor) the
/// challenge for the second step.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginOut {
    Tokens(TokenOut),
    Mfa(MfaChallengeOut),
}

/// Sign in with email and password.
///
/// An account with a second factor gets `{"mfa_required": true, "challenge":
/// …}` and no tokens: finish at `/auth/login/mfa`. Repeated failures for
/// one account or from one address are throttled with 429 and
/// `Retry-After`. The error never tells whether the email exists.
#[utoipa::path(
    tag = "auth",
    request_body = LoginIn,
    responses(
        (status = 200, description = "Signed in, or the second step is needed", body = LoginOut),
        (status = 401, description = "Wrong email or password", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
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
    let outcome = crate::access::auth::login(
        &state.sessions(),
        &body.email,
        body.password,
        &Actor::anonymous(&meta),
        meta.user_agent.clone(),
    )
    .await?;
    let out = match outcome {
        crate::access::auth::LoginOutcome::Signed(issued) => LoginOut::Tokens(issued.into()),
        crate::access::auth::LoginOutcome::Challenge { token, expires_in } => {
            LoginOut::Mfa(MfaChallengeOut {
                mfa_required: true,
                challenge: token,
                expires_in,
            })
        }
    };
    Ok(HttpResponse::Ok().json(out))
}

/// The second sign-in step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginMfaIn {
    /// From the answer of `/auth/login`.
    #[schema(max_length = 256)]
    pub challenge: String,
    /// The 6 digits the authenticator app shows now, or an unused recovery code.
    #[schema(example = "123456", max_length = 64)]
    pub code: String,
}

/// Finish signing in with a second factor: the challenge from `/auth/login`
/// and a current code from the authenticator app, or a recovery code.
///
/// Each code works once, even within its 30 seconds. Wrong codes count as
/// failed sign-ins and are throttled like passwords.
#[utoipa::path(
    tag = "auth",
    request_body = LoginMfaIn,
    responses(
        (status = 200, description = "Signed in", body = TokenOut),
        (status = 401, description = "Wrong or used code, or an unknown, expired or used challenge", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login/mfa")]
pub async fn login_mfa(
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: Json<LoginMfaIn>,
) -> ApiResult<HttpResponse> {
    let issued = crate::access::auth::login_mfa(
        &state.sessions(),
        &body.challenge,
        &body.code,
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
        (status = 401, description = "Invalid, expired, revoked or reused refresh token", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: Json<RefreshIn>,
) -> ApiResult<HttpResponse> {
    let issued = crate::access::auth::refresh(
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
    responses((status = 204, description = "Signed out"))
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: crate::http::extract::Query<LogoutQuery>,
) -> ApiResult<HttpResponse> {
    crate::access::auth::logout(&state.cx(&p, &meta), q.everywhere.unwrap_or(false)).await?;
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

/// An emailed link's token, to check.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenIn {
    /// The token from the emailed link.
    #[schema(min_length = 1, max_length = 256)]
    pub token: String,
}

/// Whether an invitation link still works, without using it: 204, or 422
/// `invalid_token` at `/token` (unknown, expired, used, or its person
/// disabled). The page of the link asks before a password is typed.
#[utoipa::path(
    tag = "auth",
    request_body = TokenIn,
    responses(
        (status = 204, description = "The link works"),
        (status = 422, description = "Invalid, expired or used token", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/invitations/check")]
pub async fn check_invitation(
    state: web::Data<AppState>,
    body: Json<TokenIn>,
) -> ApiResult<HttpResponse> {
    crate::access::auth::check_user_token(
        &state.read,
        &body.token,
        crate::access::auth::PURPOSE_INVITATION,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Whether a password-reset link still works, without using it: 204, or
/// 422 `invalid_token` at `/token`.
#[utoipa::path(
    tag = "auth",
    request_body = TokenIn,
    responses(
        (status = 204, description = "The link works"),
        (status = 422, description = "Invalid, expired or used token", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password-reset/check")]
pub async fn check_password_reset(
    state: web::Data<AppState>,
    body: Json<TokenIn>,
) -> ApiResult<HttpResponse> {
    crate::access::auth::check_user_token(
        &state.read,
        &body.token,
        crate::access::auth::PURPOSE_PASSWORD_RESET,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn set_password_with_token(
    state: &AppState,
    meta: &RequestMeta,
    body: TokenPasswordIn,
    purpose: &str,
) -> ApiResult<HttpResponse> {
    let mailed = crate::access::auth::set_password_with_token(
        &state.sessions(),
        &Actor::anonymous(meta),
        &body.token,
        body.password,
        purpose,
    )
    .await?;
    if mailed {
        state.outbox_wake.notify_one();
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Accept an invitation: set a password with the token from the invitation email.
#[utoipa::path(
    tag = "auth",
    request_body = TokenPasswordIn,
    responses(
        (status = 204, description = "Password set; sign in with it"),
        (status = 422, description = "Invalid, expired or used token, or a weak password", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/invitations/accept")]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: Json<TokenPasswordIn>,
) -> ApiResult<HttpResponse> {
    set_password_with_token(
        &state,
        &meta,
        body.0,
        crate::access::auth::PURPOSE_INVITATION,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetIn {
    pub email: String,
}

/// Ask for a password-reset link by email.
///
/// Always answers 202, at once, whether or not the email belongs to an
/// account; an account gets at most 3 links an hour, and requests from one
/// address lead to at most 10 links an hour.
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
    // The answer leaves before the lookup: it takes the same time whether
    // or not the address has an account.
    let actor = Actor::anonymous(&meta);
    let email = body.0.email;
    let state = state.into_inner();
    actix_web::rt::spawn(async move {
        match crate::access::auth::request_password_reset(
            &state.sessions(),
            &state.read,
            &actor,
            &email,
        )
        .await
        {
            Ok(true) => state.outbox_wake.notify_one(),
            Ok(false) => {}
            Err(e) => tracing::error!(error = ?e, "a password reset could not be queued"),
        }
    });
    Ok(HttpResponse::Accepted().finish())
}

/// Set a new password with the token from a password-reset email.
#[utoipa::path(
    tag = "auth",
    request_body = TokenPasswordIn,
    responses(
        (status = 204, description = "Password changed; every sign-in, API key and calendar feed of the user ended, and the user told by mail"),
        (status = 422, description = "Invalid, expired or used token, or a weak password", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
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
        crate::access::auth::PURPOSE_PASSWORD_RESET,
    )
    .await
}
