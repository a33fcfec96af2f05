//! Reading notes: a page (with full-text search), one note, its history.
//! Every read is audited.
use crate::kernel::field::FieldProblem;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    sea_query::Query as SqlQuery, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    kernel::{
        access::{objects, Principal},
        audit::Entry,
        ctx::Ctx,
        error::{ApiError, ApiResult},
        scoped,
    },
    notes::{self as svc, search, Location, NoteOut},
};

/// A note the caller may see (deleted or not), with the note as shown.
pub async fn load(
    db: &impl sea_orm::ConnectionTrait,
    p: &Principal,
    id: Uuid,
) -> ApiResult<(entity::note::Model, NoteOut)> {
    let m = scoped::load::<entity::note::Entity>(db, p, id).await?;
    let out = svc::with_links(db, vec![m.clone()])
        .await?
        .pop()
        .ok_or(ApiError::NotFound("note"))?;
    Ok((m, out))
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
    #[param(minimum = 1, maximum = 200)]
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

pub fn encode_cursor(n: &NoteOut) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", n.observed_at.timestamp_micros(), n.id))
}

fn decode_cursor(c: &str) -> ApiResult<(DateTime<Utc>, Uuid)> {
    let bad = || ApiError::field("/cursor", FieldProblem::Cursor);
    let raw = URL_SAFE_NO_PAD.decode(c).map_err(|_| bad())?;
    let s = String::from_utf8(raw).map_err(|_| bad())?;
    let (t, id) = s.split_once('|').ok_or_else(bad)?;
    let t = DateTime::from_timestamp_micros(t.parse().map_err(|_| bad())?).ok_or_else(bad)?;
    Ok((t, id.parse().map_err(|_| bad())?))
}

/// Notes at the caller's sites, newest observation first.
pub async fn list(cx: &Ctx<'_>, q: &NoteQuery) -> ApiResult<NotePage> {
    let limit = crate::kernel::ctx::limit(q.limit)?;
    use entity::note::{Column, Entity};
    let mut sel = Entity::find().limit(limit + 1);
    let mut sort_matches = false;
    if let Some(ids) = cx.p.visible_sites() {
        sel = sel.filter(Column::SiteId.is_in(ids.to_vec()));
    }
    if !q.include_deleted.unwrap_or(false) {
        sel = sel.filter(Column::DeletedAt.is_null());
    } else if cx.p.require_coordinator().is_err() {
        // Deleted notes are their authors' and the coordinators' to read.
        sel = sel.filter(
            Condition::any()
                .add(Column::DeletedAt.is_null())
                .add(Column::AuthorId.eq(cx.p.user_id)),
        );
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
            return Err(ApiError::field("/q", FieldProblem::TooLong { max: 200 }));
        }
        let terms = search::terms(text);
        if terms.is_empty() {
            return Err(ApiError::field("/q", FieldProblem::NoSearchTerms));
        }
        let others = q.author_id.is_some()
            || q.location.is_some()
            || q.from.is_some()
            || q.to.is_some()
            || q.participant_id.is_some()
            || q.code_id.is_some()
            || q.include_deleted.unwrap_or(false);
        let scope = match (q.site_id, cx.p.visible_sites()) {
            _ if others => search::Scope::Other,
            (Some(site), _) if cx.p.can_see_site(site) => search::Scope::Site(site),
            (Some(_), _) => search::Scope::Other,
            (None, None) => search::Scope::AllSites,
            (None, Some([site])) => search::Scope::Site(*site),
            (None, Some(_)) => search::Scope::Other,
        };
        let found = search::condition(cx.read, &terms, limit + 1, scope).await?;
        sort_matches = found.sort;
        sel = sel.filter(found.condition);
    }
    if let Some(c) = &q.cursor {
        let (t, id) = decode_cursor(c)?;
        // The plain bound lets an index on the time start at the cursor.
        sel = sel.filter(Column::ObservedAt.lte(t)).filter(
            Condition::any().add(Column::ObservedAt.lt(t)).add(
                Condition::all()
                    .add(Column::ObservedAt.eq(t))
                    .add(Column::Id.lt(id)),
            ),
        );
    }
    let sel = search::newest_first(sel, sort_matches);
    // A search reads whole notes at once: on SQLite it looks at a bounded
    // number of notes whatever the word (see crate::notes::search); on
    // PostgreSQL it either walks the time index and stops at a full page or
    // sorts the few matches the text index found, keeping only a page of
    // them (measured on 100 000 notes: the same time as sorting ids, and one
    // round trip fewer). Other lists take two steps: the page's ids (sorting
    // only keys, not whole notes, when a filter matches thousands), then the
    // notes.
    let mut rows: Vec<entity::note::Model> = if q.q.is_some() {
        search::page(cx.read, sel).await?
    } else {
        let ids: Vec<Uuid> = sel
            .select_only()
            .column(Column::Id)
            .into_tuple()
            .all(cx.read)
            .await?;
        let mut found: std::collections::HashMap<Uuid, entity::note::Model> = Entity::find()
            .filter(Column::Id.is_in(ids.clone()))
            .all(cx.read)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        ids.iter().filter_map(|id| found.remove(id)).collect()
    };
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let items = svc::with_links(cx.read, rows).await?;
    let next_cursor = if more {
        items.last().map(encode_cursor)
    } else {
        None
    };
    cx.log(Entry {
        action: "note.list",
        object_type: "note",
        object_id: None,
        site_id: q.site_id,
        detail: Some(serde_json::json!({
            "count": items.len(),
            "search": q.q.is_some(),
            "ids": items.iter().map(|n| n.id).collect::<Vec<_>>(),
        })),
    })
    .await?;
    Ok(NotePage { items, next_cursor })
}

