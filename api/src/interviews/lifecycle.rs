//! Every change to an interview: booking, new details, postponement,
//! cancellation, reopening and completion. Each asks `interviews::rules`
//! whether the move is allowed, writes it in one [`Change`], and ends in
//! [`announce`], which tells the people concerned and audits it. A
//! cancellation is the same cancellation whoever causes it (a coordinator,
//! or a participant's withdrawal).

use crate::kernel::field::{not_found, FieldProblem};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    clash, drop_pending_reminders, lock_interviewers, notify,
    view::{one, InterviewOut},
    MailContext, Notice, WaveSettings, WAVES_KEY,
};
use crate::{
    interviews::rules::{
        self,
        schedule::{within_opening_hours, Wave},
        InterviewStatus, PostponeReason, OPEN,
    },
    kernel::{
        access::Principal,
        audit::Entry,
        ctx::{Change, Ctx},
        error::{check_len, check_line, clean, ApiError, ApiResult, FieldError},
        precondition::IfMatch,
        scoped::{self, lock_participant},
    },
    participants::rules::ParticipantStatus,
    readiness::{self, Purpose},
    sites,
};

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

/// Changes to an interview's details; absent fields stay as they are. A new
/// time is a postponement (`POST .../postponements`), so its history is kept.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewPatch {
    /// A new time with no reason to report: the time agreed for an
    /// interview whose time is to be agreed, or a plan changed. It goes in
    /// the interview's `reschedules`, never in its postponements; when the
    /// interview could not happen as planned, postpone it instead.
    pub scheduled_at: Option<DateTime<Utc>>,
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelIn {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenIn {
    /// A new time; without one the interview is open with the time to be agreed.
    pub scheduled_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub allow_outside_opening_hours: bool,
}

/// The outcome of a change: the interview as it now is, and whether the
/// change created something (201) or changed it (200).
pub struct Changed {
    pub interview: InterviewOut,
    pub created: bool,
}

fn opening_hours_error(pointer: &str, site: &entity::site::Model) -> ApiError {
    ApiError::field(
        pointer,
        FieldProblem::OutsideOpeningHours {
            site: site.name.clone(),
            windows: sites::hours_of(site),
            time_zone: site.timezone.clone(),
        },
    )
}

fn within_hours(site: &entity::site::Model, start: DateTime<Utc>, minutes: i32) -> bool {
    within_opening_hours(
        sites::tz_of(site),
        &sites::hours_of(site),
        &sites::closed_days_of(site),
        start,
        minutes.into(),
    )
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

pub(super) async fn site_of(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<entity::site::Model> {
    entity::site::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("site"))
}

/// The interviewers of an interview.
pub async fn interviewer_ids(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<Vec<Uuid>> {
    Ok(entity::interview_interviewer::Entity::find()
        .filter(entity::interview_interviewer::Column::InterviewId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.user_id)
        .collect())
}

/// Interviewers: 1 to 5, each active and working at the participant's site.
/// Someone the caller shares no site with is "no such team member at this
/// site", word for word as an unknown id: a refusal never names another
/// site's people.
pub(super) async fn check_interviewers(
    db: &impl ConnectionTrait,
    p: &Principal,
    ids: &[Uuid],
    site: Uuid,
    errors: &mut Vec<FieldError>,
) -> ApiResult<Vec<Uuid>> {
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    if unique.is_empty() || unique.len() > 5 {
        errors.push(FieldError::new(
            "/interviewer_ids",
            FieldProblem::Count { min: 1, max: 5 },
        ));
        return Ok(Vec::new());
    }
    let placed = crate::kernel::team::placed(db, &unique).await?;
    let mut ok = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        if placed.at_site(*id, site) {
            if !ok.contains(id) {
                ok.push(*id);
            }
            continue;
        }
        let shares_a_site = placed.sites_of(*id).any(|s| p.can_see_site(s));
        let problem = match placed.users.get(id) {
            Some(u) if p.is_admin() || shares_a_site => FieldProblem::NoAccessToSite {
                name: u.display_name.clone(),
            },
            _ => not_found("team_member"),
        };
        errors.push(FieldError::new(format!("/interviewer_ids/{i}"), problem));
    }
    Ok(ok)
}

/// An interview the caller may see and act on: a coordinator, or one of its
/// interviewers.
pub async fn load_to_act(cx: &Ctx<'_>, id: Uuid) -> ApiResult<entity::interview::Model> {
    let m = scoped::load::<entity::interview::Entity>(cx.read, cx.p, id).await?;
    if cx.p.require_coordinator().is_ok() {
        return Ok(m);
    }
    if interviewer_ids(cx.read, m.id)
        .await?
        .contains(&cx.p.user_id)
    {
        Ok(m)
    } else {
        Err(ApiError::Forbidden(
            "Only the interview's interviewers or a coordinator can do this.".into(),
        ))
    }
}

/// Re-reads the interview inside the change, locked until the commit on
/// PostgreSQL (SQLite has one writer), and refuses when someone changed it
/// since it was read: changes never silently overwrite each other.
pub async fn lock_unchanged(
    txn: &DatabaseTransaction,
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

/// Whether a session of the interview has started and not ended.
pub async fn session_running(db: &impl ConnectionTrait, interview: Uuid) -> ApiResult<bool> {
    Ok(entity::interview_session::Entity::find()
        .filter(entity::interview_session::Column::InterviewId.eq(interview))
        .filter(entity::interview_session::Column::EndedAt.is_null())
        .one(db)
        .await?
        .is_some())
}

/// The open interview of `participant` for `wave`, other than `except`.
async fn open_for_wave(
    db: &impl ConnectionTrait,
    participant: Uuid,
    wave: i32,
    except: Option<Uuid>,
) -> ApiResult<Option<entity::interview::Model>> {
    let mut q = entity::interview::Entity::find()
        .filter(entity::interview::Column::ParticipantId.eq(participant))
        .filter(entity::interview::Column::Wave.eq(wave))
        .filter(entity::interview::Column::Status.is_in(InterviewStatus::names(&OPEN)));
    if let Some(id) = except {
        q = q.filter(entity::interview::Column::Id.ne(id));
    }
    Ok(q.one(db).await?)
}

/// Refuses a booking that would overlap another of the interviewers' booked
/// interviews (locking their calendars until the commit).
async fn check_free(
    ch: &Change<'_>,
    users: &[Uuid],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    except: Option<Uuid>,
) -> ApiResult<()> {
    lock_interviewers(ch.db(), users).await?;
    match clash(ch.db(), users, start, end, except).await? {
        Some((other, user)) => Err(busy_error(ch.cx().p, &other, user)),
        None => Ok(()),
    }
}

/// The last step of every change to an interview, inside the change: mail
/// the people concerned and audit it.
async fn announce_in(
    ch: &mut Change<'_>,
    interview: &entity::interview::Model,
    notice: Notice,
    previous: Option<DateTime<Utc>>,
    entry: Entry<'_>,
) -> ApiResult<()> {
    let participant = entity::participant::Entity::find_by_id(interview.participant_id)
        .one(ch.db())
        .await?
        .ok_or(ApiError::NotFound("participant"))?;
    let site = site_of(ch.db(), interview.site_id).await?;
    let public_url = ch.cx().public_url;
    let ctx = MailContext {
        interview,
        pseudonym: &participant.pseudonym,
        site: &site,
        public_url,
    };
    notify(ch, &ctx, notice, previous).await?;
    ch.audit(entry).await
}

/// [`announce_in`], then commit, and the interview as it now is.
async fn announce(
    mut ch: Change<'_>,
    interview: entity::interview::Model,
    notice: Notice,
    previous: Option<DateTime<Utc>>,
    entry: Entry<'_>,
    created: bool,
) -> ApiResult<Changed> {
    announce_in(&mut ch, &interview, notice, previous, entry).await?;
    let cx = ch.cx();
    ch.commit().await?;
    Ok(Changed {
        interview: one(cx.read, interview).await?,
        created,
    })
}

pub(super) fn entry(action: &'static str, m: &entity::interview::Model) -> Entry<'static> {
    Entry::new(action, "interview", m.id).site(Some(m.site_id))
}

/// Book an interview (coordinator).
pub async fn create(cx: &Ctx<'_>, body: InterviewIn) -> ApiResult<Changed> {
    let participant = scoped::load_field::<entity::participant::Entity>(
        cx.read,
        cx.p,
        body.participant_id,
        "/participant_id",
    )
    .await?;
    let scheduled_at = body.scheduled_at.trunc_subsecs(0);
    let mut errors = Vec::new();
    if !(5..=480).contains(&body.duration_minutes) {
        errors.push(FieldError::new(
            "/duration_minutes",
            FieldProblem::Minutes { min: 5, max: 480 },
        ));
    }
    let waves = super::waves(cx.read).await?;
    if !waves.iter().any(|w| w.wave == body.wave) {
        errors.push(FieldError::new(
            "/wave",
            FieldProblem::NoSuchWave {
                waves: waves.iter().map(|w| w.wave).collect(),
            },
        ));
    }
    check_line(&mut errors, "/location", body.location.as_deref(), 0, 200);
    check_len(&mut errors, "/note", body.note.as_deref(), 0, 2000);
    let users = check_interviewers(
        cx.read,
        cx.p,
        &body.interviewer_ids,
        participant.site_id,
        &mut errors,
    )
    .await?;
    let site = site_of(cx.read, participant.site_id).await?;
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if !body.allow_outside_opening_hours
        && !within_hours(&site, scheduled_at, body.duration_minutes)
    {
        return Err(opening_hours_error("/scheduled_at", &site));
    }
    let withdrawn = || {
        ApiError::conflict(
            "participant_withdrawn",
            "This participant has withdrawn; no interview can be scheduled.",
        )
    };
    if !ParticipantStatus::parse(&participant.status)?.may_be_scheduled() {
        return Err(withdrawn());
    }
    let ends_at = scheduled_at + Duration::minutes(body.duration_minutes.into());
    let now = cx.now();
    let ch = cx.begin().await?;
    let participant = lock_participant(ch.db(), participant.id).await?;
    if !ParticipantStatus::parse(&participant.status)?.may_be_scheduled() {
        return Err(withdrawn());
    }
    lock_interviewers(ch.db(), &users).await?;
    if let Some(o) = open_for_wave(ch.db(), participant.id, body.wave, None).await? {
        return Err(ApiError::conflict(
            "interview_exists",
            format!(
                "{} already has an open interview for wave {} ({}); move or cancel that one.",
                participant.pseudonym, body.wave, o.id
            ),
        )
        .with("interview_id", serde_json::json!(o.id)));
    }
    check_free(&ch, &users, scheduled_at, ends_at, None).await?;
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
        status: Set(InterviewStatus::Scheduled.as_str().into()),
        first_scheduled_at: Set(scheduled_at),
        sequence: Set(0),
        cancel_reason: Set(None),
        completed_at: Set(None),
        entered_later: Set(false),
        screening_note: Set(None),
        created_by: Set(Some(cx.p.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(ch.db())
    .await?;
    set_interviewers(ch.db(), m.id, &users).await?;
    let e = entry("interview.create", &m);
    announce(ch, m, Notice::Scheduled, None, e, true).await
}

pub(super) async fn set_interviewers(
    db: &DatabaseTransaction,
    id: Uuid,
    users: &[Uuid],
) -> ApiResult<()> {
    entity::interview_interviewer::Entity::delete_many()
        .filter(entity::interview_interviewer::Column::InterviewId.eq(id))
        .exec(db)
        .await?;
    entity::interview_interviewer::Entity::insert_many(users.iter().map(|user| {
        entity::interview_interviewer::ActiveModel {
            interview_id: Set(id),
            user_id: Set(*user),
        }
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Change an open interview's time (its interviewers or a coordinator), or
/// its length, interviewers, place or note (a coordinator), with the same
/// checks as booking it. A new time is a reschedule, not a postponement.
/// With an `If-Match`, only the interview as the caller saw it is changed
/// (412 with the current one otherwise); a change that changes nothing
/// gives the interview as it is, and neither audits nor mails.
pub async fn patch(
    cx: &Ctx<'_>,
    id: Uuid,
    if_match: IfMatch,
    body: InterviewPatch,
) -> ApiResult<Changed> {
    let m = load_to_act(cx, id).await?;
    let more_than_time = body.duration_minutes.is_some()
        || body.interviewer_ids.is_some()
        || body.location.is_some()
        || body.note.is_some();
    if more_than_time && cx.p.require_coordinator().is_err() {
        return Err(ApiError::forbidden(
            "coordinator_required",
            "An interviewer can give the interview a new time; a coordinator changes its length, interviewers, place or note.",
        ));
    }
    let mut errors = Vec::new();
    if body
        .duration_minutes
        .is_some_and(|d| !(5..=480).contains(&d))
    {
        errors.push(FieldError::new(
            "/duration_minutes",
            FieldProblem::Minutes { min: 5, max: 480 },
        ));
    }
    check_line(&mut errors, "/location", body.location.as_deref(), 0, 200);
    check_len(&mut errors, "/note", body.note.as_deref(), 0, 2000);
    let users = match &body.interviewer_ids {
        Some(ids) => Some(check_interviewers(cx.read, cx.p, ids, m.site_id, &mut errors).await?),
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    // Validation first: a request that could never apply is a 422 whatever
    // its If-Match.
    let current = one(cx.read, m.clone()).await?;
    if !if_match.allows(&current.etag()) {
        return Err(stale_interview(current));
    }
    let status = InterviewStatus::parse(&m.status)?;
    // A reschedule when the time changes, or when a time is agreed for an
    // interview whose time was to be agreed.
    let new_time = body
        .scheduled_at
        .map(|t| t.trunc_subsecs(0))
        .filter(|t| *t != m.scheduled_at || status == InterviewStatus::Postponed);
    let next = match new_time {
        Some(_) => rules::reschedule(status, session_running(cx.read, m.id).await?)?,
        None => {
            rules::edit(status)?;
            status
        }
    };
    let same_people = |u: &Vec<Uuid>| {
        let (mut a, mut b) = (u.clone(), current.interviewer_ids.clone());
        a.sort();
        b.sort();
        a == b
    };
    if new_time.is_none()
        && body
            .duration_minutes
            .is_none_or(|d| d == m.duration_minutes)
        && users.as_ref().is_none_or(same_people)
        && body
            .location
            .as_ref()
            .is_none_or(|l| clean(Some(l.clone())) == m.location)
        && body
            .note
            .as_ref()
            .is_none_or(|n| clean(Some(n.clone())) == m.note)
    {
        return Ok(Changed {
            interview: current,
            created: false,
        });
    }
    let site = site_of(cx.read, m.site_id).await?;
    let duration = body.duration_minutes.unwrap_or(m.duration_minutes);
    let starts_at = new_time.unwrap_or(m.scheduled_at);
    if next == InterviewStatus::Scheduled
        && (body.duration_minutes.is_some() || new_time.is_some())
        && !body.allow_outside_opening_hours
        && !within_hours(&site, starts_at, duration)
    {
        let pointer = if new_time.is_some() {
            "/scheduled_at"
        } else {
            "/duration_minutes"
        };
        return Err(opening_hours_error(pointer, &site));
    }
    let ends_at = starts_at + Duration::minutes(duration.into());
    let ch = cx.begin().await?;
    lock_unchanged(ch.db(), &m).await?;
    let people = match &users {
        Some(u) => u.clone(),
        None => interviewer_ids(ch.db(), m.id).await?,
    };
    if next.holds_time() {
        check_free(&ch, &people, starts_at, ends_at, Some(m.id)).await?;
    }
    let mut am: entity::interview::ActiveModel = m.clone().into();
    am.scheduled_at = Set(starts_at);
    am.status = Set(next.as_str().into());
    am.duration_minutes = Set(duration);
    am.ends_at = Set(ends_at);
    if body.location.is_some() {
        am.location = Set(clean(body.location));
    }
    if body.note.is_some() {
        am.note = Set(clean(body.note));
    }
    am.sequence = Set(m.sequence + 1);
    am.updated_at = Set(cx.now());
    let updated = am.update(ch.db()).await?;
    if let Some(u) = &users {
        set_interviewers(ch.db(), m.id, u).await?;
    }
    // Unsent reminders name the old time, interviewers or length: the next
    // pass queues them anew. A new place or note alone keeps them.
    if body.duration_minutes.is_some() || users.is_some() || new_time.is_some() {
        drop_pending_reminders(ch.db(), m.id).await?;
    }
    let Some(t) = new_time else {
        let e = entry("interview.update", &updated);
        return announce(ch, updated, Notice::Changed, None, e, false).await;
    };
    // From "to be agreed" there was no time to move from.
    let previous = (status != InterviewStatus::Postponed).then_some(m.scheduled_at);
    entity::interview_reschedule::ActiveModel {
        id: Set(Uuid::now_v7()),
        interview_id: Set(m.id),
        previous_scheduled_at: Set(previous),
        new_scheduled_at: Set(t),
        created_by: Set(Some(cx.p.user_id)),
        created_at: Set(cx.now()),
    }
    .insert(ch.db())
    .await?;
    let e = entry("interview.reschedule", &updated)
        .detail(serde_json::json!({"previous_scheduled_at": previous, "new_scheduled_at": t}));
    announce(ch, updated, Notice::NewTime, previous, e, false).await
}

/// 412: the interview changed since the caller read it; `current` is it now.
fn stale_interview(current: InterviewOut) -> ApiError {
    let etag = current.etag();
    ApiError::stale_current(
        "version_mismatch",
        "Someone changed this interview since you loaded it. Compare both and send your change again with the new ETag.",
        serde_json::json!(current),
        etag,
    )
}

/// Moves an interview to `new` (or "to be agreed") with status `status`,
/// with the same checks as booking, inside the change.
async fn move_to(
    ch: &Change<'_>,
    m: &entity::interview::Model,
    new: Option<DateTime<Utc>>,
    allow_outside: bool,
    status: InterviewStatus,
) -> ApiResult<entity::interview::Model> {
    let mut am: entity::interview::ActiveModel = m.clone().into();
    if let Some(t) = new {
        let t = t.trunc_subsecs(0);
        let site = site_of(ch.db(), m.site_id).await?;
        if !allow_outside && !within_hours(&site, t, m.duration_minutes) {
            return Err(opening_hours_error("/new_scheduled_at", &site));
        }
        let ends = t + Duration::minutes(m.duration_minutes.into());
        let users = interviewer_ids(ch.db(), m.id).await?;
        check_free(ch, &users, t, ends, Some(m.id)).await?;
        am.scheduled_at = Set(t);
        am.ends_at = Set(ends);
    }
    am.status = Set(status.as_str().into());
    am.sequence = Set(m.sequence + 1);
    am.updated_at = Set(ch.cx().now());
    drop_pending_reminders(ch.db(), m.id).await?;
    Ok(am.update(ch.db()).await?)
}

/// Postpone an interview (its interviewers or a coordinator): to a new time,
/// with the same checks as booking, or to "to be agreed". The history is
/// kept. With `participant_not_ready`, the readiness reasons of the moment
/// are stored with it. No screening is needed for any reason.
pub async fn postpone(cx: &Ctx<'_>, id: Uuid, body: PostponeIn) -> ApiResult<Changed> {
    let m = load_to_act(cx, id).await?;
    let mut errors = Vec::new();
    check_len(&mut errors, "/note", body.note.as_deref(), 0, 2000);
    if body.reason.needs_note() && clean(body.note.clone()).is_none() {
        errors.push(FieldError::new("/note", FieldProblem::NoteRequired));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let status = InterviewStatus::parse(&m.status)?;
    let next = rules::postpone(
        status,
        body.new_scheduled_at.is_some(),
        session_running(cx.read, m.id).await?,
    )?;
    let readiness_reasons: Vec<String> = if body.reason.keeps_readiness_reasons() {
        readiness::evaluate(
            cx.read,
            m.participant_id,
            Purpose::Session,
            cx.lang,
            cx.now(),
            None,
        )
        .await?
        .decision
        .reasons
        .into_iter()
        .map(|r| r.code)
        .collect()
    } else {
        Vec::new()
    };
    let ch = cx.begin().await?;
    lock_unchanged(ch.db(), &m).await?;
    let updated = move_to(
        &ch,
        &m,
        body.new_scheduled_at,
        body.allow_outside_opening_hours,
        next,
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
        created_by: Set(Some(cx.p.user_id)),
        created_at: Set(cx.now()),
    }
    .insert(ch.db())
    .await?;
    let notice = if body.new_scheduled_at.is_some() {
        Notice::NewTime
    } else {
        Notice::Postponed
    };
    // From "to be agreed" there was no time to move from.
    let previous = (status != InterviewStatus::Postponed).then_some(m.scheduled_at);
    let e = entry("interview.postpone", &updated)
        .detail(serde_json::json!({"reason": body.reason.as_str()}));
    announce(ch, updated, notice, previous, e, true).await
}

/// The open interviews (scheduled, to be agreed or running) that `user` is
/// an interviewer of, soonest first: what disabling them would strand.
pub async fn open_of(
    db: &impl ConnectionTrait,
    user: Uuid,
) -> ApiResult<Vec<entity::interview::Model>> {
    let ids: Vec<Uuid> = entity::interview_interviewer::Entity::find()
        .filter(entity::interview_interviewer::Column::UserId.eq(user))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.interview_id)
        .collect();
    Ok(entity::interview::Entity::find()
        .filter(entity::interview::Column::Id.is_in(ids))
        .filter(entity::interview::Column::Status.is_in(InterviewStatus::names(&rules::OPEN)))
        .order_by_asc(entity::interview::Column::ScheduledAt)
        .order_by_asc(entity::interview::Column::Id)
        .all(db)
        .await?)
}

/// Hands an open interview from `from` to `to` inside the change: `to`
/// takes `from`'s place among its interviewers (or `from` just leaves when
/// `to` already is one), with the same clash check as booking. Mailed to
/// its interviewers and audited as `interview.hand_over`. `to` must be
/// active at the interview's site (the caller checks, to name the field).
pub async fn hand_over_in(
    ch: &mut Change<'_>,
    m: &entity::interview::Model,
    from: Uuid,
    to: Uuid,
) -> ApiResult<()> {
    // Read before the change: re-read and locked, refused if changed since.
    let m = &lock_unchanged(ch.db(), m).await?;
    let status = InterviewStatus::parse(&m.status)?;
    rules::edit(status)?;
    let mut people: Vec<Uuid> = interviewer_ids(ch.db(), m.id)
        .await?
        .into_iter()
        .filter(|u| *u != from)
        .collect();
    if !people.contains(&to) {
        people.push(to);
    }
    if status.holds_time() {
        check_free(ch, &[to], m.scheduled_at, m.ends_at, Some(m.id)).await?;
    }
    set_interviewers(ch.db(), m.id, &people).await?;
    drop_pending_reminders(ch.db(), m.id).await?;
    let mut am: entity::interview::ActiveModel = m.clone().into();
    am.sequence = Set(m.sequence + 1);
    am.updated_at = Set(ch.cx().now());
    let updated = am.update(ch.db()).await?;
    let e =
        entry("interview.hand_over", &updated).detail(serde_json::json!({"from": from, "to": to}));
    announce_in(ch, &updated, Notice::Changed, None, e).await
}

/// Cancel an interview (coordinator).
pub async fn cancel(cx: &Ctx<'_>, id: Uuid, body: CancelIn) -> ApiResult<Changed> {
    let m = scoped::load::<entity::interview::Entity>(cx.read, cx.p, id).await?;
    let mut errors = Vec::new();
    check_len(&mut errors, "/reason", Some(&body.reason), 1, 500);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    rules::cancel(
        InterviewStatus::parse(&m.status)?,
        session_running(cx.read, m.id).await?,
    )?;
    let mut ch = cx.begin().await?;
    lock_unchanged(ch.db(), &m).await?;
    let updated = cancel_in(&mut ch, &m, body.reason.trim(), None).await?;
    let cx = ch.cx();
    ch.commit().await?;
    Ok(Changed {
        interview: one(cx.read, updated).await?,
        created: false,
    })
}

/// Cancels `m` (read inside the change) with `reason`: its reminders go, the
/// people concerned are told, and it is audited as `interview.cancel` (with
/// `detail` when the cancellation was caused by something else).
pub async fn cancel_in(
    ch: &mut Change<'_>,
    m: &entity::interview::Model,
    reason: &str,
    detail: Option<serde_json::Value>,
) -> ApiResult<entity::interview::Model> {
    let next = rules::cancel(
        InterviewStatus::parse(&m.status)?,
        session_running(ch.db(), m.id).await?,
    )?;
    let mut am: entity::interview::ActiveModel = m.clone().into();
    am.status = Set(next.as_str().into());
    am.cancel_reason = Set(Some(reason.to_string()));
    am.sequence = Set(m.sequence + 1);
    am.updated_at = Set(ch.cx().now());
    let updated = am.update(ch.db()).await?;
    drop_pending_reminders(ch.db(), m.id).await?;
    let mut e = entry("interview.cancel", &updated);
    if let Some(d) = detail {
        e = e.detail(d);
    }
    announce_in(ch, &updated, Notice::Cancelled, None, e).await?;
    Ok(updated)
}

/// Reopen a cancelled or completed interview (coordinator).
pub async fn reopen(cx: &Ctx<'_>, id: Uuid, body: ReopenIn) -> ApiResult<Changed> {
    let m = scoped::load::<entity::interview::Entity>(cx.read, cx.p, id).await?;
    let next = rules::reopen(
        InterviewStatus::parse(&m.status)?,
        body.scheduled_at.is_some(),
        m.entered_later,
    )?;
    let ch = cx.begin().await?;
    lock_participant(ch.db(), m.participant_id).await?;
    lock_unchanged(ch.db(), &m).await?;
    if let Some(o) = open_for_wave(ch.db(), m.participant_id, m.wave, Some(m.id)).await? {
        return Err(ApiError::conflict(
            "interview_exists",
            format!("Another interview for wave {} is open ({}).", m.wave, o.id),
        )
        .with("interview_id", serde_json::json!(o.id)));
    }
    let updated = move_to(
        &ch,
        &m,
        body.scheduled_at,
        body.allow_outside_opening_hours,
        next,
    )
    .await?;
    let mut am: entity::interview::ActiveModel = updated.into();
    am.cancel_reason = Set(None);
    am.completed_at = Set(None);
    let updated = am.update(ch.db()).await?;
    let e = entry("interview.reopen", &updated);
    announce(ch, updated, Notice::Reopened, None, e, false).await
}

/// Close an interview after its sessions; its length is their sum.
pub async fn complete(cx: &Ctx<'_>, id: Uuid) -> ApiResult<Changed> {
    let m = load_to_act(cx, id).await?;
    let next = rules::complete(
        InterviewStatus::parse(&m.status)?,
        session_running(cx.read, m.id).await?,
    )?;
    let ch = cx.begin().await?;
    lock_unchanged(ch.db(), &m).await?;
    let mut am: entity::interview::ActiveModel = m.clone().into();
    am.status = Set(next.as_str().into());
    am.completed_at = Set(Some(cx.now()));
    am.updated_at = Set(cx.now());
    am.sequence = Set(m.sequence + 1);
    let updated = am.update(ch.db()).await?;
    drop_pending_reminders(ch.db(), m.id).await?;
    ch.audit(entry("interview.complete", &updated)).await?;
    let cx = ch.cx();
    ch.commit().await?;
    Ok(Changed {
        interview: one(cx.read, updated).await?,
        created: false,
    })
}

/// Replace the study's waves (admin).
pub async fn save_waves(cx: &Ctx<'_>, body: WaveSettings) -> ApiResult<WaveSettings> {
    let mut waves: Vec<Wave> = body.waves;
    let mut errors = Vec::new();
    if waves.is_empty() || waves.len() > 20 {
        errors.push(FieldError::new(
            "/waves",
            FieldProblem::Count { min: 1, max: 20 },
        ));
    }
    for (i, w) in waves.iter().enumerate() {
        if !(1..=20).contains(&w.wave) {
            errors.push(FieldError::new(
                format!("/waves/{i}/wave"),
                FieldProblem::Range { min: 1, max: 20 },
            ));
        }
        if waves[..i].iter().any(|o| o.wave == w.wave) {
            errors.push(FieldError::new(
                format!("/waves/{i}/wave"),
                FieldProblem::Duplicate,
            ));
        }
        if !(0..=3650).contains(&w.opens_day) {
            errors.push(FieldError::new(
                format!("/waves/{i}/opens_day"),
                FieldProblem::Range { min: 0, max: 3650 },
            ));
        }
        if w.closes_day < w.opens_day || w.closes_day > 3650 {
            errors.push(FieldError::new(
                format!("/waves/{i}/closes_day"),
                FieldProblem::Below {
                    other: "opens_day".into(),
                },
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    waves.sort_by_key(|w| w.wave);
    let saved = WaveSettings { waves };
    let value = serde_json::to_value(&saved).map_err(anyhow::Error::from)?;
    let ch = cx.begin().await?;
    crate::kernel::settings::save(ch.db(), WAVES_KEY, value.clone(), cx.p.user_id).await?;
    ch.audit(Entry::new("settings.update", "settings", WAVES_KEY).detail(value))
        .await?;
    ch.commit().await?;
    Ok(saved)
}
