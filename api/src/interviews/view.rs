//! Interviews as the API shows them: with their interviewers, postponements,
//! sessions, minutes and due window. Reads only, on the read connections.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    interviews::rules::{schedule::WindowState, InterviewStatus, PostponeReason},
    kernel::{
        audit::Entry,
        ctx::{bad_cursor, decode_cursor, encode_cursor, Ctx},
        error::{ApiError, ApiResult},
    },
    sites::tz_of,
};

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

/// A new time given with no reason to report (see `PATCH
/// /interviews/{id}`): part of the interview's history, never counted as a
/// postponement.
#[derive(Debug, Serialize, ToSchema)]
pub struct RescheduleOut {
    pub id: Uuid,
    /// `null`: the time was to be agreed.
    pub previous_scheduled_at: Option<DateTime<Utc>>,
    pub new_scheduled_at: DateTime<Utc>,
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
    /// Held before the study used Fieldnotes and entered afterwards (`POST
    /// /interviews/earlier`): completed, with no screening of Fieldnotes'
    /// behind its sessions.
    pub entered_later: bool,
    /// For an interview entered later: how readiness was checked at the
    /// time, in the team's words; `null` otherwise.
    pub screening_note: Option<String>,
    /// Grows with every change (the calendar SEQUENCE).
    pub sequence: i32,
    /// Times it could not happen as planned, with their reasons (counted
    /// in the report and the methods paragraph).
    pub postponements: Vec<PostponementOut>,
    /// New times given with no reason: agreed or changed while planning.
    pub reschedules: Vec<RescheduleOut>,
    pub sessions: Vec<SessionOut>,
    /// Sum of the ended sessions' lengths.
    pub total_minutes: i64,
    /// Sum over recorded sessions.
    pub recorded_minutes: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl InterviewOut {
    /// The digest of what it shows: any change to it, its sessions,
    /// postponements or reschedules gives a new tag.
    pub fn etag(&self) -> String {
        crate::kernel::precondition::of_json(self)
    }
}

pub fn minutes(s: &entity::interview_session::Model) -> Option<i64> {
    s.ended_at.map(|e| (e - s.started_at).num_minutes())
}

pub fn session_out(s: entity::interview_session::Model) -> SessionOut {
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

fn postponement_out(p: entity::postponement::Model) -> ApiResult<PostponementOut> {
    Ok(PostponementOut {
        id: p.id,
        reason: PostponeReason::parse(&p.reason)?,
        readiness_reasons: serde_json::from_value(p.readiness_reasons).unwrap_or_default(),
        previous_scheduled_at: p.previous_scheduled_at,
        new_scheduled_at: p.new_scheduled_at,
        note: p.note,
        created_by: p.created_by,
        created_at: p.created_at,
    })
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
            .push(postponement_out(p)?);
    }
    let mut reschedules: HashMap<Uuid, Vec<RescheduleOut>> = HashMap::new();
    for r in entity::interview_reschedule::Entity::find()
        .filter(entity::interview_reschedule::Column::InterviewId.is_in(ids.clone()))
        .order_by_asc(entity::interview_reschedule::Column::CreatedAt)
        .order_by_asc(entity::interview_reschedule::Column::Id)
        .all(db)
        .await?
    {
        reschedules
            .entry(r.interview_id)
            .or_default()
            .push(RescheduleOut {
                id: r.id,
                previous_scheduled_at: r.previous_scheduled_at,
                new_scheduled_at: r.new_scheduled_at,
                created_by: r.created_by,
                created_at: r.created_at,
            });
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
    let waves = super::waves(db).await?;
    let sites = site_map(db, rows.iter().map(|r| r.site_id).collect()).await?;
    rows.into_iter()
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
            Ok(InterviewOut {
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
                status: InterviewStatus::parse(&m.status)?,
                window,
                first_scheduled_at: m.first_scheduled_at,
                cancel_reason: m.cancel_reason,
                completed_at: m.completed_at,
                entered_later: m.entered_later,
                screening_note: m.screening_note,
                sequence: m.sequence,
                postponements: postponements.remove(&m.id).unwrap_or_default(),
                reschedules: reschedules.remove(&m.id).unwrap_or_default(),
                sessions: ss.into_iter().map(session_out).collect(),
                total_minutes,
                recorded_minutes,
                created_at: m.created_at,
                updated_at: m.updated_at,
            })
        })
        .collect()
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
            let tz = tz_of(&s);
            (s.id, (s, tz))
        })
        .collect())
}

