//! Consent, gated by readiness, and its withdrawal.
use actix_web::{get, post, web, HttpResponse};
use uuid::Uuid;

use crate::{
    app::state::AppState,
    http::extract::Json,
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
    participants::consents::{self, ConsentIn, ConsentList, ConsentOut, WithdrawIn, WithdrawOut},
};

/// Record consent. Refused with `not_ready` unless readiness for consent is
/// READY at this moment.
#[utoipa::path(
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Participant id")),
    request_body = ConsentIn,
    responses(
        (status = 201, description = "Consent recorded", body = ConsentOut),
        (status = 409, description = "Not ready, or participant not active", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/participants/{id}/consents")]
pub async fn create_consent(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<ConsentIn>,
) -> ApiResult<HttpResponse> {
    let out: ConsentOut = consents::create(&state.cx(&p, &meta), *id, body.0).await?;
    Ok(HttpResponse::Created().json(out))
}

/// A participant's consents, oldest first. A small list (one person's), not
/// paged.
#[utoipa::path(
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Participant id")),
    responses((status = 200, description = "Consents", body = ConsentList))
)]
#[get("/participants/{id}/consents")]
pub async fn list_consents(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let out: ConsentList = consents::list(&state.cx(&p, &meta), *id).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Record a withdrawal of consent (coordinator). The participant becomes
/// `withdrawn`. With `data_decision: delete` their screenings are deleted;
/// the audit log keeps that they existed (ids, who, when), never their answers.
#[utoipa::path(
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Consent id")),
    request_body = WithdrawIn,
    responses(
        (status = 200, description = "Withdrawn", body = WithdrawOut),
        (status = 409, description = "Already withdrawn", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/consents/{id}/withdraw")]
pub async fn withdraw_consent(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<WithdrawIn>,
) -> ApiResult<HttpResponse> {
    let out: WithdrawOut = consents::withdraw(&state.cx(&p, &meta), *id, body.0).await?;
    Ok(HttpResponse::Ok().json(out))
}
