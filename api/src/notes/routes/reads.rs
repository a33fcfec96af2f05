//! Reading notes: a page (with full-text search), one note, its history.
use actix_web::{get, web, HttpResponse};
use uuid::Uuid;

use crate::http::conditional::tagged;
use crate::{
    app::state::AppState,
    http::extract::Query,
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
    notes::{
        reads::{self as note_reads, NoteHistory, NotePage, NoteQuery},
        NoteOut,
    },
};
use actix_web::{http::StatusCode, HttpRequest};

/// Notes at the caller's sites.
#[utoipa::path(
    tag = "notes",
    params(NoteQuery),
    responses((status = 200, description = "Notes", body = NotePage))
)]
#[get("/notes")]
pub async fn list_notes(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: Query<NoteQuery>,
) -> ApiResult<HttpResponse> {
    let page: NotePage = note_reads::list(&state.cx(&p, &meta), &q).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One note, deleted or not. The ETag is its version.
#[utoipa::path(
    tag = "notes",
    params(("id" = Uuid, Path, description = "Note id")),
    responses(
        (status = 200, description = "The note", body = NoteOut, headers(("ETag" = String, description = "The note's version"))),
        (status = 304, description = "The note is unchanged since the `If-None-Match` tag", headers(("ETag" = String, description = "The note's version"))),
    )
)]
#[get("/notes/{id}")]
pub async fn get_note(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let note = note_reads::get(&state.cx(&p, &meta), *id).await?;
    Ok(tagged(&req, StatusCode::OK, note.etag(), &note))
}

/// Every version of a note.
#[utoipa::path(
    tag = "notes",
    params(("id" = Uuid, Path, description = "Note id")),
    responses((status = 200, description = "History", body = NoteHistory))
)]
#[get("/notes/{id}/history")]
pub async fn note_history(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let history: NoteHistory = note_reads::history(&state.cx(&p, &meta), *id).await?;
    Ok(HttpResponse::Ok().json(history))
}
