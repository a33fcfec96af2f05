//! Passage codings: a code on a span of a note or a transcript. Positions
//! count Unicode code points, as REFI-QDA does (`codebook::rules`). The
//! coded words are kept with the coding, so when the text changes the
//! coding follows them, or is kept unanchored for a coordinator to place
//! again; it never silently points at other words.
use crate::kernel::field::not_found;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    analysis::transcripts,
    codebook::{codes, passages::target_filter, rules as passage},
    kernel::{
        access::objects,
        audit::Entry,
        ctx::Ctx,
        error::{ApiError, ApiResult, FieldError},
        scoped,
    },
    notes::reads as note_reads,
};

pub use super::passages::Target;

/// A code on a passage: code points `start` (inclusive) to `end`
/// (exclusive) of the text as it is now.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodingIn {
    pub code_id: Uuid,
    #[schema(minimum = 0, maximum = 2097152)]
    pub start: i64,
    #[schema(minimum = 1, maximum = 2097152)]
    pub end: i64,
}

/// Place a coding on another passage of the current text (to fix one that
/// lost its words in an edit).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodingPatch {
    #[schema(minimum = 0, maximum = 2097152)]
    pub start: i64,
    #[schema(minimum = 1, maximum = 2097152)]
    pub end: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodingOut {
    pub id: Uuid,
    pub code_id: Uuid,
    /// Set for a coding on a note.
    pub note_id: Option<Uuid>,
    /// Set for a coding on a transcript.
    pub transcript_id: Option<Uuid>,
    pub site_id: Uuid,
    /// Code points, `end` exclusive.
    pub start: i64,
    pub end: i64,
    /// The coded words.
    pub quote: String,
    /// False when an edit removed or repeated the words: the coding is kept
    /// where it was, and a coordinator places it again.
    pub anchored: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::coding::Model> for CodingOut {
    fn from(m: entity::coding::Model) -> Self {
        CodingOut {
            id: m.id,
            code_id: m.code_id,
            note_id: m.note_id,
            transcript_id: m.transcript_id,
            site_id: m.site_id,
            start: m.start_pos.into(),
            end: m.end_pos.into(),
            quote: m.quote,
            anchored: m.anchored,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CodingList {
    pub items: Vec<CodingOut>,
    pub next_cursor: Option<Uuid>,
}

/// The codings a coordinator has to look at.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CodingQuery {
    /// `false`: only codings that lost their words in an edit.
    pub anchored: Option<bool>,
    pub site_id: Option<Uuid>,
    pub code_id: Option<Uuid>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

/// The text of a target the caller may code, with its site: a note its
/// author or a coordinator may change (not deleted), or a transcript
/// (coordinators).
async fn text_to_code(cx: &Ctx<'_>, target: Target) -> ApiResult<(String, Uuid)> {
    match target {
        Target::Note(id) => {
            let (m, _) = note_reads::load(cx.read, cx.p, id).await?;
            objects::may_edit_note(cx.p, m.author_id)?;
            if m.deleted_at.is_some() {
                return Err(ApiError::conflict(
                    "note_deleted",
                    "This note is deleted; a coordinator can restore it first.",
                ));
            }
            Ok((m.body, m.site_id))
        }
        Target::Transcript(id) => {
            let (t, _) = transcripts::load(cx.read, cx.p, id).await?;
            cx.p.require_coordinator()?;
            Ok((t.body, t.site_id))
        }
    }
}

fn span_error(e: FieldError) -> ApiError {
    ApiError::Validation(vec![e])
}

/// Code a passage.
pub async fn create(cx: &Ctx<'_>, target: Target, body: CodingIn) -> ApiResult<CodingOut> {
    let (text, site) = text_to_code(cx, target).await?;
    if codes::find(cx.read, body.code_id).await.is_err() {
        return Err(ApiError::field("/code_id", not_found("code")));
    }
    let quote = passage::quote(&text, body.start, body.end).map_err(span_error)?;
    let now = cx.now().trunc_subsecs(6);
    let ch = cx.begin().await?;
    let (note_id, transcript_id) = match target {
        Target::Note(id) => (Some(id), None),
        Target::Transcript(id) => (None, Some(id)),
    };
    let m = entity::coding::ActiveModel {
        id: Set(Uuid::now_v7()),
        code_id: Set(body.code_id),
        site_id: Set(site),
        note_id: Set(note_id),
        transcript_id: Set(transcript_id),
        start_pos: Set(body.start as i32),
        end_pos: Set(body.end as i32),
        quote: Set(quote),
        anchored: Set(true),
        created_by: Set(Some(cx.p.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(ch.db())
    .await?;
    ch.audit(
        Entry::new("coding.create", "coding", m.id)
            .site(Some(site))
            .detail(serde_json::json!({
                "code_id": m.code_id, "note_id": note_id, "transcript_id": transcript_id,
            })),
    )
    .await?;
    ch.commit().await?;
    Ok(m.into())
}

/// The passage codings of a note or a transcript, in text order.
pub async fn list_on(cx: &Ctx<'_>, target: Target) -> ApiResult<CodingList> {
    let site = match target {
        Target::Note(id) => note_reads::load(cx.read, cx.p, id).await?.0.site_id,
        Target::Transcript(id) => transcripts::load(cx.read, cx.p, id).await?.0.site_id,
    };
    let rows = target_filter(entity::coding::Entity::find(), target)
        .order_by_asc(entity::coding::Column::StartPos)
        .order_by_asc(entity::coding::Column::Id)
        .all(cx.read)
        .await?;
    let (what, id) = match target {
        Target::Note(id) => ("note", id),
        Target::Transcript(id) => ("transcript", id),
    };
    cx.log(
        Entry::new("coding.list", what, id)
            .site(Some(site))
            .detail(serde_json::json!({"count": rows.len()})),
    )
    .await?;
    Ok(CodingList {
        items: rows.into_iter().map(CodingOut::from).collect(),
        next_cursor: None,
    })
}

/// Codings across the caller's sites (coordinators), e.g. the ones an edit
/// left unanchored.
pub async fn list(cx: &Ctx<'_>, q: &CodingQuery) -> ApiResult<CodingList> {
    let limit = crate::kernel::ctx::limit(q.limit)?;
    use entity::coding::{Column, Entity};
    let mut sel = Entity::find();
    if let Some(sites) = cx.p.visible_sites() {
        sel = sel.filter(Column::SiteId.is_in(sites.to_vec()));
    }
    if let Some(s) = q.site_id {
        sel = sel.filter(Column::SiteId.eq(s));
    }
    if let Some(a) = q.anchored {
        sel = sel.filter(Column::Anchored.eq(a));
    }
    if let Some(c) = q.code_id {
        sel = sel.filter(Column::CodeId.eq(c));
    }
    if let Some(c) = q.cursor {
        sel = sel.filter(Column::Id.gt(c));
    }
    let rows = sel
        .order_by_asc(Column::Id)
        .limit(limit + 1)
        .all(cx.read)
        .await?;
    let (rows, next) = crate::kernel::ctx::page(rows, limit, |m| m.id);
    cx.log(Entry {
        action: "coding.list",
        object_type: "coding",
        object_id: None,
        site_id: q.site_id,
        detail: Some(serde_json::json!({"count": rows.len(), "anchored": q.anchored})),
    })
    .await?;
    Ok(CodingList {
        items: rows.into_iter().map(CodingOut::from).collect(),
        next_cursor: next,
    })
}

async fn load(cx: &Ctx<'_>, id: Uuid) -> ApiResult<(entity::coding::Model, Target)> {
    let m = scoped::load::<entity::coding::Entity>(cx.read, cx.p, id).await?;
    let target = match (m.note_id, m.transcript_id) {
        (Some(n), _) => Target::Note(n),
        (None, Some(t)) => Target::Transcript(t),
        (None, None) => return Err(ApiError::NotFound("coding")),
    };
    Ok((m, target))
}

/// Place a coding on another passage of the current text; it is anchored
/// again.
pub async fn place(cx: &Ctx<'_>, id: Uuid, body: CodingPatch) -> ApiResult<CodingOut> {
    let (m, target) = load(cx, id).await?;
    let (text, _) = text_to_code(cx, target).await?;
    let quote = passage::quote(&text, body.start, body.end).map_err(span_error)?;
    let now = cx.now().trunc_subsecs(6);
    let ch = cx.begin().await?;
    let mut am: entity::coding::ActiveModel = m.into();
    am.start_pos = Set(body.start as i32);
    am.end_pos = Set(body.end as i32);
    am.quote = Set(quote);
    am.anchored = Set(true);
    am.updated_at = Set(now);
    let m = am.update(ch.db()).await?;
    ch.audit(Entry::new("coding.place", "coding", m.id).site(Some(m.site_id)))
        .await?;
    ch.commit().await?;
    Ok(m.into())
}

/// Remove a passage coding.
pub async fn delete(cx: &Ctx<'_>, id: Uuid) -> ApiResult<()> {
    let (m, target) = load(cx, id).await?;
    // The same people who may code the text may uncode it.
    match target {
        Target::Note(n) => {
            let (note, _) = note_reads::load(cx.read, cx.p, n).await?;
            objects::may_edit_note(cx.p, note.author_id)?;
        }
        Target::Transcript(t) => {
            transcripts::load(cx.read, cx.p, t).await?;
            cx.p.require_coordinator()?;
        }
    }
    let ch = cx.begin().await?;
    entity::coding::Entity::delete_by_id(m.id)
        .exec(ch.db())
        .await?;
    ch.audit(
        Entry::new("coding.delete", "coding", m.id)
            .site(Some(m.site_id))
            .detail(serde_json::json!({"code_id": m.code_id})),
    )
    .await?;
    ch.commit().await?;
    Ok(())
}
