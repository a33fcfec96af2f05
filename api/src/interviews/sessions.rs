//! The sessions of a (possibly split) interview: each starts only behind the
//! readiness gate and a consent in force.
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    lifecycle::{load_to_act, lock_unchanged, session_running, site_of},
    view::{session_out, SessionOut},
};
use crate::{
    interviews::rules::{self, InterviewStatus},
    kernel::{
        audit::Entry,
        ctx::Ctx,
        error::{check_len, clean, ApiError, ApiResult},
        scoped::{consent_in_force, lock_participant},
    },
    participants::rules::ParticipantStatus,
    readiness::{self, Purpose},
    sites::tz_of,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndSessionIn {
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// Whether the session was audio-recorded.
    #[serde(default)]
    pub recorded: bool,
    /// The recorder's file name or label.
    #[schema(max_length = 200)]
    pub recording_label: Option<String>,
}

/// Starting a session; the body may be left out.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartSessionIn {
    /// Start it although today (in the site's time zone) is not the
    /// interview's day. Without it, such a start is refused with
    /// `session_on_other_day`, so a client can ask first.
    #[serde(default)]
    pub allow_other_day: bool,
}

fn no_consent(detail: &str) -> ApiError {
    ApiError::conflict("no_consent", detail.to_string())
}

/// Start a session of an interview (its interviewers or a coordinator).
/// Only when the participant has a consent in force and the readiness gate
/// for a session says READY now; otherwise 409 `no_consent` or `not_ready`.
pub async fn start(cx: &Ctx<'_>, id: Uuid, body: StartSessionIn) -> ApiResult<SessionOut> {
    let m = load_to_act(cx, id).await?;
    rules::start_session(
        InterviewStatus::parse(&m.status)?,
        session_running(cx.read, m.id).await?,
    )?;
    if !body.allow_other_day {
        let site = site_of(cx.read, m.site_id).await?;
        let tz = tz_of(&site);
        let planned = m.scheduled_at.with_timezone(&tz).date_naive();
        let today = cx.now().with_timezone(&tz).date_naive();
        if planned != today {
            return Err(ApiError::conflict(
                "session_on_other_day",
                format!(
                    "This interview is planned for {planned}, and today is {today} at {}. Start the session anyway (`allow_other_day`), or give the interview today's time first.",
                    site.name
                ),
            )
            .with("scheduled_on", serde_json::json!(planned))
            .with("today", serde_json::json!(today)));
        }
    }
    let participant = entity::participant::Entity::find_by_id(m.participant_id)
        .one(cx.read)
        .await?
        .ok_or(ApiError::NotFound("participant"))?;
    let active = ParticipantStatus::parse(&participant.status)?.may_record();
    if consent_in_force(cx.read, participant.id).await?.is_none() || !active {
        cx.log(
            Entry::new("session.refused", "interview", m.id)
                .site(Some(m.site_id))
                .detail(serde_json::json!({"reasons": ["no_consent"]})),
        )
        .await?;
        return Err(no_consent(
            "There is no valid consent for this participant. Record consent (after a READY screening) before the interview.",
        )
        .with("postpone_reason", serde_json::json!("participant_not_ready")));
    }
    let now = cx.now();
    let ch = cx.begin().await?;
    lock_unchanged(ch.db(), &m).await?;
    let participant = lock_participant(ch.db(), participant.id).await?;
    if !ParticipantStatus::parse(&participant.status)?.may_record() {
        return Err(no_consent(
            "The participant is no longer active in the study.",
        ));
    }
    let next = rules::start_session(
        InterviewStatus::parse(&m.status)?,
        session_running(ch.db(), m.id).await?,
    )?;
    // After a session of this interview, only a screening since counts
    // (unless the study turned `rescreen_between_sessions` off).
    let previous_end = readiness::previous_session_end(ch.db(), m.id).await?;
    let ready = match readiness::gate(&ch, &participant, Purpose::Session, previous_end).await? {
        Ok(ready) => ready,
        Err(not) => {
            drop(ch);
            return Err(readiness::refuse(cx, "session.refused", &participant, &not).await);
        }
    };
    let n = entity::interview_session::Entity::find()
        .filter(entity::interview_session::Column::InterviewId.eq(m.id))
        .count(ch.db())
        .await? as i32
        + 1;
    let s = entity::interview_session::ActiveModel {
        id: Set(Uuid::now_v7()),
        interview_id: Set(m.id),
        n: Set(n),
        started_at: Set(now),
        ended_at: Set(None),
        started_by: Set(Some(cx.p.user_id)),
        screening_ids: Set(serde_json::json!(ready.screening_ids)),
        note: Set(None),
        recorded: Set(false),
        recording_label: Set(None),
    }
    .insert(ch.db())
    .await?;
    entity::interview::Entity::update_many()
        .col_expr(
            entity::interview::Column::Status,
            Expr::value(next.as_str()),
        )
        .col_expr(entity::interview::Column::UpdatedAt, Expr::value(now))
        .filter(entity::interview::Column::Id.eq(m.id))
        .exec(ch.db())
        .await?;
    ch.audit(
        Entry::new("session.start", "interview", m.id)
            .site(Some(m.site_id))
            .detail(serde_json::json!({"n": n, "screening_ids": ready.screening_ids})),
    )
    .await?;
    ch.commit().await?;
    Ok(session_out(s))
}

/// End a running session.
pub async fn end(cx: &Ctx<'_>, id: Uuid, n: i32, body: EndSessionIn) -> ApiResult<SessionOut> {
    let m = load_to_act(cx, id).await?;
    let mut errors = Vec::new();
    check_len(&mut errors, "/note", body.note.as_deref(), 0, 2000);
    crate::kernel::error::check_line(
        &mut errors,
        "/recording_label",
        body.recording_label.as_deref(),
        0,
        200,
    );
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let s = entity::interview_session::Entity::find()
        .filter(entity::interview_session::Column::InterviewId.eq(m.id))
        .filter(entity::interview_session::Column::N.eq(n))
        .one(cx.read)
        .await?
        .ok_or(ApiError::NotFound("session"))?;
    if s.ended_at.is_some() {
        return Err(ApiError::conflict(
            "session_ended",
            "This session has already ended.",
        ));
    }
    let ch = cx.begin().await?;
    let mut am: entity::interview_session::ActiveModel = s.into();
    am.ended_at = Set(Some(cx.now()));
    am.note = Set(clean(body.note));
    am.recorded = Set(body.recorded);
    am.recording_label = Set(clean(body.recording_label));
    let s = am.update(ch.db()).await?;
    ch.audit(
        Entry::new("session.end", "interview", m.id)
            .site(Some(m.site_id))
            .detail(serde_json::json!({"n": n})),
    )
    .await?;
    ch.commit().await?;
    Ok(session_out(s))
}
