//! Changing notes: versioned edits with If-Match, soft delete and restore.
use actix_web::HttpRequest;
use actix_web::{delete, patch, post, web, HttpResponse};
use uuid::Uuid;

use super::with_etag;
use crate::{
    app::state::AppState,
    http::{conditional::if_match, extract::Json},
    kernel::{
        access::{Principal, RequestMeta},
        error::{ApiResult, Problem},
    },
    notes::{
        edits::{self as note_edits, NotePatch, RedactIn, RedactOut},
        NoteOut,
    },
};

/// Change a note. Requires `If-Match` with the ETag the change is based on
/// (or `*` for whatever is current): 428 without it, 412 (with the current
/// note and its `ETag`) when someone changed it first. A change that
/// changes nothing answers the current note and makes no new version.
#[utoipa::path(
    tag = "notes",
    params(
        ("id" = Uuid, Path, description = "Note id"),
        ("If-Match" = String, Header, description = "The ETag the change is based on, or `*`"),
    ),
    request_body = NotePatch,
    responses(
        (status = 200, description = "Changed", body = NoteOut, headers(("ETag" = String, description = "The new version"))),
        (status = 412, description = "Changed by someone else; `current` holds their version", body = Problem, content_type = "application/problem+json", headers(("ETag" = String, description = "The current version"))),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/notes/{id}")]
pub async fn patch_note(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<NotePatch>,
) -> ApiResult<HttpResponse> {
    let note = note_edits::patch(&state.cx(&p, &meta), *id, if_match(&req), body.0).await?;
    Ok(with_etag(HttpResponse::Ok(), &note))
}

/// Delete a note (its author, a coordinator or an admin). The note is kept,
/// marked deleted, and can be restored by a coordinator. Deleting a deleted
/// note changes nothing.
#[utoipa::path(
    tag = "notes",
    params(("id" = Uuid, Path, description = "Note id")),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/notes/{id}")]
pub async fn delete_note(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    note_edits::delete(&state.cx(&p, &meta), *id, if_match(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Restore a deleted note (coordinator).
#[utoipa::path(
    tag = "notes",
    params(("id" = Uuid, Path, description = "Note id")),
    responses(
        (status = 200, description = "Restored", body = NoteOut),
        (status = 409, description = "Not deleted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/notes/{id}/restore")]
pub async fn restore_note(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let note = note_edits::restore(&state.cx(&p, &meta), *id).await?;
    Ok(with_etag(HttpResponse::Ok(), &note))
}

/// Erase a slip (a real name, another identifier) for good: the text of
/// every earlier version of the note, and its own text when it is deleted,
/// so search no longer finds it (coordinator). Fix the current text with an
/// edit first. The audit log keeps who, when and why, never the words.
#[utoipa::path(
    tag = "notes",
    params(("id" = Uuid, Path, description = "Note id")),
    request_body = RedactIn,
    responses((status = 200, description = "Erased", body = RedactOut))
)]
#[post("/notes/{id}/redact")]
pub async fn redact_note(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<RedactIn>,
) -> ApiResult<HttpResponse> {
    let out: RedactOut = note_edits::redact(&state.cx(&p, &meta), *id, body.0).await?;
    Ok(HttpResponse::Ok().json(out))
}
