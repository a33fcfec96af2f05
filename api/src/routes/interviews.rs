//! Interviews: scheduling, postponements with history, cancellation, split
//! sessions gated by readiness and consent, completion; wave settings.
use std::collections::HashMap;

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    auth::{Principal, RequestMeta, Role, Scope},
    domain::{
        hours::Window,
        readiness::Outcome,
        schedule::{Wave, WindowState},
    },
    error::{check_len, clean, ApiError, ApiResult, FieldError},
    extract::{Json, Query},
    routes::{participants::visible_participant, screenings},
    services::{
        audit::{self, Actor, Entry},
        interviews::{self as svc, Change, MailContext, WaveSettings},
        readiness::Purpose,
    },
    state::AppState,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InterviewStatus {
    Scheduled,
    /// Postponed with the new time still to be agreed.
    Postponed,
    InProgress,
    Completed,
    Cancelled,
}

impl InterviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Postponed => "postponed",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "postponed" => Self::Postponed,
            "in_progress" => Self::InProgress,
            "completed" => Self::Completed,
            "cancelled" => Self::Cancelled,
            _ => Self::Scheduled,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewIn {
    pub participant_id: Uuid,
    #[schema(minimum = 1, maximum = 20)]
    pub wave: i32,
    pub scheduled_at: DateTime<Utc>,
    #[schema(minimum = 5, maximum = 480)]
    pub duration_minutes: i32,
    #[schema(min_items = 1, max_items = 5)]
    pub interviewer_ids: Vec<Uuid>,
    /// Where in the clinic, e.g. "Room 2".
    #[schema(max_length = 200)]
    pub location: Option<String>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// Book outside the site's opening hours on purpose.
    #[serde(default)]
    pub allow_outside_opening_hours: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostponementOut {
    pub id: Uuid,
    pub reason: PostponeReason,
    /// Readiness reason codes when the participant was not ready.
    pub readiness_reasons: Vec<String>,
    pub previous_scheduled_at: DateTime<Utc>,
    /// `null`: to be agreed.
    pub new_scheduled_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionOut {
    pub n: i32,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub minutes: Option<i64>,
    pub started_by: Option<Uuid>,
    /// The screenings that showed readiness when it started.
    pub screening_ids: Vec<Uuid>,
    pub note: Option<String>,
    pub recorded: bool,
    pub recording_label: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InterviewOut {
    pub id: Uuid,
    pub participant_id: Uuid,
    pub pseudonym: String,
    pub site_id: Uuid,
    pub wave: i32,
    /// The agreed time; while `postponed` the last one, a new one is to be agreed.
    pub scheduled_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub duration_minutes: i32,
    pub interviewer_ids: Vec<Uuid>,
    pub location: Option<String>,
    pub note: Option<String>,
    pub status: InterviewStatus,
    /// The scheduled time against the wave's due window.
    pub window: WindowState,
    pub first_scheduled_at: DateTime<Utc>,
    pub cancel_reason: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Grows with every change (the calendar SEQUENCE).
    pub sequence: i32,
    pub postponements: Vec<PostponementOut>,
    pub sessions: Vec<SessionOut>,
    /// Sum of the ended sessions' lengths.
    pub total_minutes: i64,
    /// Sum over recorded sessions.
    pub recorded_minutes: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PostponeReason {
    ParticipantNotReady,
    ParticipantUnwillingToday,
    ParticipantAbsent,
    ClinicCircumstances,
    InterviewerUnavailable,
    /// Needs a note.
    Other,
}

impl PostponeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ParticipantNotReady => "participant_not_ready",
            Self::ParticipantUnwillingToday => "participant_unwilling_today",
            Self::ParticipantAbsent => "participant_absent",
            Self::ClinicCircumstances => "clinic_circumstances",
            Self::InterviewerUnavailable => "interviewer_unavailable",
            Self::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "participant_not_ready" => Self::ParticipantNotReady,
            "participant_unwilling_today" => Self::ParticipantUnwillingToday,
            "participant_absent" => Self::ParticipantAbsent,
            "clinic_circumstances" => Self::ClinicCircumstances,
            "interviewer_unavailable" => Self::InterviewerUnavailable,
            _ => Self::Other,
        }
    }
}

fn minutes(s: &entity::interview_session::Model) -> Option<i64> {
    s.ended_at.map(|e| (e - s.started_at).num_minutes())
}

fn session_out(s: entity::interview_session::Model) -> SessionOut {
    SessionOut {
        n: s.n,
        minutes: minutes(&s),
        started_at: s.started_at,
        ended_at: s.ended_at,
        started_by: s.started_by,
        screening_ids: serde_json::from_value(s.screening_ids).unwrap_or_default(),
        note: s.note,
        recorded: s.recorded,
        recording_label: s.recording_label,
    }
}

fn postponement_out(p: entity::postponement::Model) -> PostponementOut {
    PostponementOut {
        id: p.id,
        reason: PostponeReason::parse(&p.reason),
        readiness_reasons: serde_json::from_value(p.readiness_reasons).unwrap_or_default(),
        previous_scheduled_at: p.previous_scheduled_at,
        new_scheduled_at: p.new_scheduled_at,
        note: p.note,
        created_by: p.created_by,
        created_at: p.created_at,
    }
}

/// The interviews as the API shows them, with everything they carry.
pub async fn expand(
    db: &impl ConnectionTrait,
    rows: Vec<entity::interview::Model>,
) -> ApiResult<Vec<InterviewOut>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut interviewers: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for l in entity::interview_interviewer::Entity::find()
        .filter(entity::interview_interviewer::Column::InterviewId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        interviewers
            .entry(l.interview_id)
            .or_default()
            .push(l.user_id);
    }
    let mut postponements: HashMap<Uuid, Vec<PostponementOut>> = HashMap::new();
    for p in entity::postponement::Entity::find()
        .filter(entity::postponement::Column::InterviewId.is_in(ids.clone()))
        .order_by_asc(entity::postponement::Column::CreatedAt)
        .order_by_asc(entity::postponement::Column::Id)
        .all(db)
        .await?
    {
        postponements
            .entry(p.interview_id)
            .or_default()
            .push(postponement_out(p));
    }
    let mut sessions: HashMap<Uuid, Vec<entity::interview_session::Model>> = HashMap::new();
    for s in entity::interview_session::Entity::find()
        .filter(entity::interview_session::Column::InterviewId.is_in(ids))
        .order_by_asc(entity::interview_session::Column::N)
        .all(db)
        .await?
    {
        sessions.entry(s.interview_id).or_default().push(s);
    }
    let pids: Vec<Uuid> = rows.iter().map(|r| r.participant_id).collect();
    let participants: HashMap<Uuid, entity::participant::Model> =
        entity::participant::Entity::find()
            .filter(entity::participant::Column::Id.is_in(pids))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
    let waves = svc::waves(db).await?;
    let sites = site_map(db, rows.iter().map(|r| r.site_id).collect()).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let ss = sessions.remove(&m.id).unwrap_or_default();
            let total_minutes = ss.iter().filter_map(minutes).sum();
            let recorded_minutes = ss.iter().filter(|s| s.recorded).filter_map(minutes).sum();
            let p = participants.get(&m.participant_id);
            let tz = sites.get(&m.site_id).map_or(Tz::UTC, |s| s.1);
            let window = match (p, waves.iter().find(|w| w.wave == m.wave)) {
                (Some(p), Some(w)) => w.state(
                    p.treatment_started_on,
                    m.scheduled_at.with_timezone(&tz).date_naive(),
                ),
                _ => WindowState::Open,
            };
            let mut ivs = interviewers.remove(&m.id).unwrap_or_default();
            ivs.sort();
            InterviewOut {
                id: m.id,
                participant_id: m.participant_id,
                pseudonym: p.map(|p| p.pseudonym.clone()).unwrap_or_default(),
                site_id: m.site_id,
                wave: m.wave,
                scheduled_at: m.scheduled_at,
                ends_at: m.ends_at,
                duration_minutes: m.duration_minutes,
                interviewer_ids: ivs,
                location: m.location,
                note: m.note,
                status: InterviewStatus::parse(&m.status),
                window,
                first_scheduled_at: m.first_scheduled_at,
                cancel_reason: m.cancel_reason,
                completed_at: m.completed_at,
                sequence: m.sequence,
                postponements: postponements.remove(&m.id).unwrap_or_default(),
                sessions: ss.into_iter().map(session_out).collect(),
                total_minutes,
                recorded_minutes,
                created_at: m.created_at,
                updated_at: m.updated_at,
            }
        })
        .collect())
}

