//! Interviews held before the study used Fieldnotes, entered afterwards by
//! a coordinator: completed from the start, marked `entered_later`, with the
//! team's own note on how readiness was checked then. No screening is
//! invented for them and no one is mailed. The rule of when such an
//! interview may lie is `interviews::rules::earlier`.
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    lifecycle::{check_interviewers, entry, set_interviewers, Changed},
    view::one,
};
use crate::{
    interviews::rules::{
        earlier::{self, Sitting},
        InterviewStatus,
    },
    kernel::{
        ctx::Ctx,
        error::{check_len, check_line, clean, ApiError, ApiResult, FieldError},
        field::FieldProblem,
        scoped::{self, lock_participant},
    },
    participants::rules::ParticipantStatus,
};

/// An interview that happened before the study used Fieldnotes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EarlierIn {
    pub participant_id: Uuid,
    #[schema(minimum = 1, maximum = 20)]
    pub wave: i32,
    #[schema(min_items = 1, max_items = 5)]
    pub interviewer_ids: Vec<Uuid>,
    /// Its sittings, in order, each in the past. All of them must end before
    /// the participant came into Fieldnotes: before they were registered
    /// there and before their first interview there.
    #[schema(min_items = 1, max_items = 10)]
    pub sessions: Vec<EarlierSessionIn>,
    /// How readiness was checked at the time, in the team's words, e.g.
    /// "POSS on paper, 1". Required: no screening is recorded for it.
    #[schema(min_length = 1, max_length = 500)]
    pub screening_note: String,
    #[schema(max_length = 200)]
    pub location: Option<String>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// One sitting of an interview entered later.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EarlierSessionIn {
    pub started_at: DateTime<Utc>,
    /// After `started_at`, at most 480 minutes later.
    pub ended_at: DateTime<Utc>,
    /// Whether the sitting was audio-recorded.
    #[serde(default)]
    pub recorded: bool,
    #[schema(max_length = 200)]
    pub recording_label: Option<String>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// When the participant came into Fieldnotes (`rules::earlier::came_in`).
async fn came_in(
    db: &impl ConnectionTrait,
    participant: &entity::participant::Model,
) -> ApiResult<DateTime<Utc>> {
    use entity::interview::Column;
    let booked = entity::interview::Entity::find()
        .filter(Column::ParticipantId.eq(participant.id))
        .filter(Column::EnteredLater.eq(false))
        .all(db)
        .await?;
    let sessions = entity::interview_session::Entity::find()
        .filter(
            entity::interview_session::Column::InterviewId
                .is_in(booked.iter().map(|i| i.id).collect::<Vec<_>>()),
        )
        .all(db)
        .await?;
    Ok(earlier::came_in(
        participant.created_at,
        booked.iter().map(|i| {
            let first_session = sessions
                .iter()
                .filter(|s| s.interview_id == i.id)
                .map(|s| s.started_at)
                .min();
            (
                i.first_scheduled_at,
                i.scheduled_at,
                first_session,
                i.status == InterviewStatus::Cancelled.as_str(),
            )
        }),
    ))
}