pub async fn one(
    db: &impl ConnectionTrait,
    m: entity::interview::Model,
) -> ApiResult<InterviewOut> {
    expand(db, vec![m])
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("interview vanished")))
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
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    #[param(max_length = 200)]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InterviewList {
    /// By scheduled time, then id.
    pub items: Vec<InterviewOut>,
    /// Send it as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A page's end: the scheduled time and id of its last interview.
fn encode(at: DateTime<Utc>, id: Uuid) -> String {
    encode_cursor(&[at.timestamp_micros().to_string(), id.to_string()])
}

fn decode(c: &str) -> ApiResult<(DateTime<Utc>, Uuid)> {
    let p = decode_cursor(c, 2)?;
    let at = p[0]
        .parse()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(bad_cursor)?;
    Ok((at, p[1].parse().map_err(|_| bad_cursor())?))
}

/// A page of the interviews at the caller's sites that `q` asks for (with
/// `only_user`, only theirs), by time; the read is audited.
pub async fn list(
    cx: &Ctx<'_>,
    q: &InterviewQuery,
    only_user: Option<Uuid>,
) -> ApiResult<InterviewList> {
    let limit = crate::kernel::ctx::limit(q.limit)?;
    let after = q.cursor.as_deref().map(decode).transpose()?;
    use entity::interview::{Column, Entity};
    let mut sel = Entity::find()
        .order_by_asc(Column::ScheduledAt)
        .order_by_asc(Column::Id)
        .limit(limit + 1);
    if let Some((at, id)) = after {
        sel = sel.filter(
            sea_orm::Condition::any()
                .add(Column::ScheduledAt.gt(at))
                .add(
                    sea_orm::Condition::all()
                        .add(Column::ScheduledAt.eq(at))
                        .add(Column::Id.gt(id)),
                ),
        );
    }
    if let Some(ids) = cx.p.visible_sites() {
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
    let mut rows = sel.all(cx.read).await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| encode(r.scheduled_at, r.id))
    } else {
        None
    };
    let items = expand(cx.read, rows).await?;
    cx.log(Entry {
        action: "interview.list",
        object_type: "interview",
        object_id: None,
        site_id: q.site_id,
        detail: Some(serde_json::json!({
            "count": items.len(),
            "ids": items.iter().map(|i| i.id).collect::<Vec<_>>(),
        })),
    })
    .await?;
    Ok(InterviewList { items, next_cursor })
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

#[derive(Debug, Serialize, ToSchema)]
pub struct PostponementList {
    /// Oldest first; never rewritten.
    pub items: Vec<PostponementOut>,
}

/// The caller's own interviews from `q.from` (default: the start of today in
/// their sites' time zone; just after midnight in Oslo it is still yesterday
/// in UTC) to `q.to` (default: the end of that day, or 24 hours after `from`):
/// a day's list, at most 200.
pub async fn mine(cx: &Ctx<'_>, q: &MyQuery) -> ApiResult<InterviewList> {
    let (from, day_end) = match q.from {
        Some(from) => (from, from + Duration::hours(24)),
        None => {
            let zones: Vec<String> = entity::site::Entity::find()
                .filter(entity::site::Column::Id.is_in(cx.p.site_ids.clone()))
                .select_only()
                .column(entity::site::Column::Timezone)
                .distinct()
                .into_tuple()
                .all(cx.read)
                .await?;
            let tz = match zones.as_slice() {
                [one] => one.parse().unwrap_or(Tz::UTC),
                _ => Tz::UTC,
            };
            crate::kernel::hours::local_day(tz, Utc::now())
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
        limit: Some(crate::kernel::ctx::MAX_LIMIT),
        cursor: None,
    };
    list(cx, &query, Some(cx.p.user_id)).await
}

/// One interview the caller may see, as shown; the read is audited as
/// `action`.
pub async fn get(cx: &Ctx<'_>, id: Uuid, action: &'static str) -> ApiResult<InterviewOut> {
    let m = crate::kernel::scoped::load::<entity::interview::Entity>(cx.read, cx.p, id).await?;
    cx.log(Entry::new(action, "interview", m.id).site(Some(m.site_id)))
        .await?;
    one(cx.read, m).await
}
