//! Writing notes from phones, idempotently: one note (`POST /notes`) or a
//! phone's queue (`POST /notes/sync`). A note sent again with the same id
//! and content is "already stored", never stored twice; a retry shows the
//! stored note only while its site is still the caller's.
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Applied, NoteIn, NoteOut};
use crate::{
    kernel::{
        ctx::Ctx,
        error::{ApiError, ApiResult, Problem},
        field::FieldProblem,
        wire::{check_strings, parse_value},
    },
    sites::KnownSites,
};

/// What became of one note sent.
pub enum Written {
    /// Stored now (201).
    Created(NoteOut),
    /// Stored before with this content (200): a retry.
    Stored(NoteOut),
}

/// Writes one note.
pub async fn create(cx: &Ctx<'_>, known_sites: &KnownSites, note: NoteIn) -> ApiResult<Written> {
    let notes = super::validate(cx.read, known_sites, cx.p, vec![Ok(note)], |_| {
        String::new()
    })
    .await?;
    let applied = cx
        .writer
        .notes(cx.p.user_id, cx.actor.clone(), notes)
        .await?;
    match applied.into_iter().next() {
        Some(Applied::Created(n)) => Ok(Written::Created(n)),
        // A retry answers with the stored note only while its site is the
        // caller's: after losing access they learn nothing more of it.
        Some(Applied::Unchanged(n)) if cx.p.can_see_site(n.site_id) => Ok(Written::Stored(n)),
        Some(Applied::Unchanged(_)) => Err(ApiError::NotFound("note")),
        Some(Applied::Rejected(e)) => Err(e),
        None => Err(ApiError::Internal(anyhow::anyhow!(
            "no result for one note"
        ))),
    }
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

/// Writes a phone's queue (up to [`super::MAX_SYNC`] notes, each a JSON
/// document read here so that one bad note is `invalid` and the rest are
/// stored), all in one transaction.
pub async fn sync(
    cx: &Ctx<'_>,
    known_sites: &KnownSites,
    raw: Vec<serde_json::Value>,
) -> ApiResult<SyncOut> {
    if raw.len() > super::MAX_SYNC {
        return Err(ApiError::field(
            "/notes",
            FieldProblem::TooMany {
                max: super::MAX_SYNC as u64,
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
    let notes = super::validate(cx.read, known_sites, cx.p, parsed, |i| {
        format!("/notes/{i}")
    })
    .await?;
    let applied = cx
        .writer
        .notes(cx.p.user_id, cx.actor.clone(), notes)
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
                note: cx.p.can_see_site(n.site_id).then_some(n),
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
    Ok(SyncOut { results })
}
