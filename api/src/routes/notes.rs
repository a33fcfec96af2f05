//! Field notes: idempotent create and sync, search, versioned edits with
//! If-Match, soft delete and restore, history.
use actix_web::{delete, get, http::StatusCode, patch, post, web, HttpRequest, HttpResponse};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    sea_query::{Expr, Query as SqlQuery},
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    auth::{Principal, RequestMeta, Scope},
    error::{ApiError, ApiResult, FieldError, Problem},
    extract::{check_dates, parse_value, Json, Query},
    services::{
        audit::{self, Actor, Entry},
        notes::{self as svc, Applied, Location, NoteIn, NoteOut},
        search,
    },
    state::AppState,
};

fn with_etag(mut res: actix_web::HttpResponseBuilder, note: &NoteOut) -> HttpResponse {
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
    ),
    security(("bearer" = []))
)]
#[post("/notes")]
pub async fn create_note(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<NoteIn>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::NotesWrite)?;
    let notes = svc::validate(
        &state.read,
        &state.known_sites,
        &p,
        vec![Ok(body.0)],
        |_| String::new(),
    )
    .await?;
    let applied = svc::apply(&state.writer, p.user_id, Actor::new(&p, &meta), notes).await?;
    match applied.into_iter().next() {
        Some(Applied::Created(n)) => Ok(with_etag(HttpResponse::Created(), &n)),
        Some(Applied::Unchanged(n)) => Ok(with_etag(HttpResponse::Ok(), &n)),
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
    responses((status = 200, description = "A result per note", body = SyncOut)),
    security(("bearer" = []))
)]
#[post("/notes/sync")]
pub async fn sync_notes(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<SyncIn, false>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::NotesWrite)?;
    let raw = body.0.notes;
    if raw.len() > svc::MAX_SYNC {
        return Err(ApiError::field(
            "/notes",
            format!("at most {} notes per request", svc::MAX_SYNC),
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
            // Each note's dates on their own: one bad date marks that note
            // invalid, not the whole batch.
            check_dates(&v, &format!("/notes/{i}"))?;
            parse_value::<NoteIn>(v).map_err(|e| match e {
                ApiError::Validation(errs) => ApiError::Validation(
                    errs.into_iter()
                        .map(|f| FieldError::new(format!("/notes/{i}{}", f.pointer), f.detail))
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
    let applied = svc::apply(&state.writer, p.user_id, Actor::new(&p, &meta), notes).await?;
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
            Applied::Unchanged(n) => SyncResult {
                index,
                id: Some(n.id),
                status: SyncStatus::Unchanged,
                note: Some(n),
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

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NoteQuery {
    pub site_id: Option<Uuid>,
    pub participant_id: Option<Uuid>,
    pub code_id: Option<Uuid>,
    pub author_id: Option<Uuid>,
    pub location: Option<Location>,
    /// Observed at or after.
    pub from: Option<DateTime<Utc>>,
    /// Observed before.
    pub to: Option<DateTime<Utc>>,
    /// Full-text search: every word must occur (as a word or the start of
    /// one), case-insensitive.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Include deleted notes.
    pub include_deleted: Option<bool>,
    /// 1 to 200, default 50.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of notes, newest observation first (ties by id).
#[derive(Debug, Serialize, ToSchema)]
pub struct NotePage {
    pub items: Vec<NoteOut>,
    pub next_cursor: Option<String>,
}

fn encode_cursor(n: &NoteOut) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", n.observed_at.timestamp_micros(), n.id))
}

fn decode_cursor(c: &str) -> ApiResult<(DateTime<Utc>, Uuid)> {
    let bad = || ApiError::field("/cursor", "not a cursor this service gave out");
    let raw = URL_SAFE_NO_PAD.decode(c).map_err(|_| bad())?;
    let s = String::from_utf8(raw).map_err(|_| bad())?;
    let (t, id) = s.split_once('|').ok_or_else(bad)?;
    let t = DateTime::from_timestamp_micros(t.parse().map_err(|_| bad())?).ok_or_else(bad)?;
    Ok((t, id.parse().map_err(|_| bad())?))
}

/// Notes at the caller's sites.
#[utoipa::path(
    tag = "notes",
    params(NoteQuery),
    responses((status = 200, description = "Notes", body = NotePage)),
    security(("bearer" = []))
)]
#[get("/notes")]
pub async fn list_notes(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: Query<NoteQuery>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::NotesRead)?;
    let limit = super::limit(q.limit)?;
    use entity::note::{Column, Entity};
    let mut sel = Entity::find()
        .order_by_desc(Column::ObservedAt)
        .order_by_desc(Column::Id)
        .limit(limit + 1);
    if let Some(ids) = p.visible_sites() {
        sel = sel.filter(Column::SiteId.is_in(ids.to_vec()));
    }
    if !q.include_deleted.unwrap_or(false) {
        sel = sel.filter(Column::DeletedAt.is_null());
    }
    if let Some(s) = q.site_id {
        sel = sel.filter(Column::SiteId.eq(s));
    }
    if let Some(a) = q.author_id {
        sel = sel.filter(Column::AuthorId.eq(a));
    }
    if let Some(l) = q.location {
        sel = sel.filter(Column::Location.eq(l.as_str()));
    }
    if let Some(f) = q.from {
        sel = sel.filter(Column::ObservedAt.gte(f.trunc_subsecs(6)));
    }
    if let Some(t) = q.to {
        sel = sel.filter(Column::ObservedAt.lt(t.trunc_subsecs(6)));
    }
    if let Some(pid) = q.participant_id {
        sel = sel.filter(
            Column::Id.in_subquery(
                SqlQuery::select()
                    .column(entity::note_participant::Column::NoteId)
                    .from(entity::note_participant::Entity)
                    .and_where(entity::note_participant::Column::ParticipantId.eq(pid))
                    .to_owned(),
            ),
        );
    }
    if let Some(cid) = q.code_id {
        sel = sel.filter(
            Column::Id.in_subquery(
                SqlQuery::select()
                    .column(entity::note_code::Column::NoteId)
                    .from(entity::note_code::Entity)
                    .and_where(entity::note_code::Column::CodeId.eq(cid))
                    .to_owned(),
            ),
        );
    }
    if let Some(text) = &q.q {
        if text.chars().count() > 200 {
            return Err(ApiError::field("/q", "must be at most 200 characters"));
        }
        let terms = search::terms(text);
        if terms.is_empty() {
            return Err(ApiError::field(
                "/q",
                "give at least one word to search for",
            ));
        }
        let others = q.author_id.is_some()
            || q.location.is_some()
            || q.from.is_some()
            || q.to.is_some()
            || q.participant_id.is_some()
            || q.code_id.is_some()
            || q.include_deleted.unwrap_or(false);
        let scope = match (q.site_id, p.visible_sites()) {
            _ if others => search::Scope::Other,
            (Some(site), _) if p.can_see_site(site) => search::Scope::Site(site),
            (Some(_), _) => search::Scope::Other,
            (None, None) => search::Scope::AllSites,
            (None, Some([site])) => search::Scope::Site(*site),
            (None, Some(_)) => search::Scope::Other,
        };
        sel = sel.filter(search::condition(&state.read, &terms, limit + 1, scope).await?);
    }
    if let Some(c) = &q.cursor {
        let (t, id) = decode_cursor(c)?;
        sel = sel.filter(
            Condition::any().add(Column::ObservedAt.lt(t)).add(
                Condition::all()
                    .add(Column::ObservedAt.eq(t))
                    .add(Column::Id.lt(id)),
            ),
        );
    }
    // A search on SQLite looks at a bounded number of notes whatever the
    // word (see services::search), so it reads whole notes at once. Other
    // lists take two steps: the page's ids (sorting only keys, not whole
    // notes, when a filter matches thousands), then the notes.
    let mut rows: Vec<entity::note::Model> =
        if q.q.is_some() && state.read.get_database_backend() == DatabaseBackend::Sqlite {
            sel.all(&state.read).await?
        } else {
            let ids: Vec<Uuid> = sel
                .select_only()
                .column(Column::Id)
                .into_tuple()
                .all(&state.read)
                .await?;
            let mut found: std::collections::HashMap<Uuid, entity::note::Model> = Entity::find()
                .filter(Column::Id.is_in(ids.clone()))
                .all(&state.read)
                .await?
                .into_iter()
                .map(|m| (m.id, m))
                .collect();
            ids.iter().filter_map(|id| found.remove(id)).collect()
        };
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let items = svc::with_links(&state.read, rows).await?;
    let next_cursor = if more {
        items.last().map(encode_cursor)
    } else {
        None
    };
    audit::log(
        &state.writer,
        &Actor::new(&p, &meta),
        Entry {
            action: "note.list",
            object_type: "note",
            object_id: None,
            site_id: q.site_id,
            detail: Some(serde_json::json!({
                "count": items.len(),
                "search": q.q.is_some(),
                "ids": items.iter().map(|n| n.id).collect::<Vec<_>>(),
            })),
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(NotePage { items, next_cursor }))
}

async fn visible_note(
    db: &impl sea_orm::ConnectionTrait,
    p: &Principal,
    id: Uuid,
) -> ApiResult<(entity::note::Model, NoteOut)> {
    svc::load(db, vec![id])
        .await?
        .remove(&id)
        .filter(|(m, _)| p.can_see_site(m.site_id))
        .ok_or(ApiError::NotFound("note"))
}

/// One note, deleted or not. The ETag is its version.
#[utoipa::path(
    tag = "notes",
    params(("id" = Uuid, Path, description = "Note id")),
    responses((status = 200, description = "The note", body = NoteOut, headers(("ETag" = String, description = "The note's version")))),
    security(("bearer" = []))
)]
#[get("/notes/{id}")]
pub async fn get_note(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::NotesRead)?;
    let (m, note) = visible_note(&state.read, &p, *id).await?;
    audit::log(
        &state.writer,
        &Actor::new(&p, &meta),
        Entry::new("note.read", "note", m.id).site(Some(m.site_id)),
    )
    .await?;
    Ok(with_etag(HttpResponse::Ok(), &note))
}

/// Changes to a note; absent fields stay as they are. The site cannot change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotePatch {
    pub observed_at: Option<DateTime<Utc>>,
    pub location: Option<Location>,
    #[schema(min_length = 1, max_length = 100000)]
    pub body: Option<String>,
    #[schema(max_items = 50)]
    pub participant_ids: Option<Vec<Uuid>>,
    #[schema(max_items = 50)]
    pub code_ids: Option<Vec<Uuid>>,
}

/// The version an `If-Match` names; `None` when the header is absent. A
/// value that is no ETag of ours can match no version (`Some(-1)`, a 412).
fn if_match(req: &HttpRequest) -> Option<i32> {
    let v = req.headers().get(actix_web::http::header::IF_MATCH)?;
    let s = v.to_str().unwrap_or_default().trim();
    let s = s.strip_prefix("W/").unwrap_or(s);
    Some(s.trim_matches('"').parse().unwrap_or(-1))
}

fn stale(current: &NoteOut) -> ApiError {
    ApiError::status(
        StatusCode::PRECONDITION_FAILED,
        "version_mismatch",
        format!(
            "Someone changed this note since you loaded it; it is now at version {}. Compare both and send your change again with If-Match: {}.",
            current.version,
            current.etag()
        ),
    )
    .with("current", serde_json::json!(current))
}

fn may_edit(p: &Principal, m: &entity::note::Model) -> ApiResult<()> {
    if m.author_id == p.user_id || p.require_coordinator().is_ok() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "Only the note's author or a coordinator can change it.".into(),
        ))
    }
}

