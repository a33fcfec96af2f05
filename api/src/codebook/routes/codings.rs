//! Passage codings: a code on a span of a note or a transcript, in Unicode
//! code points (`end` exclusive). Whole-note codes stay on the note's
//! `code_ids`.
use actix_web::{delete, get, patch, post, web, HttpResponse};
use uuid::Uuid;

pub use crate::codebook::codings::{CodingIn, CodingList, CodingOut, CodingPatch, CodingQuery};
pub use crate::codebook::retrieval::{PassageList, PassageQuery};
use crate::{
    app::state::AppState,
    codebook::{
        codings::{self, Target},
        retrieval,
    },
    http::extract::{Json, Query},
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
};

/// Code a passage of a note (its author or a coordinator).
#[utoipa::path(
    tag = "codebook",
    params(("id" = Uuid, Path, description = "Note id")),
    request_body = CodingIn,
    responses((status = 201, description = "Coded", body = CodingOut))
)]
#[post("/notes/{id}/codings")]
pub async fn code_note(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<CodingIn>,
) -> ApiResult<HttpResponse> {
    let out = codings::create(&state.cx(&p, &meta), Target::Note(*id), body.0).await?;
    Ok(HttpResponse::Created().json(out))
}

/// A note's passage codings, in text order.
#[utoipa::path(
    tag = "codebook",
    params(("id" = Uuid, Path, description = "Note id")),
    responses((status = 200, description = "Codings", body = CodingList))
)]
#[get("/notes/{id}/codings")]
pub async fn note_codings(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let out = codings::list_on(&state.cx(&p, &meta), Target::Note(*id)).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Code a passage of a transcript (coordinator).
#[utoipa::path(
    tag = "codebook",
    params(("id" = Uuid, Path, description = "Transcript id")),
    request_body = CodingIn,
    responses((status = 201, description = "Coded", body = CodingOut))
)]
#[post("/transcripts/{id}/codings")]
pub async fn code_transcript(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<CodingIn>,
) -> ApiResult<HttpResponse> {
    let out = codings::create(&state.cx(&p, &meta), Target::Transcript(*id), body.0).await?;
    Ok(HttpResponse::Created().json(out))
}

/// A transcript's passage codings, in text order.
#[utoipa::path(
    tag = "codebook",
    params(("id" = Uuid, Path, description = "Transcript id")),
    responses((status = 200, description = "Codings", body = CodingList))
)]
#[get("/transcripts/{id}/codings")]
pub async fn transcript_codings(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let out = codings::list_on(&state.cx(&p, &meta), Target::Transcript(*id)).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Passage codings at the caller's sites (coordinator); `anchored=false`
/// lists those an edit left without their words, to place again.
#[utoipa::path(
    tag = "codebook",
    params(CodingQuery),
    responses((status = 200, description = "Codings", body = CodingList))
)]
#[get("/codings")]
pub async fn list_codings(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: Query<CodingQuery>,
) -> ApiResult<HttpResponse> {
    let out = codings::list(&state.cx(&p, &meta), &q).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Place a coding on another passage of the current text; it is anchored
/// again.
#[utoipa::path(
    tag = "codebook",
    params(("id" = Uuid, Path, description = "Coding id")),
    request_body = CodingPatch,
    responses((status = 200, description = "Placed", body = CodingOut))
)]
#[patch("/codings/{id}")]
pub async fn place_coding(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<CodingPatch>,
) -> ApiResult<HttpResponse> {
    let out = codings::place(&state.cx(&p, &meta), *id, body.0).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Remove a passage coding.
#[utoipa::path(
    tag = "codebook",
    params(("id" = Uuid, Path, description = "Coding id")),
    responses((status = 204, description = "Removed"))
)]
#[delete("/codings/{id}")]
pub async fn delete_coding(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    codings::delete(&state.cx(&p, &meta), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Retrieval by code (coordinator): every passage coded with a code, and by
/// default with the codes under it, across notes and transcripts at the
/// caller's sites, each with its source, participants, wave and date. A
/// code on a whole note is a passage of the whole note.
#[utoipa::path(
    tag = "codebook",
    params(PassageQuery),
    responses((status = 200, description = "Passages, by date", body = PassageList))
)]
#[get("/passages")]
pub async fn list_passages(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: Query<PassageQuery>,
) -> ApiResult<HttpResponse> {
    let out = retrieval::list(&state.cx(&p, &meta), &q).await?;
    Ok(HttpResponse::Ok().json(out))
}
