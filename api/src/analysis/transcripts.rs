//! Interview transcripts: the de-identified text of an interview (or of one
//! of its sessions), uploaded by a transcription pipeline or a coordinator,
//! versioned like notes. The interview's interviewers and coordinators read
//! them; every read is audited.
use crate::kernel::field::{not_found, FieldProblem};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    codebook::passages,
    interviews::lifecycle::interviewer_ids,
    kernel::{
        access::Principal,
        audit::Entry,
        ctx::Ctx,
        error::{ApiError, ApiResult, FieldError},
        precondition::{of_version, IfMatch},
        scoped,
    },
};

/// Largest transcript, in bytes of UTF-8.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// A transcript as a pipeline or a coordinator uploads it, or its new text
/// (a PUT keeps the text it replaces as a version; passage codings whose
/// words still occur exactly once move with them, the others are kept,
/// marked `anchored: false`, for a coordinator to fix).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TranscriptIn {
    /// The session it transcribes; absent for the whole interview.
    #[schema(minimum = 1, maximum = 100)]
    pub session_number: Option<i32>,
    /// The language spoken, as a BCP 47 tag (`nb`, `en`, `nb-NO`).
    #[schema(
        min_length = 2,
        max_length = 35,
        pattern = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
        example = "nb"
    )]
    pub language: String,
    /// The de-identified transcript as plain text (UTF-8, at most 2 MiB:
    /// 2 097 152 bytes). Positions of passage codings count its Unicode
    /// code points.
    #[schema(min_length = 1, max_length = 2097152)]
    pub body: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TranscriptOut {
    pub id: Uuid,
    pub interview_id: Uuid,
    pub participant_id: Uuid,
    pub site_id: Uuid,
    pub session_number: Option<i32>,
    pub language: String,
    pub body: String,
    /// Starts at 1; each new text adds 1. The ETag is `"<version>"`.
    pub version: i32,
    /// Length of the text in Unicode code points.
    pub characters: u64,
    /// Passage codings that lost their words in an edit.
    pub unanchored_codings: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A transcript in a list, without its text.
#[derive(Debug, Serialize, ToSchema)]
pub struct TranscriptSummary {
    pub id: Uuid,
    pub interview_id: Uuid,
    pub session_number: Option<i32>,
    pub language: String,
    pub version: i32,
    pub characters: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TranscriptList {
    pub items: Vec<TranscriptSummary>,
}

fn check(errors: &mut Vec<FieldError>, session: Option<i32>, language: &str, body: &str) {
    if session.is_some_and(|n| !(1..=100).contains(&n)) {
        errors.push(FieldError::new(
            "/session_number",
            FieldProblem::Range { min: 1, max: 100 },
        ));
    }
    let lang_ok = {
        let mut parts = language.split('-');
        let first = parts.next().unwrap_or_default();
        (2..=3).contains(&first.len())
            && first.chars().all(|c| c.is_ascii_alphabetic())
            && parts
                .all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
            && language.len() <= 35
    };
    if !lang_ok {
        errors.push(FieldError::new("/language", FieldProblem::LanguageTag));
    }
    if body.trim().is_empty() {
        errors.push(FieldError::new("/body", FieldProblem::Required));
    } else if body.len() > MAX_BODY_BYTES {
        errors.push(FieldError::new(
            "/body",
            FieldProblem::TooLongBytes {
                max: MAX_BODY_BYTES as u64,
            },
        ));
    } else if body.contains('\0') {
        errors.push(FieldError::new("/body", FieldProblem::Nul));
    }
}

/// Whether `p` may read the transcripts of `interview`: a coordinator, or
/// one of its interviewers.
async fn may_read(
    db: &impl ConnectionTrait,
    p: &Principal,
    interview: &entity::interview::Model,
) -> ApiResult<()> {
    if p.require_coordinator().is_ok()
        || interviewer_ids(db, interview.id)
            .await?
            .contains(&p.user_id)
    {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "Only the interview's interviewers or a coordinator can read its transcripts.".into(),
        ))
    }
}

/// A transcript the caller may read.
pub async fn load(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: Uuid,
) -> ApiResult<(entity::transcript::Model, entity::interview::Model)> {
    let t = scoped::load::<entity::transcript::Entity>(db, p, id).await?;
    let iv = scoped::load::<entity::interview::Entity>(db, p, t.interview_id).await?;
    may_read(db, p, &iv).await?;
    Ok((t, iv))
}

async fn out(db: &impl ConnectionTrait, t: entity::transcript::Model) -> ApiResult<TranscriptOut> {
    let unanchored = entity::coding::Entity::find()
        .filter(entity::coding::Column::TranscriptId.eq(t.id))
        .filter(entity::coding::Column::Anchored.eq(false))
        .count(db)
        .await?;
    Ok(TranscriptOut {
        id: t.id,
        interview_id: t.interview_id,
        participant_id: t.participant_id,
        site_id: t.site_id,
        session_number: t.session_number,
        language: t.language,
        characters: t.body.chars().count() as u64,
        body: t.body,
        version: t.version,
        unanchored_codings: unanchored,
        created_at: t.created_at,
        updated_at: t.updated_at,
    })
}

impl TranscriptOut {
    pub fn etag(&self) -> String {
        of_version(self.version)
    }
}

async fn check_session(
    db: &impl ConnectionTrait,
    interview: Uuid,
    session: Option<i32>,
) -> ApiResult<()> {
    let Some(n) = session else { return Ok(()) };
    let exists = entity::interview_session::Entity::find()
        .filter(entity::interview_session::Column::InterviewId.eq(interview))
        .filter(entity::interview_session::Column::N.eq(n))
        .count(db)
        .await?
        > 0;
    if exists {
        Ok(())
    } else {
        Err(ApiError::field("/session_number", not_found("session")))
    }
}