async fn site_map(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> ApiResult<HashMap<Uuid, (entity::site::Model, Tz)>> {
    Ok(entity::site::Entity::find()
        .filter(entity::site::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| {
            let tz = s.timezone.parse().unwrap_or(Tz::UTC);
            (s.id, (s, tz))
        })
        .collect())
}

async fn one(db: &impl ConnectionTrait, m: entity::interview::Model) -> ApiResult<InterviewOut> {
    expand(db, vec![m])
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("interview vanished")))
}

fn opening_hours_error(pointer: &str, site: &entity::site::Model) -> ApiError {
    let hours: Vec<Window> = serde_json::from_value(site.opening_hours.clone()).unwrap_or_default();
    ApiError::field(
        pointer,
        format!(
            "is outside {}'s opening hours ({} in {}); send allow_outside_opening_hours: true to book it anyway",
            site.name,
            hours
                .iter()
                .map(|w| format!("{}-{}", w.start, w.end))
                .collect::<Vec<_>>()
                .join(", "),
            site.timezone
        ),
    )
}

fn within_hours(site: &entity::site::Model, start: DateTime<Utc>, minutes: i32) -> bool {
    let tz: Tz = site.timezone.parse().unwrap_or(Tz::UTC);
    let hours: Vec<Window> = serde_json::from_value(site.opening_hours.clone()).unwrap_or_default();
    crate::domain::schedule::within_opening_hours(tz, &hours, start, minutes.into())
}

fn busy_error(p: &Principal, other: &entity::interview::Model, user: Uuid) -> ApiError {
    if !p.can_see_site(other.site_id) {
        // Another site's schedule is not the caller's to see.
        return ApiError::conflict(
            "interviewer_busy",
            "An interviewer is already booked at that time.",
        )
        .with("interviewer_id", serde_json::json!(user));
    }
    ApiError::conflict(
        "interviewer_busy",
        format!(
            "An interviewer is already booked from {} to {} (interview {}).",
            other.scheduled_at.format("%Y-%m-%d %H:%M UTC"),
            other.ends_at.format("%H:%M UTC"),
            other.id
        ),
    )
    .with("interview_id", serde_json::json!(other.id))
    .with("interviewer_id", serde_json::json!(user))
}

/// The participant an interview is with.
async fn participant_of(
    db: &impl ConnectionTrait,
    m: &entity::interview::Model,
) -> ApiResult<entity::participant::Model> {
    entity::participant::Entity::find_by_id(m.participant_id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("participant"))
}

async fn site_of(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<entity::site::Model> {
    entity::site::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("site"))
}

