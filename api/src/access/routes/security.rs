//! Two-factor sign-in, a person's sign-ins (devices), and the study's
//! sign-in rules.
use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    access::{
        auth::{self as sessions, CredentialsEnded, SessionOut},
        mfa::{self, EnrolOut, MfaStatusOut, RecoveryCodesOut, SecondFactorCodeIn},
    },
    app::state::AppState,
    http::extract::Json,
    kernel::{
        access::{
            rules::{SecurityPatch, SecuritySettings},
            Principal, RequestMeta,
        },
        error::ApiResult,
    },
};

/// The caller's second factor: on, pending, required, recovery codes left.
#[utoipa::path(
    tag = "security",
    responses((status = 200, description = "Second factor", body = MfaStatusOut))
)]
#[get("/me/mfa")]
pub async fn get_mfa(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(mfa::status(&state.cx(&p, &meta)).await?))
}

/// Start setting up an authenticator app (TOTP): a new secret, its
/// `otpauth://` address and a QR code to scan. Nothing changes at sign-in
/// until the app's first code confirms it.
#[utoipa::path(
    tag = "security",
    responses(
        (status = 201, description = "Scan the QR code, then confirm with a code", body = EnrolOut),
        (status = 409, description = "Already on; turn it off first", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/me/mfa/totp")]
pub async fn enrol_totp(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(mfa::enrol(&state.cx(&p, &meta)).await?))
}

/// Turn two-factor sign-in on with the app's first code. Answers 10
/// single-use recovery codes, shown only now.
#[utoipa::path(
    tag = "security",
    request_body = SecondFactorCodeIn,
    responses(
        (status = 200, description = "On; write the recovery codes down", body = RecoveryCodesOut),
        (status = 409, description = "Not started, or already on", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong code", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/me/mfa/totp/confirm")]
pub async fn confirm_totp(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<SecondFactorCodeIn>,
) -> ApiResult<HttpResponse> {
    let out = mfa::confirm(&state.cx(&p, &meta), &body.code).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Make new recovery codes, when the list is lost or used up: the old ones
/// stop working. Needs a current code from the app (not a recovery code).
#[utoipa::path(
    tag = "security",
    request_body = SecondFactorCodeIn,
    responses(
        (status = 200, description = "New codes; write them down", body = RecoveryCodesOut),
        (status = 422, description = "Wrong code, or two-factor sign-in is off", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/me/mfa/recovery-codes")]
pub async fn renew_recovery_codes(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<SecondFactorCodeIn>,
) -> ApiResult<HttpResponse> {
    let out = mfa::renew_recovery_codes(&state.cx(&p, &meta), &body.code).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Turn two-factor sign-in off; needs a current code from the app.
#[utoipa::path(
    tag = "security",
    request_body = SecondFactorCodeIn,
    responses(
        (status = 204, description = "Off"),
        (status = 422, description = "Wrong code", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/me/mfa")]
pub async fn disable_mfa(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<SecondFactorCodeIn>,
) -> ApiResult<HttpResponse> {
    mfa::disable(&state.cx(&p, &meta), &body.code).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Reset a user's second factor (admin), when their phone is lost: the app
/// and recovery codes are removed, every sign-in of theirs ends, and they
/// are told by mail.
#[utoipa::path(
    tag = "security",
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 204, description = "Reset"))
)]
#[delete("/users/{id}/mfa")]
pub async fn reset_user_mfa(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    sessions::admin_reset(&state.cx(&p, &meta), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's sign-ins that still work: each device or browser, with when
/// it signed in, when it was last used, and its user agent.
#[utoipa::path(
    tag = "security",
    responses((status = 200, description = "Sign-ins", body = [SessionOut]))
)]
#[get("/me/sessions")]
pub async fn list_my_sessions(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(sessions::list_sessions(&state.cx(&p, &meta)).await?))
}

/// End one of the caller's sign-ins (a lost phone): its tokens stop working
/// at once, and the app on it clears its cached data when it next connects.
#[utoipa::path(
    tag = "security",
    params(("id" = Uuid, Path, description = "Sign-in id")),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "No such sign-in of the caller", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/me/sessions/{id}")]
pub async fn end_my_session(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    sessions::end_session(&state.cx(&p, &meta), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// How many sign-ins were ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndedOut {
    pub ended: u64,
}

/// End every sign-in of a user (admin).
#[utoipa::path(
    tag = "security",
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, description = "Ended", body = EndedOut))
)]
#[delete("/users/{id}/sessions")]
pub async fn end_user_sessions(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let ended = sessions::end_user_sessions(&state.cx(&p, &meta), *id).await?;
    Ok(HttpResponse::Ok().json(EndedOut { ended }))
}

/// End every credential of a person at once (admin): their sign-ins on
/// every device, their API keys and their calendar feeds. For a lost phone
/// or someone leaving the team. Audited (`user.credentials_ended`), and the
/// person is told by mail; their account stays.
#[utoipa::path(
    tag = "security",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "Ended", body = CredentialsEnded),
        (status = 404, description = "No such user", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/users/{id}/credentials")]
pub async fn end_user_credentials(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let ended = sessions::end_user_credentials(&state.cx(&p, &meta), *id).await?;
    Ok(HttpResponse::Ok().json(ended))
}

/// The study's sign-in rules (admin).
#[utoipa::path(
    tag = "security",
    responses((status = 200, description = "Rules", body = SecuritySettings))
)]
#[get("/settings/security")]
pub async fn get_security_settings(
    state: web::Data<AppState>,
    _signed_in: Principal,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(mfa::security_settings(&state.read).await?))
}

/// Change which roles must sign in with a second factor (admin). People of
/// those roles without one may only set it up until they do.
#[utoipa::path(
    tag = "security",
    request_body = SecurityPatch,
    responses((status = 200, description = "Rules", body = SecuritySettings))
)]
#[patch("/settings/security")]
pub async fn patch_security_settings(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<SecurityPatch>,
) -> ApiResult<HttpResponse> {
    let out = mfa::save_security(&state.cx(&p, &meta), body.0).await?;
    Ok(HttpResponse::Ok().json(out))
}