/// Add a transcript to an interview (a coordinator, or an API key with
/// `transcripts:write`).
pub async fn create(
    cx: &Ctx<'_>,
    interview_id: Uuid,
    body: TranscriptIn,
) -> ApiResult<TranscriptOut> {
    let iv = scoped::load::<entity::interview::Entity>(cx.read, cx.p, interview_id).await?;
    let mut errors = Vec::new();
    check(&mut errors, body.session_number, &body.language, &body.body);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    check_session(cx.read, iv.id, body.session_number).await?;
    let now = cx.now().trunc_subsecs(6);
    let ch = cx.begin().await?;
    let t = entity::transcript::ActiveModel {
        id: Set(Uuid::now_v7()),
        interview_id: Set(iv.id),
        site_id: Set(iv.site_id),
        participant_id: Set(iv.participant_id),
        session_number: Set(body.session_number),
        language: Set(body.language.trim().to_string()),
        body: Set(body.body),
        version: Set(1),
        created_by: Set(Some(cx.p.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(ch.db())
    .await?;
    ch.audit(
        Entry::new("transcript.create", "transcript", t.id)
            .site(Some(t.site_id))
            .detail(serde_json::json!({"interview_id": iv.id, "bytes": t.body.len()})),
    )
    .await?;
    ch.commit().await?;
    out(cx.read, t).await
}

/// An interview's transcripts, without their text.
pub async fn list(cx: &Ctx<'_>, interview_id: Uuid) -> ApiResult<TranscriptList> {
    let iv = scoped::load::<entity::interview::Entity>(cx.read, cx.p, interview_id).await?;
    may_read(cx.read, cx.p, &iv).await?;
    let rows = entity::transcript::Entity::find()
        .filter(entity::transcript::Column::InterviewId.eq(iv.id))
        .order_by_asc(entity::transcript::Column::CreatedAt)
        .order_by_asc(entity::transcript::Column::Id)
        .all(cx.read)
        .await?;
    cx.log(
        Entry::new("transcript.list", "interview", iv.id)
            .site(Some(iv.site_id))
            .detail(serde_json::json!({"count": rows.len()})),
    )
    .await?;
    Ok(TranscriptList {
        items: rows
            .into_iter()
            .map(|t| TranscriptSummary {
                id: t.id,
                interview_id: t.interview_id,
                session_number: t.session_number,
                language: t.language,
                version: t.version,
                characters: t.body.chars().count() as u64,
                created_at: t.created_at,
                updated_at: t.updated_at,
            })
            .collect(),
    })
}

/// One transcript with its text.
pub async fn get(cx: &Ctx<'_>, id: Uuid) -> ApiResult<TranscriptOut> {
    let (t, _) = load(cx.read, cx.p, id).await?;
    cx.log(Entry::new("transcript.read", "transcript", t.id).site(Some(t.site_id)))
        .await?;
    out(cx.read, t).await
}

/// Replace a transcript's text (coordinator, or `transcripts:write`), based
/// on the caller's `If-Match` when one was sent. The same text, language and
/// session again gives the transcript as it is, with no new version.
pub async fn replace(
    cx: &Ctx<'_>,
    id: Uuid,
    if_match: IfMatch,
    body: TranscriptIn,
) -> ApiResult<TranscriptOut> {
    let t = scoped::load::<entity::transcript::Entity>(cx.read, cx.p, id).await?;
    let mut errors = Vec::new();
    check(&mut errors, body.session_number, &body.language, &body.body);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    check_session(cx.read, t.interview_id, body.session_number).await?;
    let stale = |current: TranscriptOut| {
        ApiError::stale_current(
            "version_mismatch",
            format!(
                "Someone replaced this transcript since you loaded it; it is now at version {}.",
                current.version
            ),
            serde_json::json!(current),
            current.etag(),
        )
    };
    if !if_match.allows(&of_version(t.version)) {
        return Err(stale(out(cx.read, t).await?));
    }
    if body.body == t.body
        && body.language.trim() == t.language
        && body.session_number == t.session_number
    {
        return out(cx.read, t).await;
    }
    use entity::transcript::{Column, Entity};
    let now = cx.now().trunc_subsecs(6);
    let ch = cx.begin().await?;
    let bumped = Entity::update_many()
        .col_expr(Column::Version, Expr::value(t.version + 1))
        .col_expr(Column::Body, Expr::value(body.body.clone()))
        .col_expr(Column::Language, Expr::value(body.language.trim()))
        .col_expr(Column::SessionNumber, Expr::value(body.session_number))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(t.id))
        .filter(Column::Version.eq(t.version))
        .exec(ch.db())
        .await?
        .rows_affected
        == 1;
    if !bumped {
        drop(ch);
        let now_at = scoped::load::<Entity>(cx.read, cx.p, id).await?;
        return Err(stale(out(cx.read, now_at).await?));
    }
    entity::transcript_version::ActiveModel {
        id: Set(Uuid::now_v7()),
        transcript_id: Set(t.id),
        version: Set(t.version),
        body: Set(t.body.clone()),
        changed_by: Set(Some(cx.p.user_id)),
        changed_at: Set(now),
    }
    .insert(ch.db())
    .await?;
    let moved =
        passages::follow_text(ch.db(), passages::Target::Transcript(t.id), &body.body, now).await?;
    ch.audit(
        Entry::new("transcript.update", "transcript", t.id)
            .site(Some(t.site_id))
            .detail(serde_json::json!({
                "version": t.version + 1,
                "codings_moved": moved.moved,
                "codings_unanchored": moved.unanchored,
            })),
    )
    .await?;
    ch.commit().await?;
    let fresh = scoped::load::<Entity>(cx.read, cx.p, id).await?;
    out(cx.read, fresh).await
}
