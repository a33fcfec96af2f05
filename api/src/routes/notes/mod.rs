//! Field notes: idempotent create and sync (here), reads and search
//! (`reads`), versioned edits with If-Match, soft delete and restore
//! (`edits`).
pub mod edits;
pub mod reads;

use crate::domain::field::FieldProblem;
pub use crate::services::{
    note_edits::NotePatch,
    note_reads::{NoteHistory, NotePage, NoteQuery, NoteVersionOut},
};
use actix_web::{post, web, HttpResponse};
pub use edits::*;
pub use reads::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{Principal, RequestMeta},
    error::{ApiError, ApiResult, Problem},
    extract::{check_strings, parse_value, Json},
    services::{
        audit::Actor,
        notes::{self as svc, Applied, NoteIn, NoteOut},
    },
    state::AppState,
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
    let notes = svc::validate(
        &state.read,
        &state.known_sites,
        &p,
        vec![Ok(body.0)],
        |_| String::new(),
    )
    .await?;
    let applied = state
        .writer
        .notes(p.user_id, Actor::new(&p, &meta), notes)
        .await?;
    match applied.into_iter().next() {
        Some(Applied::Created(n)) => Ok(with_etag(HttpResponse::Created(), &n)),
        // A retry answers with the stored note only while its site is the
        // caller's: after losing access they learn nothing more of it.
        Some(Applied::Unchanged(n)) if p.can_see_site(n.site_id) => {
            Ok(with_etag(HttpResponse::Ok(), &n))
        }
        Some(Applied::Unchanged(_)) => Err(ApiError::NotFound("note")),
        Some(Applied::Rejected(e)) => Err(e),
        None => Err(ApiError::Internal(anyhow::anyhow!(
            "no result for one note"
        ))),
    }
}

/// Up to 1000 notes from a phone's queue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncIn {
    #[schema(value_type = Vec<NoteIn>, max_items = 1000)]
    pub notes: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    /// Stored now.
    Created,
    /// Was already stored with this content: drop it from the queue.
    Unchanged,
    /// The id belongs to a different note: keep it and resend with a new id.
    Conflict,
    /// Refused; `problem` says which field. Fix it before sending again.
    Invalid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncResult {
    /// Position in the request.
    pub index: usize,
    /// The note's id, when the request had a readable one.
    pub id: Option<Uuid>,
    pub status: SyncStatus,
    /// The note as stored; absent when it was not stored, and for a retry
    /// of a note at a site the caller no longer has access to.
    pub note: Option<NoteOut>,
    pub problem: Option<Problem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncOut {
    /// One per note, in request order.
    pub results: Vec<SyncResult>,
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
    let raw = body.0.notes;
    if raw.len() > svc::MAX_SYNC {
        return Err(ApiError::field(
            "/notes",
            FieldProblem::TooMany {
                max: svc::MAX_SYNC as u64,
            },
        ));
    }
    let ids: Vec<Option<Uuid>> = raw
        .iter()
        .map(|v| {
            v.get("id")
                .and_then(|i| i.as_str())
                .and_then(|s| s.parse().ok())
        })
        .collect();
    let parsed: Vec<Result<NoteIn, ApiError>> = raw
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            // Each note's dates and strings on their own: one bad date or a
            // NUL marks that note invalid, not the whole batch.
            check_strings(&v, &format!("/notes/{i}"))?;
            parse_value::<NoteIn>(v).map_err(|e| match e {
                ApiError::Validation(errs) => ApiError::Validation(
                    errs.into_iter()
                        .map(|f| f.under(&format!("/notes/{i}")))
                        .collect(),
                ),
                other => other,
            })
        })
        .collect();
    let notes = svc::validate(&state.read, &state.known_sites, &p, parsed, |i| {
        format!("/notes/{i}")
    })
    .await?;
    let applied = state
        .writer
        .notes(p.user_id, Actor::new(&p, &meta), notes)
        .await?;
    let results = applied
        .into_iter()
        .zip(ids)
        .enumerate()
        .map(|(index, (a, id))| match a {
            Applied::Created(n) => SyncResult {
                index,
                id: Some(n.id),
                status: SyncStatus::Created,
                note: Some(n),
                problem: None,
            },
            // Stored before: the phone drops it from its queue, but sees the
            // stored note only while its site is still the caller's.
            Applied::Unchanged(n) => SyncResult {
                index,
                id: Some(n.id),
                status: SyncStatus::Unchanged,
                note: p.can_see_site(n.site_id).then_some(n),
                problem: None,
            },
            Applied::Rejected(e) => {
                let problem = e.to_problem();
                SyncResult {
                    index,
                    id,
                    status: if problem.status == 409 {
                        SyncStatus::Conflict
                    } else {
                        SyncStatus::Invalid
                    },
                    note: None,
                    problem: Some(problem),
                }
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(SyncOut { results }))
}
