//! Screening instruments (versioned; a used version never changes) and the
//! study's readiness settings.
use actix_web::{get, patch, post, put, web, HttpResponse};
use uuid::Uuid;

pub use crate::readiness::instruments::{
    InstrumentList, InstrumentOut, InstrumentQuery, ReadinessPatch,
};
use crate::{
    app::state::AppState,
    http::extract::{Json, Query},
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
    readiness::{self, instruments, rules::instruments::InstrumentDef, ReadinessSettings},
};

/// Every instrument version, by key then version. A small list, not paged.
#[utoipa::path(
    tag = "readiness",
    params(InstrumentQuery),
    responses((status = 200, description = "Instruments", body = InstrumentList))
)]
#[get("/instruments")]
pub async fn list_instruments(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: Query<InstrumentQuery>,
) -> ApiResult<HttpResponse> {
    let out = instruments::list(&state.cx(&p, &meta), &q).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// One instrument version.
#[utoipa::path(
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Instrument version id")),
    responses((status = 200, description = "The instrument", body = InstrumentOut))
)]
#[get("/instruments/{id}")]
pub async fn get_instrument(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let out = instruments::get(&state.cx(&p, &meta), *id).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Enter a study's own instrument (admin). It starts at version 1.
#[utoipa::path(
    tag = "readiness",
    request_body = InstrumentDef,
    responses(
        (status = 201, description = "Created", body = InstrumentOut),
        (status = 409, description = "Key in use", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/instruments")]
pub async fn create_instrument(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<InstrumentDef>,
) -> ApiResult<HttpResponse> {
    let out = instruments::create(&state.cx(&p, &meta), body.0).await?;
    Ok(HttpResponse::Created().json(out))
}

/// Add a new version of an instrument (admin). Earlier versions stay as they
/// were, with the screenings that used them; new screenings use the newest.
#[utoipa::path(
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Any version of the instrument")),
    request_body = InstrumentDef,
    responses((status = 201, description = "The new version", body = InstrumentOut))
)]
#[post("/instruments/{id}/versions")]
pub async fn create_instrument_version(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<InstrumentDef>,
) -> ApiResult<HttpResponse> {
    let out = instruments::create_version(&state.cx(&p, &meta), *id, body.0).await?;
    Ok(HttpResponse::Created().json(out))
}

/// Correct an instrument version no screening has used yet (admin). Built-in
/// and used versions are immutable: add a version instead.
#[utoipa::path(
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Instrument version id")),
    request_body = InstrumentDef,
    responses(
        (status = 200, description = "Replaced", body = InstrumentOut),
        (status = 409, description = "Used or built in", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/instruments/{id}")]
pub async fn replace_instrument(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<InstrumentDef>,
) -> ApiResult<HttpResponse> {
    let out = instruments::replace(&state.cx(&p, &meta), *id, body.0).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// The study's readiness settings.
#[utoipa::path(
    tag = "readiness",
    responses((status = 200, description = "Settings", body = ReadinessSettings))
)]
#[get("/settings/readiness")]
pub async fn get_readiness_settings(
    state: web::Data<AppState>,
    _signed_in: Principal,
) -> ApiResult<HttpResponse> {
    let s: ReadinessSettings = readiness::settings(&state.read).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Change the readiness settings (admin).
#[utoipa::path(
    tag = "readiness",
    request_body = ReadinessPatch,
    responses((status = 200, description = "Settings", body = ReadinessSettings))
)]
#[patch("/settings/readiness")]
pub async fn patch_readiness_settings(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<ReadinessPatch>,
) -> ApiResult<HttpResponse> {
    let out = instruments::patch_readiness(&state.cx(&p, &meta), body.0).await?;
    Ok(HttpResponse::Ok().json(out))
}