/// Enter an interview that happened before the study used Fieldnotes
/// (coordinator). Audited as `interview.enter_earlier`; mails no one.
pub async fn enter(cx: &Ctx<'_>, body: EarlierIn) -> ApiResult<Changed> {
    let participant = scoped::load_field::<entity::participant::Entity>(
        cx.read,
        cx.p,
        body.participant_id,
        "/participant_id",
    )
    .await?;
    let mut errors = Vec::new();
    let waves = super::waves(cx.read).await?;
    if !waves.iter().any(|w| w.wave == body.wave) {
        errors.push(FieldError::new(
            "/wave",
            FieldProblem::NoSuchWave {
                waves: waves.iter().map(|w| w.wave).collect(),
            },
        ));
    }
    check_len(
        &mut errors,
        "/screening_note",
        Some(&body.screening_note),
        1,
        500,
    );
    check_line(&mut errors, "/location", body.location.as_deref(), 0, 200);
    check_len(&mut errors, "/note", body.note.as_deref(), 0, 2000);
    if body.sessions.is_empty() || body.sessions.len() > 10 {
        errors.push(FieldError::new(
            "/sessions",
            FieldProblem::Count { min: 1, max: 10 },
        ));
    }
    for (i, s) in body.sessions.iter().enumerate() {
        let at = |f: &str| format!("/sessions/{i}/{f}");
        check_line(
            &mut errors,
            &at("recording_label"),
            s.recording_label.as_deref(),
            0,
            200,
        );
        check_len(&mut errors, &at("note"), s.note.as_deref(), 0, 2000);
    }
    let users = check_interviewers(
        cx.read,
        cx.p,
        &body.interviewer_ids,
        participant.site_id,
        &mut errors,
    )
    .await?;
    let sittings: Vec<Sitting> = body
        .sessions
        .iter()
        .map(|s| Sitting {
            started_at: s.started_at.trunc_subsecs(0),
            ended_at: s.ended_at.trunc_subsecs(0),
        })
        .collect();
    errors.extend(earlier::check(
        &sittings,
        cx.now(),
        came_in(cx.read, &participant).await?,
    ));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let ch = cx.begin().await?;
    let participant = lock_participant(ch.db(), participant.id).await?;
    if !ParticipantStatus::parse(&participant.status)?.may_be_scheduled() {
        return Err(ApiError::conflict(
            "participant_withdrawn",
            "This participant has withdrawn; no interview can be entered for them.",
        ));
    }
    // Read again under the participant's lock: an interview booked a moment
    // ago moves the line.
    let errors = earlier::check(&sittings, cx.now(), came_in(ch.db(), &participant).await?);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if let Some(o) = entity::interview::Entity::find()
        .filter(entity::interview::Column::ParticipantId.eq(participant.id))
        .filter(entity::interview::Column::Wave.eq(body.wave))
        .filter(entity::interview::Column::Status.ne(InterviewStatus::Cancelled.as_str()))
        .one(ch.db())
        .await?
    {
        return Err(ApiError::conflict(
            "interview_exists",
            format!(
                "{} already has an interview for wave {} ({}).",
                participant.pseudonym, body.wave, o.id
            ),
        )
        .with("interview_id", serde_json::json!(o.id)));
    }
    let (Some(first), Some(last)) = (sittings.first(), sittings.last()) else {
        return Err(ApiError::field(
            "/sessions",
            FieldProblem::Count { min: 1, max: 10 },
        ));
    };
    let minutes: i64 = sittings
        .iter()
        .map(|s| (s.ended_at - s.started_at).num_minutes())
        .sum();
    let now = cx.now();
    let m = entity::interview::ActiveModel {
        id: Set(Uuid::now_v7()),
        participant_id: Set(participant.id),
        site_id: Set(participant.site_id),
        wave: Set(body.wave),
        scheduled_at: Set(first.started_at),
        ends_at: Set(last.ended_at),
        duration_minutes: Set(i32::try_from(minutes).unwrap_or(i32::MAX)),
        location: Set(clean(body.location)),
        note: Set(clean(body.note)),
        status: Set(InterviewStatus::Completed.as_str().into()),
        first_scheduled_at: Set(first.started_at),
        sequence: Set(0),
        cancel_reason: Set(None),
        completed_at: Set(Some(last.ended_at)),
        entered_later: Set(true),
        screening_note: Set(Some(body.screening_note.trim().to_string())),
        created_by: Set(Some(cx.p.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(ch.db())
    .await?;
    set_interviewers(ch.db(), m.id, &users).await?;
    entity::interview_session::Entity::insert_many(
        body.sessions
            .into_iter()
            .zip(&sittings)
            .enumerate()
            .map(|(n, (s, t))| entity::interview_session::ActiveModel {
                id: Set(Uuid::now_v7()),
                interview_id: Set(m.id),
                n: Set(n as i32 + 1),
                started_at: Set(t.started_at),
                ended_at: Set(Some(t.ended_at)),
                started_by: Set(None),
                screening_ids: Set(serde_json::json!([])),
                note: Set(clean(s.note)),
                recorded: Set(s.recorded),
                recording_label: Set(clean(s.recording_label)),
            }),
    )
    .exec_without_returning(ch.db())
    .await?;
    ch.audit(
        entry("interview.enter_earlier", &m)
            .detail(serde_json::json!({"wave": m.wave, "sessions": sittings.len()})),
    )
    .await?;
    let cx = ch.cx();
    ch.commit().await?;
    Ok(Changed {
        interview: one(cx.read, m).await?,
        created: true,
    })
}