/// Bumps the version only if it is still `expected`; false when someone else
/// changed the note first.
async fn bump(
    txn: &sea_orm::DatabaseTransaction,
    id: Uuid,
    expected: i32,
    now: DateTime<Utc>,
    set: Vec<(entity::note::Column, sea_orm::Value)>,
) -> ApiResult<bool> {
    use entity::note::{Column, Entity};
    let mut upd = Entity::update_many()
        .col_expr(Column::Version, Expr::value(expected + 1))
        .col_expr(Column::UpdatedAt, Expr::value(now));
    for (c, v) in set {
        upd = upd.col_expr(c, Expr::value(v));
    }
    let res = upd
        .filter(Column::Id.eq(id))
        .filter(Column::Version.eq(expected))
        .exec(txn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Change a note. Requires `If-Match` with the ETag the change is based on:
/// 428 without it, 412 (with the current note) when someone changed it first.
#[utoipa::path(
    tag = "notes",
    params(
        ("id" = Uuid, Path, description = "Note id"),
        ("If-Match" = String, Header, description = "The ETag the change is based on"),
    ),
    request_body = NotePatch,
    responses(
        (status = 200, description = "Changed", body = NoteOut, headers(("ETag" = String, description = "The new version"))),
        (status = 412, description = "Changed by someone else; `current` holds their version", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
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
    p.require_scope(Scope::NotesWrite)?;
    let (m, current) = visible_note(&state.read, &p, *id).await?;
    may_edit(&p, &m)?;
    let Some(expected) = if_match(&req) else {
        return Err(ApiError::status(
            StatusCode::PRECONDITION_REQUIRED,
            "if_match_required",
            "Send If-Match with the note's ETag so a change by someone else is never overwritten.",
        ));
    };
    let patch = body.0;
    let now = Utc::now().trunc_subsecs(6);
    let observed_at = patch.observed_at.map(|t| t.trunc_subsecs(6));
    let mut errors = Vec::new();
    svc::check_fields(
        &mut errors,
        patch.body.as_deref(),
        observed_at,
        patch.participant_ids.as_deref(),
        patch.code_ids.as_deref(),
        now,
    );
    let known = svc::lookup(
        &state.read,
        Vec::new(),
        svc::normalise(patch.participant_ids.as_deref().unwrap_or_default()),
        svc::normalise(patch.code_ids.as_deref().unwrap_or_default()),
    )
    .await?;
    svc::check_links(
        &mut errors,
        &known,
        m.site_id,
        patch.participant_ids.as_deref(),
        patch.code_ids.as_deref(),
    );
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if current.deleted_at.is_some() {
        return Err(ApiError::conflict(
            "note_deleted",
            "This note is deleted; a coordinator can restore it first.",
        ));
    }
    if expected != current.version {
        return Err(stale(&current));
    }
    use entity::note::Column;
    let mut set: Vec<(Column, sea_orm::Value)> = Vec::new();
    if let Some(t) = observed_at {
        set.push((Column::ObservedAt, t.into()));
    }
    if let Some(l) = patch.location {
        set.push((Column::Location, l.as_str().into()));
    }
    if let Some(b) = &patch.body {
        set.push((Column::Body, b.clone().into()));
    }
    let txn = state.db.begin().await?;
    if !bump(&txn, m.id, expected, now, set).await? {
        drop(txn);
        let (_, now_current) = visible_note(&state.read, &p, m.id).await?;
        return Err(stale(&now_current));
    }
    svc::replace_links(
        &txn,
        m.id,
        patch.participant_ids.as_deref(),
        patch.code_ids.as_deref(),
    )
    .await?;
    let (_, note) = visible_note(&txn, &p, m.id).await?;
    svc::record_version(&txn, &note, "update", p.user_id).await?;
    audit::record(
        &txn,
        &Actor::new(&p, &meta),
        Entry::new("note.update", "note", m.id)
            .site(Some(m.site_id))
            .detail(serde_json::json!({"version": note.version})),
    )
    .await?;
    txn.commit().await?;
    Ok(with_etag(HttpResponse::Ok(), &note))
}

async fn set_deleted(
    state: &AppState,
    p: &Principal,
    meta: &RequestMeta,
    m: &entity::note::Model,
    deleted: bool,
) -> ApiResult<NoteOut> {
    use entity::note::Column;
    let now = Utc::now().trunc_subsecs(6);
    let set: Vec<(Column, sea_orm::Value)> = if deleted {
        vec![
            (Column::DeletedAt, Some(now).into()),
            (Column::DeletedBy, Some(p.user_id).into()),
        ]
    } else {
        vec![
            (Column::DeletedAt, Option::<DateTime<Utc>>::None.into()),
            (Column::DeletedBy, Option::<Uuid>::None.into()),
        ]
    };
    let txn = state.db.begin().await?;
    if !bump(&txn, m.id, m.version, now, set).await? {
        drop(txn);
        let (_, current) = visible_note(&state.read, p, m.id).await?;
        return Err(stale(&current));
    }
    let (_, note) = visible_note(&txn, p, m.id).await?;
    let action = if deleted { "delete" } else { "restore" };
    svc::record_version(&txn, &note, action, p.user_id).await?;
    audit::record(
        &txn,
        &Actor::new(p, meta),
        Entry::new(
            if deleted {
                "note.delete"
            } else {
                "note.restore"
            },
            "note",
            m.id,
        )
        .site(Some(m.site_id))
        .detail(serde_json::json!({"version": note.version})),
    )
    .await?;
    txn.commit().await?;
    Ok(note)
}

/// Delete a note (its author, a coordinator or an admin). The note is kept,
/// marked deleted, and can be restored by a coordinator. Deleting a deleted
/// note changes nothing.
#[utoipa::path(
    tag = "notes",
    params(("id" = Uuid, Path, description = "Note id")),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/notes/{id}")]
pub async fn delete_note(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::NotesWrite)?;
    let (m, current) = visible_note(&state.read, &p, *id).await?;
    may_edit(&p, &m)?;
    if let Some(expected) = if_match(&req) {
        if expected != current.version {
            return Err(stale(&current));
        }
    }
    if m.deleted_at.is_none() {
        set_deleted(&state, &p, &meta, &m, true).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Restore a deleted note (coordinator).
#[utoipa::path(
    tag = "notes",
    params(("id" = Uuid, Path, description = "Note id")),
    responses(
        (status = 200, description = "Restored", body = NoteOut),
        (status = 409, description = "Not deleted", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/notes/{id}/restore")]
pub async fn restore_note(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::NotesWrite)?;
    let (m, _) = visible_note(&state.read, &p, *id).await?;
    p.require_coordinator()?;
    if m.deleted_at.is_none() {
        return Err(ApiError::conflict(
            "note_not_deleted",
            "This note is not deleted.",
        ));
    }
    let note = set_deleted(&state, &p, &meta, &m, false).await?;
    Ok(with_etag(HttpResponse::Ok(), &note))
}

/// One version of a note.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteVersionOut {
    pub version: i32,
    /// `create`, `update`, `delete`, `restore`, or `recode` (a code was merged into another).
    pub action: String,
    pub observed_at: DateTime<Utc>,
    pub location: Location,
    pub body: String,
    pub participant_ids: Vec<Uuid>,
    pub code_ids: Vec<Uuid>,
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteHistory {
    /// Oldest first; the last is the current version.
    pub items: Vec<NoteVersionOut>,
}

/// Every version of a note.
#[utoipa::path(
    tag = "notes",
    params(("id" = Uuid, Path, description = "Note id")),
    responses((status = 200, description = "History", body = NoteHistory)),
    security(("bearer" = []))
)]
#[get("/notes/{id}/history")]
pub async fn note_history(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::NotesRead)?;
    let (m, _) = visible_note(&state.read, &p, *id).await?;
    let rows = entity::note_version::Entity::find()
        .filter(entity::note_version::Column::NoteId.eq(m.id))
        .order_by_asc(entity::note_version::Column::Version)
        .all(&state.read)
        .await?;
    audit::log(
        &state.writer,
        &Actor::new(&p, &meta),
        Entry::new("note.history", "note", m.id).site(Some(m.site_id)),
    )
    .await?;
    Ok(HttpResponse::Ok().json(NoteHistory {
        items: rows
            .into_iter()
            .map(|v| NoteVersionOut {
                version: v.version,
                action: v.action,
                observed_at: v.observed_at,
                location: Location::parse(&v.location),
                body: v.body,
                participant_ids: serde_json::from_value(v.participant_ids).unwrap_or_default(),
                code_ids: serde_json::from_value(v.code_ids).unwrap_or_default(),
                changed_by: v.changed_by,
                changed_at: v.changed_at,
            })
            .collect(),
    }))
}
