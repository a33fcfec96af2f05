//! Field notes: idempotent create and sync (here), reads and search
//! (`reads`), versioned edits with If-Match, soft delete and restore
//! (`edits`).
pub mod edits;
pub mod reads;

pub use crate::notes::{
    edits::NotePatch,
    reads::{NoteHistory, NotePage, NoteQuery, NoteVersionOut},
    sync::{SyncOut, SyncResult, SyncStatus},
};
use actix_web::{post, web, HttpResponse};
pub use edits::*;
pub use reads::*;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::{
    app::state::AppState,
    http::extract::Json,
    kernel::{
        access::{Principal, RequestMeta},
        error::{ApiResult, Problem},
    },
    notes::{
        sync::{self, Written},
        NoteIn, NoteOut,
    },
};

pub(crate) fn with_etag(mut res: actix_web::HttpResponseBuilder, note: &NoteOut) -> HttpResponse {
    res.insert_header((actix_web::http::header::ETAG, note.etag()))
        .json(note)
}

/// Write a note. Sending the same id with the same content again returns
/// the stored note (200) and stores nothing twice; the same id with other
/// content is a 409.
#[utoipa::path(
    tag = "notes",
    request_body = NoteIn,
    responses(
        (status = 201, description = "Created", body = NoteOut, headers(("ETag" = String, description = "The note's version"))),
        (status = 200, description = "Already stored (a retry)", body = NoteOut, headers(("ETag" = String, description = "The note's version"))),
        (status = 409, description = "The id belongs to a different note", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/notes")]
pub async fn create_note(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<NoteIn>,
) -> ApiResult<HttpResponse> {
    let written = sync::create(&state.cx(&p, &meta), &state.known_sites, body.0).await?;
    Ok(match written {
        Written::Created(n) => with_etag(HttpResponse::Created(), &n),
        Written::Stored(n) => with_etag(HttpResponse::Ok(), &n),
    })
}

/// Up to 1000 notes from a phone's queue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncIn {
    #[schema(value_type = Vec<NoteIn>, max_items = 1000)]
    pub notes: Vec<serde_json::Value>,
}

/// Upload a phone's queue. All notes of a request are applied in one
/// transaction: a 200 means every `created` note is on disk; on any other
/// answer nothing was stored and the whole batch can be sent again. Sending
/// the same batch again changes nothing.
#[utoipa::path(
    tag = "notes",
    request_body = SyncIn,
    responses((status = 200, description = "A result per note", body = SyncOut))
)]
#[post("/notes/sync")]
pub async fn sync_notes(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<SyncIn, false>,
) -> ApiResult<HttpResponse> {
    let out = sync::sync(&state.cx(&p, &meta), &state.known_sites, body.0.notes).await?;
    Ok(HttpResponse::Ok().json(out))
}