/// Schedule an interview (coordinator).
#[utoipa::path(
    tag = "interviews",
    request_body = InterviewIn,
    responses(
        (status = 201, description = "Scheduled; `window` flags a time outside the wave's due window", body = InterviewOut),
        (status = 409, description = "Interviewer busy, participant withdrawn, or an open interview for this wave exists", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/interviews")]
pub async fn create_interview(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<InterviewIn>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ScheduleWrite)?;
    p.require_coordinator()?;
    let body = body.0;
    let participant = match visible_participant(&state, &p, body.participant_id).await {
        Ok(x) => x,
        Err(ApiError::NotFound(_)) => {
            return Err(ApiError::field("/participant_id", "no such participant"))
        }
        Err(e) => return Err(e),
    };
    let scheduled_at = body.scheduled_at.trunc_subsecs(0);
    let mut errors = Vec::new();
    if !(5..=480).contains(&body.duration_minutes) {
        errors.push(FieldError::new(
            "/duration_minutes",
            "must be 5 to 480 minutes",
        ));
    }
    let waves = svc::waves(&state.db).await?;
    if !waves.iter().any(|w| w.wave == body.wave) {
        errors.push(FieldError::new(
            "/wave",
            format!(
                "the study has waves {}",
                waves
                    .iter()
                    .map(|w| w.wave.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    check_len(&mut errors, "/location", body.location.as_deref(), 0, 200);
    check_len(&mut errors, "/note", body.note.as_deref(), 0, 2000);
    let mut ids = body.interviewer_ids.clone();
    ids.sort();
    ids.dedup();
    if ids.is_empty() || ids.len() > 5 {
        errors.push(FieldError::new(
            "/interviewer_ids",
            "name 1 to 5 interviewers",
        ));
    }
    let users = check_interviewers(
        &state,
        &body.interviewer_ids,
        participant.site_id,
        &mut errors,
    )
    .await?;
    let site = site_of(&state.db, participant.site_id).await?;
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if !body.allow_outside_opening_hours
        && !within_hours(&site, scheduled_at, body.duration_minutes)
    {
        return Err(opening_hours_error("/scheduled_at", &site));
    }
    if participant.status == "withdrawn" {
        return Err(ApiError::conflict(
            "participant_withdrawn",
            "This participant has withdrawn; no interview can be scheduled.",
        ));
    }
    let ends_at = scheduled_at + Duration::minutes(body.duration_minutes.into());
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let participant = screenings::lock_participant(&txn, participant.id).await?;
    if participant.status == "withdrawn" {
        return Err(ApiError::conflict(
            "participant_withdrawn",
            "This participant has withdrawn; no interview can be scheduled.",
        ));
    }
    svc::lock_interviewers(&txn, &users).await?;
    let open = entity::interview::Entity::find()
        .filter(entity::interview::Column::ParticipantId.eq(participant.id))
        .filter(entity::interview::Column::Wave.eq(body.wave))
        .filter(entity::interview::Column::Status.is_in(svc::OPEN))
        .one(&txn)
        .await?;
    if let Some(o) = open {
        return Err(ApiError::conflict(
            "interview_exists",
            format!(
                "{} already has an open interview for wave {} ({}); move or cancel that one.",
                participant.pseudonym, body.wave, o.id
            ),
        )
        .with("interview_id", serde_json::json!(o.id)));
    }
    if let Some((other, user)) = svc::clash(&txn, &users, scheduled_at, ends_at, None).await? {
        return Err(busy_error(&p, &other, user));
    }
    let m = entity::interview::ActiveModel {
        id: Set(Uuid::now_v7()),
        participant_id: Set(participant.id),
        site_id: Set(participant.site_id),
        wave: Set(body.wave),
        scheduled_at: Set(scheduled_at),
        ends_at: Set(ends_at),
        duration_minutes: Set(body.duration_minutes),
        location: Set(clean(body.location)),
        note: Set(clean(body.note)),
        status: Set("scheduled".into()),
        first_scheduled_at: Set(scheduled_at),
        sequence: Set(0),
        cancel_reason: Set(None),
        completed_at: Set(None),
        created_by: Set(Some(p.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    entity::interview_interviewer::Entity::insert_many(users.iter().map(|u| {
        entity::interview_interviewer::ActiveModel {
            interview_id: Set(m.id),
            user_id: Set(*u),
        }
    }))
    .exec_without_returning(&txn)
    .await?;
    finish(
        &state,
        txn,
        &p,
        &meta,
        m,
        &participant,
        &site,
        Done {
            change: Change::Scheduled,
            previous: None,
            action: "interview.create",
            detail: None,
            created: true,
        },
    )
    .await
}

/// What a change to an interview says and records.
struct Done<'a> {
    change: Change,
    previous: Option<DateTime<Utc>>,
    action: &'a str,
    detail: Option<serde_json::Value>,
    created: bool,
}

/// The end of every change to an interview: tell the people concerned (in
/// the transaction, through the outbox), record it, commit, and answer with
/// the interview as it now is.
#[allow(clippy::too_many_arguments)]
async fn finish(
    state: &AppState,
    txn: sea_orm::DatabaseTransaction,
    p: &Principal,
    meta: &RequestMeta,
    interview: entity::interview::Model,
    participant: &entity::participant::Model,
    site: &entity::site::Model,
    done: Done<'_>,
) -> ApiResult<HttpResponse> {
    let ctx = MailContext {
        interview: &interview,
        pseudonym: &participant.pseudonym,
        site,
        public_url: &state.settings.public_url,
    };
    svc::notify(&txn, &ctx, done.change, p.user_id, done.previous).await?;
    let mut entry =
        Entry::new(done.action, "interview", interview.id).site(Some(interview.site_id));
    if let Some(d) = done.detail {
        entry = entry.detail(d);
    }
    audit::record(&txn, &Actor::new(p, meta), entry).await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    let out = one(&state.db, interview).await?;
    Ok(if done.created {
        HttpResponse::Created().json(out)
    } else {
        HttpResponse::Ok().json(out)
    })
}

/// Interviewers must exist, be active and work at the participant's site.
async fn check_interviewers(
    state: &AppState,
    ids: &[Uuid],
    site: Uuid,
    errors: &mut Vec<FieldError>,
) -> ApiResult<Vec<Uuid>> {
    let users: HashMap<Uuid, entity::user::Model> = entity::user::Entity::find()
        .filter(entity::user::Column::Id.is_in(ids.to_vec()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let at_site: Vec<Uuid> = entity::user_site::Entity::find()
        .filter(entity::user_site::Column::UserId.is_in(ids.to_vec()))
        .filter(entity::user_site::Column::SiteId.eq(site))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|l| l.user_id)
        .collect();
    let mut ok = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        match users.get(id) {
            Some(u) if u.active && (u.role == Role::Admin.as_str() || at_site.contains(id)) => {
                if !ok.contains(id) {
                    ok.push(*id);
                }
            }
            Some(u) if u.active => errors.push(FieldError::new(
                format!("/interviewer_ids/{i}"),
                format!(
                    "{} has no access to this participant's site",
                    u.display_name
                ),
            )),
            _ => errors.push(FieldError::new(
                format!("/interviewer_ids/{i}"),
                "no such active team member",
            )),
        }
    }
    Ok(ok)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InterviewQuery {
    /// Scheduled at or after.
    pub from: Option<DateTime<Utc>>,
    /// Scheduled before.
    pub to: Option<DateTime<Utc>>,
    pub site_id: Option<Uuid>,
    pub interviewer_id: Option<Uuid>,
    pub participant_id: Option<Uuid>,
    pub status: Option<InterviewStatus>,
    pub wave: Option<i32>,
    /// 1 to 200, default 50.
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InterviewList {
    /// By scheduled time.
    pub items: Vec<InterviewOut>,
}

async fn list(
    state: &AppState,
    p: &Principal,
    meta: &RequestMeta,
    q: &InterviewQuery,
    only_user: Option<Uuid>,
) -> ApiResult<Vec<InterviewOut>> {
    let limit = super::limit(q.limit)?;
    use entity::interview::{Column, Entity};
    let mut sel = Entity::find()
        .order_by_asc(Column::ScheduledAt)
        .order_by_asc(Column::Id)
        .limit(limit);
    if let Some(ids) = p.visible_sites() {
        sel = sel.filter(Column::SiteId.is_in(ids.to_vec()));
    }
    if let Some(f) = q.from {
        sel = sel.filter(Column::ScheduledAt.gte(f));
    }
    if let Some(t) = q.to {
        sel = sel.filter(Column::ScheduledAt.lt(t));
    }
    if let Some(s) = q.site_id {
        sel = sel.filter(Column::SiteId.eq(s));
    }
    if let Some(pid) = q.participant_id {
        sel = sel.filter(Column::ParticipantId.eq(pid));
    }
    if let Some(s) = q.status {
        sel = sel.filter(Column::Status.eq(s.as_str()));
    }
    if let Some(w) = q.wave {
        sel = sel.filter(Column::Wave.eq(w));
    }
    if let Some(u) = q.interviewer_id.or(only_user) {
        sel = sel.filter(
            Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(entity::interview_interviewer::Column::InterviewId)
                    .from(entity::interview_interviewer::Entity)
                    .and_where(entity::interview_interviewer::Column::UserId.eq(u))
                    .to_owned(),
            ),
        );
    }
    let items = expand(&state.db, sel.all(&state.db).await?).await?;
    audit::log(
        state,
        &Actor::new(p, meta),
        Entry {
            action: "interview.list",
            object_type: "interview",
            object_id: None,
            site_id: q.site_id,
            detail: Some(serde_json::json!({
                "count": items.len(),
                "ids": items.iter().map(|i| i.id).collect::<Vec<_>>(),
            })),
        },
    )
    .await?;
    Ok(items)
}

/// Interviews at the caller's sites, by time.
#[utoipa::path(
    tag = "interviews",
    params(InterviewQuery),
    responses((status = 200, description = "Interviews", body = InterviewList)),
    security(("bearer" = []))
)]
#[get("/interviews")]
pub async fn list_interviews(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: Query<InterviewQuery>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ScheduleRead)?;
    let items = list(&state, &p, &meta, &q, None).await?;
    Ok(HttpResponse::Ok().json(InterviewList { items }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MyQuery {
    /// Default: the start of today in the time zone of the caller's sites
    /// (UTC when they are in several zones or none).
    pub from: Option<DateTime<Utc>>,
    /// Default: the end of that day when `from` is not given, else 24 hours
    /// after `from`.
    pub to: Option<DateTime<Utc>>,
}

/// My interviews ("my day" by default).
#[utoipa::path(
    tag = "interviews",
    params(MyQuery),
    responses((status = 200, description = "Interviews", body = InterviewList)),
    security(("bearer" = []))
)]
#[get("/me/interviews")]
pub async fn my_interviews(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: Query<MyQuery>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ScheduleRead)?;
    let (from, day_end) = match q.from {
        Some(from) => (from, from + Duration::hours(24)),
        None => {
            // "Today" is the sites' day: just after midnight in Oslo it is
            // still yesterday in UTC.
            let zones: Vec<String> = entity::site::Entity::find()
                .filter(entity::site::Column::Id.is_in(p.site_ids.clone()))
                .select_only()
                .column(entity::site::Column::Timezone)
                .distinct()
                .into_tuple()
                .all(&state.read)
                .await?;
            let tz = match zones.as_slice() {
                [one] => one.parse().unwrap_or(Tz::UTC),
                _ => Tz::UTC,
            };
            crate::domain::hours::local_day(tz, Utc::now())
        }
    };
    let query = InterviewQuery {
        from: Some(from),
        to: Some(q.to.unwrap_or(day_end)),
        site_id: None,
        interviewer_id: None,
        participant_id: None,
        status: None,
        wave: None,
        limit: Some(200),
    };
    let items = list(&state, &p, &meta, &query, Some(p.user_id)).await?;
    Ok(HttpResponse::Ok().json(InterviewList { items }))
}

async fn visible_interview(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: Uuid,
) -> ApiResult<entity::interview::Model> {
    entity::interview::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|m| p.can_see_site(m.site_id))
        .ok_or(ApiError::NotFound("interview"))
}

/// One interview with its postponements, sessions, minutes and window.
#[utoipa::path(
    tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id")),
    responses((status = 200, description = "The interview", body = InterviewOut)),
    security(("bearer" = []))
)]
#[get("/interviews/{id}")]
pub async fn get_interview(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ScheduleRead)?;
    let m = visible_interview(&state.db, &p, *id).await?;
    audit::log(
        &state,
        &Actor::new(&p, &meta),
        Entry::new("interview.read", "interview", m.id).site(Some(m.site_id)),
    )
    .await?;
    Ok(HttpResponse::Ok().json(one(&state.db, m).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostponementList {
    /// Oldest first; never rewritten.
    pub items: Vec<PostponementOut>,
}

/// An interview's postponements.
#[utoipa::path(
    tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id")),
    responses((status = 200, description = "Postponements", body = PostponementList)),
    security(("bearer" = []))
)]
#[get("/interviews/{id}/postponements")]
pub async fn list_postponements(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ScheduleRead)?;
    let m = visible_interview(&state.db, &p, *id).await?;
    audit::log(
        &state,
        &Actor::new(&p, &meta),
        Entry::new("interview.postponements", "interview", m.id).site(Some(m.site_id)),
    )
    .await?;
    Ok(HttpResponse::Ok().json(PostponementList {
        items: one(&state.db, m).await?.postponements,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostponeIn {
    pub reason: PostponeReason,
    /// The new time, or `null` for "to be agreed".
    pub new_scheduled_at: Option<DateTime<Utc>>,
    /// Required when the reason is `other`.
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    #[serde(default)]
    pub allow_outside_opening_hours: bool,
}

async fn may_act(state: &AppState, p: &Principal, m: &entity::interview::Model) -> ApiResult<()> {
    if p.require_coordinator().is_ok() {
        return Ok(());
    }
    let mine = entity::interview_interviewer::Entity::find()
        .filter(entity::interview_interviewer::Column::InterviewId.eq(m.id))
        .filter(entity::interview_interviewer::Column::UserId.eq(p.user_id))
        .count(&state.db)
        .await?;
    if mine > 0 {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "Only the interview's interviewers or a coordinator can do this.".into(),
        ))
    }
}

async fn interviewer_ids(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<Vec<Uuid>> {
    Ok(entity::interview_interviewer::Entity::find()
        .filter(entity::interview_interviewer::Column::InterviewId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.user_id)
        .collect())
}

/// Moves an interview to `new` (or "to be agreed"), with the same checks as
/// scheduling, inside `txn`. Returns the updated row.
#[allow(clippy::too_many_arguments)]
async fn move_to(
    txn: &sea_orm::DatabaseTransaction,
    p: &Principal,
    m: &entity::interview::Model,
    site: &entity::site::Model,
    new: Option<DateTime<Utc>>,
    allow_outside: bool,
    status_when_timed: &str,
) -> ApiResult<entity::interview::Model> {
    let mut am: entity::interview::ActiveModel = m.clone().into();
    match new {
        Some(t) => {
            let t = t.trunc_subsecs(0);
            if !allow_outside && !within_hours(site, t, m.duration_minutes) {
                return Err(opening_hours_error("/new_scheduled_at", site));
            }
            let ends = t + Duration::minutes(m.duration_minutes.into());
            let users = interviewer_ids(txn, m.id).await?;
            svc::lock_interviewers(txn, &users).await?;
            if let Some((other, user)) = svc::clash(txn, &users, t, ends, Some(m.id)).await? {
                return Err(busy_error(p, &other, user));
            }
            am.scheduled_at = Set(t);
            am.ends_at = Set(ends);
            am.status = Set(status_when_timed.into());
        }
        None => am.status = Set("postponed".into()),
    }
    am.sequence = Set(m.sequence + 1);
    am.updated_at = Set(Utc::now());
    svc::drop_pending_reminders(txn, m.id).await?;
    Ok(am.update(txn).await?)
}

/// Postpone an interview (its interviewers or a coordinator): to a new time,
/// with the same checks as scheduling, or to "to be agreed". The history is
/// kept. With `participant_not_ready`, the current readiness reasons are
/// stored with it.
#[utoipa::path(
    tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id")),
    request_body = PostponeIn,
    responses((status = 201, description = "Postponed", body = InterviewOut)),
    security(("bearer" = []))
)]
#[post("/interviews/{id}/postponements")]
pub async fn postpone(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<PostponeIn>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ScheduleWrite)?;
    let m = visible_interview(&state.db, &p, *id).await?;
    may_act(&state, &p, &m).await?;
    let body = body.0;
    let mut errors = Vec::new();
    check_len(&mut errors, "/note", body.note.as_deref(), 0, 2000);
    if body.reason == PostponeReason::Other && clean(body.note.clone()).is_none() {
        errors.push(FieldError::new("/note", "say why when the reason is other"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if !matches!(m.status.as_str(), "scheduled" | "postponed" | "in_progress") {
        return Err(ApiError::conflict(
            "interview_closed",
            format!("This interview is {}; reopen it first.", m.status),
        ));
    }
    if open_session(&state.db, m.id).await?.is_some() {
        return Err(ApiError::conflict(
            "session_open",
            "End the running session before postponing.",
        ));
    }
    let readiness_reasons: Vec<String> = if body.reason == PostponeReason::ParticipantNotReady {
        let e = crate::services::readiness::evaluate(
            &state.db,
            m.participant_id,
            Purpose::Session,
            super::lang(&req),
            Utc::now(),
        )
        .await?;
        e.decision.reasons.into_iter().map(|r| r.code).collect()
    } else {
        Vec::new()
    };
    let site = site_of(&state.db, m.site_id).await?;
    let participant = participant_of(&state.db, &m).await?;
    let txn = state.db.begin().await?;
    lock_unchanged(&txn, &m).await?;
    let updated = move_to(
        &txn,
        &p,
        &m,
        &site,
        body.new_scheduled_at,
        body.allow_outside_opening_hours,
        "scheduled",
    )
    .await?;
    entity::postponement::ActiveModel {
        id: Set(Uuid::now_v7()),
        interview_id: Set(m.id),
        reason: Set(body.reason.as_str().into()),
        readiness_reasons: Set(serde_json::json!(readiness_reasons)),
        previous_scheduled_at: Set(m.scheduled_at),
        new_scheduled_at: Set(body.new_scheduled_at.map(|t| t.trunc_subsecs(0))),
        note: Set(clean(body.note)),
        created_by: Set(Some(p.user_id)),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    let change = if body.new_scheduled_at.is_some() {
        Change::NewTime
    } else {
        Change::Postponed
    };
    // From "to be agreed" there was no time to move from.
    let previous = (m.status != "postponed").then_some(m.scheduled_at);
    finish(
        &state,
        txn,
        &p,
        &meta,
        updated,
        &participant,
        &site,
        Done {
            change,
            previous,
            action: "interview.postpone",
            detail: Some(serde_json::json!({"reason": body.reason.as_str()})),
            created: true,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelIn {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// Cancel an interview (coordinator).
#[utoipa::path(
    tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id")),
    request_body = CancelIn,
    responses((status = 200, description = "Cancelled", body = InterviewOut)),
    security(("bearer" = []))
)]
#[post("/interviews/{id}/cancel")]
pub async fn cancel_interview(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<CancelIn>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ScheduleWrite)?;
    let m = visible_interview(&state.db, &p, *id).await?;
    p.require_coordinator()?;
    let mut errors = Vec::new();
    check_len(&mut errors, "/reason", Some(&body.reason), 1, 500);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if !matches!(m.status.as_str(), "scheduled" | "postponed" | "in_progress") {
        return Err(ApiError::conflict(
            "interview_closed",
            format!("This interview is already {}.", m.status),
        ));
    }
    if open_session(&state.db, m.id).await?.is_some() {
        return Err(ApiError::conflict(
            "session_open",
            "End the running session before cancelling.",
        ));
    }
    let site = site_of(&state.db, m.site_id).await?;
    let participant = participant_of(&state.db, &m).await?;
    let txn = state.db.begin().await?;
    lock_unchanged(&txn, &m).await?;
    let mut am: entity::interview::ActiveModel = m.clone().into();
    am.status = Set("cancelled".into());
    am.cancel_reason = Set(Some(body.reason.trim().to_string()));
    am.sequence = Set(m.sequence + 1);
    am.updated_at = Set(Utc::now());
    let updated = am.update(&txn).await?;
    svc::drop_pending_reminders(&txn, m.id).await?;
    finish(
        &state,
        txn,
        &p,
        &meta,
        updated,
        &participant,
        &site,
        Done {
            change: Change::Cancelled,
            previous: None,
            action: "interview.cancel",
            detail: None,
            created: false,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenIn {
    /// A new time; without one the interview is open with the time to be agreed.
    pub scheduled_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub allow_outside_opening_hours: bool,
}

/// Reopen a cancelled or completed interview (coordinator).
#[utoipa::path(
    tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id")),
    request_body = ReopenIn,
    responses((status = 200, description = "Open again", body = InterviewOut)),
    security(("bearer" = []))
)]
#[post("/interviews/{id}/reopen")]
pub async fn reopen_interview(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<ReopenIn>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ScheduleWrite)?;
    let m = visible_interview(&state.db, &p, *id).await?;
    p.require_coordinator()?;
    if !matches!(m.status.as_str(), "cancelled" | "completed") {
        return Err(ApiError::conflict(
            "interview_open",
            "Only a cancelled or completed interview can be reopened.",
        ));
    }
    let site = site_of(&state.db, m.site_id).await?;
    let participant = participant_of(&state.db, &m).await?;
    let txn = state.db.begin().await?;
    screenings::lock_participant(&txn, m.participant_id).await?;
    lock_unchanged(&txn, &m).await?;
    let other = entity::interview::Entity::find()
        .filter(entity::interview::Column::ParticipantId.eq(m.participant_id))
        .filter(entity::interview::Column::Wave.eq(m.wave))
        .filter(entity::interview::Column::Status.is_in(svc::OPEN))
        .filter(entity::interview::Column::Id.ne(m.id))
        .one(&txn)
        .await?;
    if let Some(o) = other {
        return Err(ApiError::conflict(
            "interview_exists",
            format!("Another interview for wave {} is open ({}).", m.wave, o.id),
        )
        .with("interview_id", serde_json::json!(o.id)));
    }
    let status = if m.status == "completed" {
        "in_progress"
    } else {
        "scheduled"
    };
    let mut updated = move_to(
        &txn,
        &p,
        &m,
        &site,
        body.scheduled_at,
        body.allow_outside_opening_hours,
        status,
    )
    .await?;
    if m.status == "completed" && body.scheduled_at.is_none() {
        let mut am: entity::interview::ActiveModel = updated.into();
        am.status = Set("in_progress".into());
        updated = am.update(&txn).await?;
    }
    let mut am: entity::interview::ActiveModel = updated.into();
    am.cancel_reason = Set(None);
    am.completed_at = Set(None);
    let updated = am.update(&txn).await?;
    finish(
        &state,
        txn,
        &p,
        &meta,
        updated,
        &participant,
        &site,
        Done {
            change: Change::Reopened,
            previous: None,
            action: "interview.reopen",
            detail: None,
            created: false,
        },
    )
    .await
}

/// Re-reads the interview inside `txn`, locked until the commit on
/// PostgreSQL (SQLite has one writer), and refuses when someone changed it
/// since it was read: changes never silently overwrite each other.
async fn lock_unchanged(
    txn: &sea_orm::DatabaseTransaction,
    m: &entity::interview::Model,
) -> ApiResult<entity::interview::Model> {
    let fresh = entity::interview::Entity::find_by_id(m.id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound("interview"))?;
    if fresh.sequence != m.sequence || fresh.status != m.status {
        return Err(ApiError::conflict(
            "interview_changed",
            "Someone changed this interview a moment ago. Reload it and try again.",
        ));
    }
    Ok(fresh)
}

async fn open_session(
    db: &impl ConnectionTrait,
    interview: Uuid,
) -> ApiResult<Option<entity::interview_session::Model>> {
    Ok(entity::interview_session::Entity::find()
        .filter(entity::interview_session::Column::InterviewId.eq(interview))
        .filter(entity::interview_session::Column::EndedAt.is_null())
        .one(db)
        .await?)
}

/// Start a session of an interview. Only when the participant has a valid
/// consent and is READY for a session right now; otherwise 409 `no_consent`
/// or `not_ready` with the reasons (`postpone_reason` tells the client it can
/// postpone with `participant_not_ready`).
#[utoipa::path(
    tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id")),
    responses(
        (status = 201, description = "Started", body = SessionOut),
        (status = 409, description = "Not ready, no consent, a session already running, or the interview is closed", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/interviews/{id}/sessions")]
pub async fn start_session(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ScheduleWrite)?;
    let m = visible_interview(&state.db, &p, *id).await?;
    may_act(&state, &p, &m).await?;
    if !matches!(m.status.as_str(), "scheduled" | "postponed" | "in_progress") {
        return Err(ApiError::conflict(
            "interview_closed",
            format!("This interview is {}.", m.status),
        ));
    }
    if open_session(&state.db, m.id).await?.is_some() {
        return Err(ApiError::conflict(
            "session_open",
            "A session of this interview is already running; end it first.",
        ));
    }
    let participant = participant_of(&state.db, &m).await?;
    let consent = entity::consent::Entity::find()
        .filter(entity::consent::Column::ParticipantId.eq(participant.id))
        .filter(entity::consent::Column::WithdrawnAt.is_null())
        .one(&state.db)
        .await?;
    if consent.is_none() || participant.status != "active" {
        audit::log(
            &state,
            &Actor::new(&p, &meta),
            Entry::new("session.refused", "interview", m.id)
                .site(Some(m.site_id))
                .detail(serde_json::json!({"reasons": ["no_consent"]})),
        )
        .await?;
        return Err(ApiError::conflict(
            "no_consent",
            "There is no valid consent for this participant. Record consent (after a READY screening) before the interview.",
        )
        .with("postpone_reason", serde_json::json!("participant_not_ready")));
    }
    let now = Utc::now();
    let txn = state.db.begin().await?;
    lock_unchanged(&txn, &m).await?;
    let participant = screenings::lock_participant(&txn, participant.id).await?;
    if participant.status != "active" {
        return Err(ApiError::conflict(
            "no_consent",
            "The participant is no longer active in the study.",
        ));
    }
    if open_session(&txn, m.id).await?.is_some() {
        return Err(ApiError::conflict(
            "session_open",
            "A session of this interview is already running; end it first.",
        ));
    }
    let ready =
        screenings::readiness_in(&txn, super::lang(&req), &participant, Purpose::Session).await?;
    if ready.outcome != Outcome::Ready {
        drop(txn);
        return Err(
            screenings::refuse(&state, &p, &meta, "session.refused", &participant, &ready).await,
        );
    }
    let n = entity::interview_session::Entity::find()
        .filter(entity::interview_session::Column::InterviewId.eq(m.id))
        .count(&txn)
        .await? as i32
        + 1;
    let s = entity::interview_session::ActiveModel {
        id: Set(Uuid::now_v7()),
        interview_id: Set(m.id),
        n: Set(n),
        started_at: Set(now),
        ended_at: Set(None),
        started_by: Set(Some(p.user_id)),
        screening_ids: Set(serde_json::json!(ready.screening_ids)),
        note: Set(None),
        recorded: Set(false),
        recording_label: Set(None),
    }
    .insert(&txn)
    .await?;
    entity::interview::Entity::update_many()
        .col_expr(
            entity::interview::Column::Status,
            sea_orm::sea_query::Expr::value("in_progress"),
        )
        .col_expr(
            entity::interview::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(entity::interview::Column::Id.eq(m.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        &Actor::new(&p, &meta),
        Entry::new("session.start", "interview", m.id)
            .site(Some(m.site_id))
            .detail(serde_json::json!({"n": n, "screening_ids": ready.screening_ids})),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(session_out(s)))
}

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

/// End a running session.
#[utoipa::path(
    tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id"), ("n" = i32, Path, description = "Session number")),
    request_body = EndSessionIn,
    responses((status = 200, description = "Ended", body = SessionOut)),
    security(("bearer" = []))
)]
#[post("/interviews/{id}/sessions/{n}/end")]
pub async fn end_session(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    path: web::Path<(Uuid, i32)>,
    body: Json<EndSessionIn>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ScheduleWrite)?;
    let (id, n) = path.into_inner();
    let m = visible_interview(&state.db, &p, id).await?;
    may_act(&state, &p, &m).await?;
    let body = body.0;
    let mut errors = Vec::new();
    check_len(&mut errors, "/note", body.note.as_deref(), 0, 2000);
    check_len(
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
        .one(&state.db)
        .await?
        .ok_or(ApiError::NotFound("session"))?;
    if s.ended_at.is_some() {
        return Err(ApiError::conflict(
            "session_ended",
            "This session has already ended.",
        ));
    }
    let txn = state.db.begin().await?;
    let mut am: entity::interview_session::ActiveModel = s.into();
    am.ended_at = Set(Some(Utc::now()));
    am.note = Set(clean(body.note));
    am.recorded = Set(body.recorded);
    am.recording_label = Set(clean(body.recording_label));
    let s = am.update(&txn).await?;
    audit::record(
        &txn,
        &Actor::new(&p, &meta),
        Entry::new("session.end", "interview", m.id)
            .site(Some(m.site_id))
            .detail(serde_json::json!({"n": n})),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(session_out(s)))
}

/// Close an interview after its sessions; its length is their sum.
#[utoipa::path(
    tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id")),
    responses((status = 200, description = "Completed", body = InterviewOut)),
    security(("bearer" = []))
)]
#[post("/interviews/{id}/complete")]
pub async fn complete_interview(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ScheduleWrite)?;
    let m = visible_interview(&state.db, &p, *id).await?;
    may_act(&state, &p, &m).await?;
    if open_session(&state.db, m.id).await?.is_some() {
        return Err(ApiError::conflict(
            "session_open",
            "End the running session first.",
        ));
    }
    if m.status != "in_progress" {
        return Err(ApiError::conflict(
            "no_sessions",
            format!(
                "This interview is {}; only an interview with sessions can be completed.",
                m.status
            ),
        ));
    }
    let txn = state.db.begin().await?;
    lock_unchanged(&txn, &m).await?;
    let mut am: entity::interview::ActiveModel = m.clone().into();
    am.status = Set("completed".into());
    am.completed_at = Set(Some(Utc::now()));
    am.updated_at = Set(Utc::now());
    am.sequence = Set(m.sequence + 1);
    let updated = am.update(&txn).await?;
    svc::drop_pending_reminders(&txn, m.id).await?;
    audit::record(
        &txn,
        &Actor::new(&p, &meta),
        Entry::new("interview.complete", "interview", m.id).site(Some(m.site_id)),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(one(&state.db, updated).await?))
}

/// The study's interview waves.
#[utoipa::path(
    tag = "interviews",
    responses((status = 200, description = "Waves", body = WaveSettings)),
    security(("bearer" = []))
)]
#[get("/settings/waves")]
pub async fn get_waves(state: web::Data<AppState>, p: Principal) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ScheduleRead)?;
    Ok(HttpResponse::Ok().json(WaveSettings {
        waves: svc::waves(&state.db).await?,
    }))
}

/// Replace the study's waves (admin).
#[utoipa::path(
    tag = "interviews",
    request_body = WaveSettings,
    responses((status = 200, description = "Waves", body = WaveSettings)),
    security(("bearer" = []))
)]
#[patch("/settings/waves")]
pub async fn patch_waves(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<WaveSettings>,
) -> ApiResult<HttpResponse> {
    p.require_admin()?;
    let mut waves: Vec<Wave> = body.0.waves;
    let mut errors = Vec::new();
    if waves.is_empty() || waves.len() > 20 {
        errors.push(FieldError::new("/waves", "name 1 to 20 waves"));
    }
    for (i, w) in waves.iter().enumerate() {
        if !(1..=20).contains(&w.wave) {
            errors.push(FieldError::new(
                format!("/waves/{i}/wave"),
                "must be 1 to 20",
            ));
        }
        if waves[..i].iter().any(|o| o.wave == w.wave) {
            errors.push(FieldError::new(
                format!("/waves/{i}/wave"),
                "is listed twice",
            ));
        }
        if !(0..=3650).contains(&w.opens_day) {
            errors.push(FieldError::new(
                format!("/waves/{i}/opens_day"),
                "must be 0 to 3650",
            ));
        }
        if w.closes_day < w.opens_day || w.closes_day > 3650 {
            errors.push(FieldError::new(
                format!("/waves/{i}/closes_day"),
                "must be from opens_day to 3650",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    waves.sort_by_key(|w| w.wave);
    let value = serde_json::to_value(WaveSettings {
        waves: waves.clone(),
    })
    .map_err(anyhow::Error::from)?;
    let txn = state.db.begin().await?;
    crate::services::settings::save(&txn, svc::WAVES_KEY, value.clone(), p.user_id).await?;
    audit::record(
        &txn,
        &Actor::new(&p, &meta),
        Entry::new("settings.update", "settings", svc::WAVES_KEY).detail(value),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(WaveSettings { waves }))
}

/// Changes to an interview's details; absent fields stay as they are. A new
/// time is a postponement (`POST .../postponements`), so its history is kept.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewPatch {
    #[schema(minimum = 5, maximum = 480)]
    pub duration_minutes: Option<i32>,
    #[schema(min_items = 1, max_items = 5)]
    pub interviewer_ids: Option<Vec<Uuid>>,
    #[schema(max_length = 200)]
    pub location: Option<String>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    #[serde(default)]
    pub allow_outside_opening_hours: bool,
}

/// Change an open interview's length, interviewers, place or note
/// (coordinator), with the same checks as booking it.
#[utoipa::path(
    tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id")),
    request_body = InterviewPatch,
    responses(
        (status = 200, description = "Changed", body = InterviewOut),
        (status = 409, description = "Interviewer busy, or the interview is closed", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/interviews/{id}")]
pub async fn patch_interview(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<InterviewPatch>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ScheduleWrite)?;
    let m = visible_interview(&state.db, &p, *id).await?;
    p.require_coordinator()?;
    let body = body.0;
    let mut errors = Vec::new();
    if body
        .duration_minutes
        .is_some_and(|d| !(5..=480).contains(&d))
    {
        errors.push(FieldError::new(
            "/duration_minutes",
            "must be 5 to 480 minutes",
        ));
    }
    check_len(&mut errors, "/location", body.location.as_deref(), 0, 200);
    check_len(&mut errors, "/note", body.note.as_deref(), 0, 2000);
    let users = match &body.interviewer_ids {
        Some(ids) => {
            if ids.is_empty() || ids.len() > 5 {
                errors.push(FieldError::new(
                    "/interviewer_ids",
                    "name 1 to 5 interviewers",
                ));
            }
            Some(check_interviewers(&state, ids, m.site_id, &mut errors).await?)
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if !matches!(m.status.as_str(), "scheduled" | "postponed" | "in_progress") {
        return Err(ApiError::conflict(
            "interview_closed",
            format!("This interview is {}; reopen it first.", m.status),
        ));
    }
    let site = site_of(&state.db, m.site_id).await?;
    let duration = body.duration_minutes.unwrap_or(m.duration_minutes);
    if m.status == "scheduled"
        && body.duration_minutes.is_some()
        && !body.allow_outside_opening_hours
        && !within_hours(&site, m.scheduled_at, duration)
    {
        return Err(opening_hours_error("/duration_minutes", &site));
    }
    let participant = participant_of(&state.db, &m).await?;
    let ends_at = m.scheduled_at + Duration::minutes(duration.into());
    let txn = state.db.begin().await?;
    lock_unchanged(&txn, &m).await?;
    let people = match &users {
        Some(u) => u.clone(),
        None => interviewer_ids(&txn, m.id).await?,
    };
    if m.status != "postponed" {
        svc::lock_interviewers(&txn, &people).await?;
        if let Some((other, user)) =
            svc::clash(&txn, &people, m.scheduled_at, ends_at, Some(m.id)).await?
        {
            return Err(busy_error(&p, &other, user));
        }
    }
    let mut am: entity::interview::ActiveModel = m.clone().into();
    am.duration_minutes = Set(duration);
    am.ends_at = Set(ends_at);
    if body.location.is_some() {
        am.location = Set(clean(body.location));
    }
    if body.note.is_some() {
        am.note = Set(clean(body.note));
    }
    am.sequence = Set(m.sequence + 1);
    am.updated_at = Set(Utc::now());
    let updated = am.update(&txn).await?;
    if let Some(u) = &users {
        entity::interview_interviewer::Entity::delete_many()
            .filter(entity::interview_interviewer::Column::InterviewId.eq(m.id))
            .exec(&txn)
            .await?;
        entity::interview_interviewer::Entity::insert_many(u.iter().map(|user| {
            entity::interview_interviewer::ActiveModel {
                interview_id: Set(m.id),
                user_id: Set(*user),
            }
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    // Unsent reminders name the old interviewers or length: the next pass
    // queues them anew. A new place or note alone keeps them.
    if body.duration_minutes.is_some() || users.is_some() {
        svc::drop_pending_reminders(&txn, m.id).await?;
    }
    finish(
        &state,
        txn,
        &p,
        &meta,
        updated,
        &participant,
        &site,
        Done {
            change: Change::Changed,
            previous: None,
            action: "interview.update",
            detail: None,
            created: false,
        },
    )
    .await
}