/// One note, deleted or not.
pub async fn get(cx: &Ctx<'_>, id: Uuid) -> ApiResult<NoteOut> {
    let (m, note) = load(cx.read, cx.p, id).await?;
    if m.deleted_at.is_some() && !objects::may_read_note_history(cx.p, m.author_id) {
        return Err(ApiError::NotFound("note"));
    }
    cx.log(Entry::new("note.read", "note", m.id).site(Some(m.site_id)))
        .await?;
    Ok(note)
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
    /// The text of this version was erased for good (`body` is empty).
    pub redacted: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteHistory {
    /// Oldest first; the last is the current version.
    pub items: Vec<NoteVersionOut>,
}

/// Every version of a note.
pub async fn history(cx: &Ctx<'_>, id: Uuid) -> ApiResult<NoteHistory> {
    let (m, _) = load(cx.read, cx.p, id).await?;
    if !objects::may_read_note_history(cx.p, m.author_id) {
        return Err(ApiError::Forbidden(
            "Only the note's author or a coordinator can read its history.".into(),
        ));
    }
    let rows = entity::note_version::Entity::find()
        .filter(entity::note_version::Column::NoteId.eq(m.id))
        .order_by_asc(entity::note_version::Column::Version)
        .all(cx.read)
        .await?;
    cx.log(Entry::new("note.history", "note", m.id).site(Some(m.site_id)))
        .await?;
    Ok(NoteHistory {
        items: rows
            .into_iter()
            .map(|v| {
                Ok(NoteVersionOut {
                    version: v.version,
                    action: v.action,
                    observed_at: v.observed_at,
                    location: Location::parse(&v.location)?,
                    redacted: v.body.is_empty(),
                    body: v.body,
                    participant_ids: serde_json::from_value(v.participant_ids).unwrap_or_default(),
                    code_ids: serde_json::from_value(v.code_ids).unwrap_or_default(),
                    changed_by: v.changed_by,
                    changed_at: v.changed_at,
                })
            })
            .collect::<ApiResult<_>>()?,
    })
}
