//! Participants: pseudonyms only, scoped to the caller's sites; their
//! registration, changes, and withdrawal with all its consequences.
pub mod consents;
pub mod import;
pub mod routes;
pub mod rules;

use crate::kernel::field::{not_found, FieldProblem};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub use crate::participants::rules::ParticipantStatus;
use crate::{
    interviews::{
        lifecycle::cancel_in,
        rules::{
            schedule::{Wave, WaveState},
            InterviewStatus, OPEN,
        },
        standings::Standings,
    },
    kernel::{
        audit::Entry,
        ctx::{Change, Ctx},
        error::{check_line, clean, ApiError, ApiResult, FieldError},
        precondition::IfMatch,
        scoped,
        wire::parse_value,
    },
    participants::rules::{pseudonym, status_change, StatusChange},
};

/// A new participant. There is no field for a real name, phone, address or
/// national id, and a request that sends one is refused.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantIn {
    /// Unique within its site, ignoring case and look-alike characters
    /// (NFKC, UTS #39 confusables: `Ａｎｎａ` and `Anna` with a Cyrillic `А`
    /// are `Anna`). Letters and digits of one alphabet, with spaces,
    /// hyphens, apostrophes, dots and underscores; stored in NFKC form.
    #[schema(example = "P07", min_length = 1, max_length = 40)]
    pub pseudonym: String,
    pub site_id: Uuid,
    pub treatment_started_on: NaiveDate,
    #[serde(default = "active")]
    pub status: ParticipantStatus,
    /// Optional coarse attribute chosen by the study.
    #[schema(max_length = 40)]
    pub gender: Option<String>,
    /// Optional coarse attribute chosen by the study, e.g. `30-39`.
    #[schema(max_length = 40)]
    pub age_band: Option<String>,
}

fn active() -> ParticipantStatus {
    ParticipantStatus::Active
}

/// Changes to a participant; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantPatch {
    /// As when registering: unique within the site, look-alikes included.
    #[schema(min_length = 1, max_length = 40)]
    pub pseudonym: Option<String>,
    pub treatment_started_on: Option<NaiveDate>,
    pub status: Option<ParticipantStatus>,
    #[schema(max_length = 40)]
    pub gender: Option<String>,
    #[schema(max_length = 40)]
    pub age_band: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantOut {
    pub id: Uuid,
    pub pseudonym: String,
    pub site_id: Uuid,
    pub treatment_started_on: NaiveDate,
    pub status: ParticipantStatus,
    pub gender: Option<String>,
    pub age_band: Option<String>,
    /// Their next open interview (scheduled, in progress, or postponed with
    /// its time to be agreed), earliest first; null when none is open.
    pub next_interview: Option<Booking>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An open interview of a participant, as lists show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Booking {
    pub id: Uuid,
    pub wave: i32,
    /// `scheduled`, `in_progress` or `postponed` (time to be agreed).
    pub status: InterviewStatus,
    /// Its time; for a postponed interview, the time it had.
    pub scheduled_at: DateTime<Utc>,
}

/// The next open interview of each of `people`.
async fn bookings(
    db: &impl sea_orm::ConnectionTrait,
    people: &mut [ParticipantOut],
) -> ApiResult<()> {
    if people.is_empty() {
        return Ok(());
    }
    use entity::interview::{Column, Entity};
    let rows = Entity::find()
        .filter(Column::ParticipantId.is_in(people.iter().map(|p| p.id).collect::<Vec<_>>()))
        .filter(Column::Status.is_in(OPEN.iter().map(|s| s.as_str())))
        .order_by_asc(Column::ScheduledAt)
        .order_by_asc(Column::Id)
        .all(db)
        .await?;
    for p in people.iter_mut() {
        // Scheduled or running before one waiting for a time.
        let mine = || rows.iter().filter(|r| r.participant_id == p.id);
        p.next_interview = mine()
            .find(|r| r.status != InterviewStatus::Postponed.as_str())
            .or_else(|| mine().next())
            .map(|r| {
                Ok::<_, ApiError>(Booking {
                    id: r.id,
                    wave: r.wave,
                    status: InterviewStatus::parse(&r.status)?,
                    scheduled_at: r.scheduled_at,
                })
            })
            .transpose()?;
    }
    Ok(())
}

impl TryFrom<entity::participant::Model> for ParticipantOut {
    type Error = ApiError;
    fn try_from(m: entity::participant::Model) -> ApiResult<Self> {
        Ok(ParticipantOut {
            id: m.id,
            pseudonym: m.pseudonym,
            site_id: m.site_id,
            treatment_started_on: m.treatment_started_on,
            status: ParticipantStatus::parse(&m.status)?,
            gender: m.gender,
            age_band: m.age_band,
            next_interview: None,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

pub(crate) const IDENTIFYING: &[&str] = &[
    "name",
    "real_name",
    "full_name",
    "first_name",
    "last_name",
    "surname",
    "phone",
    "phone_number",
    "mobile",
    "address",
    "email",
    "national_id",
    "personal_number",
    "fodselsnummer",
    "ssn",
    "birth_date",
    "date_of_birth",
];

/// Refuses identifying fields with a message that says why.
pub fn refuse_identifying(body: &serde_json::Value) -> Result<(), ApiError> {
    let errors: Vec<FieldError> = body
        .as_object()
        .map(|o| {
            o.keys()
                .filter(|k| IDENTIFYING.contains(&k.to_ascii_lowercase().as_str()))
                .map(|k| FieldError::new(format!("/{k}"), FieldProblem::Identifying))
                .collect()
        })
        .unwrap_or_default();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

async fn pseudonym_taken(
    db: &impl ConnectionTrait,
    key: &str,
    except: Option<Uuid>,
) -> ApiResult<bool> {
    let mut q = entity::participant::Entity::find()
        .filter(entity::participant::Column::PseudonymKey.eq(key));
    if let Some(id) = except {
        q = q.filter(entity::participant::Column::Id.ne(id));
    }
    Ok(q.one(db).await?.is_some())
}

fn pseudonym_taken_error() -> ApiError {
    ApiError::conflict(
        "pseudonym_taken",
        "Another participant at this site already has this pseudonym, or one that looks the same.",
    )
    .with("pointer", serde_json::json!("/pseudonym"))
}

/// The stored form of a pseudonym for `site`, and its uniqueness key; or
/// the field error saying why it cannot be one.
fn pseudonym_of(raw: &str, site: Uuid) -> ApiResult<(String, String)> {
    let name = pseudonym::normalize(raw);
    if let Some(why) = pseudonym::refusal(&name) {
        return Err(ApiError::field("/pseudonym", why));
    }
    let key = pseudonym::site_key(&site.simple().to_string(), &name);
    Ok((name, key))
}

/// A unique-key violation on a participant is a pseudonym taken meanwhile.
pub(crate) fn taken_on_conflict(e: sea_orm::DbErr) -> ApiError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => pseudonym_taken_error(),
        _ => e.into(),
    }
}

pub use crate::kernel::scoped::{consent_in_force, lock_participant};

/// Refuses to record anything more for a participant who is not active.
pub fn require_active(participant: &entity::participant::Model) -> ApiResult<()> {
    let status = ParticipantStatus::parse(&participant.status)?;
    if status.may_record() {
        Ok(())
    } else {
        Err(ApiError::conflict(
            "participant_not_active",
            format!("This participant is {status}; nothing more can be recorded for them."),
        ))
    }
}

/// A participant the caller may see.
pub async fn load(cx: &Ctx<'_>, id: Uuid) -> ApiResult<entity::participant::Model> {
    scoped::load::<entity::participant::Entity>(cx.read, cx.p, id).await
}

/// Register a participant (coordinator). `body` is checked for identifying
/// fields before it is read.
pub async fn create(cx: &Ctx<'_>, body: serde_json::Value) -> ApiResult<ParticipantOut> {
    refuse_identifying(&body)?;
    let body: ParticipantIn = parse_value(body)?;
    let mut errors = Vec::new();
    check_line(&mut errors, "/pseudonym", Some(&body.pseudonym), 1, 40);
    check_line(&mut errors, "/gender", body.gender.as_deref(), 0, 40);
    check_line(&mut errors, "/age_band", body.age_band.as_deref(), 0, 40);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    // The site must exist and be one of the caller's; either way the answer
    // names the field without telling which.
    match crate::sites::visible(cx.read, cx.p, body.site_id).await {
        Ok(_) => {}
        Err(ApiError::NotFound(_)) => return Err(ApiError::field("/site_id", not_found("site"))),
        Err(e) => return Err(e),
    }
    let (pseudonym, key) = pseudonym_of(&body.pseudonym, body.site_id)?;
    if pseudonym_taken(cx.read, &key, None).await? {
        return Err(pseudonym_taken_error());
    }
    let now = cx.now();
    let ch = cx.begin().await?;
    let m = entity::participant::ActiveModel {
        id: Set(Uuid::now_v7()),
        site_id: Set(body.site_id),
        pseudonym_folded: Set(Some(pseudonym::folded(&pseudonym))),
        pseudonym: Set(pseudonym),
        pseudonym_key: Set(key),
        treatment_started_on: Set(body.treatment_started_on),
        status: Set(body.status.as_str().to_string()),
        gender: Set(clean(body.gender)),
        age_band: Set(clean(body.age_band)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(ch.db())
    .await
    .map_err(taken_on_conflict)?;
    ch.audit(Entry::new("participant.create", "participant", m.id).site(Some(m.site_id)))
        .await?;
    ch.commit().await?;
    ParticipantOut::try_from(m)
}

/// Participants at the caller's sites; the read is audited.
pub async fn list(cx: &Ctx<'_>, q: &ParticipantQuery) -> ApiResult<ParticipantPage> {
    let limit = crate::kernel::ctx::limit(q.limit)?;
    use entity::participant::{Column, Entity};
    let mut sel = Entity::find().order_by_asc(Column::Id).limit(limit + 1);
    if let Some(ids) = cx.p.visible_sites() {
        sel = sel.filter(Column::SiteId.is_in(ids.to_vec()));
    }
    if let Some(s) = q.site_id {
        sel = sel.filter(Column::SiteId.eq(s));
    }
    if let Some(s) = q.status {
        sel = sel.filter(Column::Status.eq(s.as_str()));
    }
    if let Some(prefix) = &q.pseudonym_prefix {
        let prefix = pseudonym::folded(prefix).replace(['%', '_', '\\'], "");
        sel = sel.filter(Column::PseudonymFolded.starts_with(prefix));
    }
    let (rows, next_cursor) = match wave_filter(cx, q).await? {
        None => {
            if let Some(c) = q.cursor {
                sel = sel.filter(Column::Id.gt(c));
            }
            crate::kernel::ctx::page(sel.all(cx.read).await?, limit, |r| r.id)
        }
        Some((wave, state)) => {
            // The standing is worked out, not stored: read on in batches
            // until the page is full, or until SCAN participants were read
            // (then the page may be short, and `next_cursor` goes on from
            // the last one read).
            const BATCH: u64 = 500;
            const SCAN: u64 = 5000;
            let mut found = Vec::new();
            let mut after = q.cursor;
            let mut read = 0;
            let mut stopped = None;
            loop {
                let mut batch = sel.clone().limit(BATCH);
                if let Some(c) = after {
                    batch = batch.filter(Column::Id.gt(c));
                }
                let batch = batch.all(cx.read).await?;
                let Some(last) = batch.last().map(|r| r.id) else {
                    break;
                };
                read += batch.len() as u64;
                let standings = Standings::load(cx.read, &batch, cx.now()).await?;
                found.extend(
                    batch
                        .into_iter()
                        .filter(|p| state.holds(standings.of(p, &wave))),
                );
                if found.len() as u64 > limit {
                    break;
                }
                after = Some(last);
                if read >= SCAN {
                    stopped = Some(last);
                    break;
                }
            }
            match stopped {
                Some(last) if found.len() as u64 <= limit => (found, Some(last)),
                _ => crate::kernel::ctx::page(found, limit, |r| r.id),
            }
        }
    };
    cx.log(Entry {
        action: "participant.list",
        object_type: "participant",
        object_id: None,
        site_id: q.site_id,
        detail: Some(serde_json::json!({
            "count": rows.len(),
            "ids": rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        })),
    })
    .await?;
    let mut items = rows
        .into_iter()
        .map(ParticipantOut::try_from)
        .collect::<ApiResult<Vec<_>>>()?;
    bookings(cx.read, &mut items).await?;
    Ok(ParticipantPage { items, next_cursor })
}

/// The wave and standing a list is filtered by, checked: both or neither,
/// and a wave the study has.
async fn wave_filter(cx: &Ctx<'_>, q: &ParticipantQuery) -> ApiResult<Option<(Wave, WaveState)>> {
    let (wave, state) = match (q.wave, q.wave_state) {
        (None, None) => return Ok(None),
        (Some(w), Some(s)) => (w, s),
        (Some(_), None) => return Err(ApiError::field("/wave_state", FieldProblem::Required)),
        (None, Some(_)) => return Err(ApiError::field("/wave", FieldProblem::Required)),
    };
    let waves = crate::interviews::waves(cx.read).await?;
    match waves.iter().find(|w| w.wave == wave) {
        Some(w) => Ok(Some((w.clone(), state))),
        None => Err(ApiError::field(
            "/wave",
            FieldProblem::NoSuchWave {
                waves: waves.iter().map(|w| w.wave).collect(),
            },
        )),
    }
}

/// One participant; the read is audited.
pub async fn get(cx: &Ctx<'_>, id: Uuid) -> ApiResult<ParticipantOut> {
    let m = load(cx, id).await?;
    cx.log(Entry::new("participant.read", "participant", m.id).site(Some(m.site_id)))
        .await?;
    out(cx.read, m).await
}

/// A participant as the API shows them, with their next interview.
async fn out(
    db: &impl sea_orm::ConnectionTrait,
    m: entity::participant::Model,
) -> ApiResult<ParticipantOut> {
    let mut out = [ParticipantOut::try_from(m)?];
    bookings(db, &mut out).await?;
    let [out] = out;
    Ok(out)
}

impl ParticipantOut {
    /// The digest of what it shows, their next interview included.
    pub fn etag(&self) -> String {
        crate::kernel::precondition::of_json(self)
    }
}

/// 412: the participant changed since the caller read them.
fn stale(current: ParticipantOut) -> ApiError {
    let etag = current.etag();
    ApiError::stale_current(
        "version_mismatch",
        "Someone changed this participant (or their next interview) since you loaded them. Compare both and send your change again with the new ETag.",
        serde_json::json!(current),
        etag,
    )
}

/// Change a participant (coordinator). Setting `status: withdrawn` is a
/// withdrawal with all its consequences ([`withdraw_in`]); for someone whose
/// consent is in force it is refused (409 `withdraw_consent`, naming the
/// consent), because that consent's withdrawal must record what happens to
/// the data already collected. With an `If-Match`, only the participant as
/// the caller saw them is changed (412 otherwise); a change that changes
/// nothing gives them as they are, unaudited.
pub async fn patch(
    cx: &Ctx<'_>,
    id: Uuid,
    if_match: IfMatch,
    body: serde_json::Value,
) -> ApiResult<ParticipantOut> {
    let m = load(cx, id).await?;
    refuse_identifying(&body)?;
    let body: ParticipantPatch = parse_value(body)?;
    let mut errors = Vec::new();
    check_line(&mut errors, "/pseudonym", body.pseudonym.as_deref(), 1, 40);
    check_line(&mut errors, "/gender", body.gender.as_deref(), 0, 40);
    check_line(&mut errors, "/age_band", body.age_band.as_deref(), 0, 40);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    // Validation first: a request that could never apply is a 422 whatever
    // its If-Match.
    let current = out(cx.read, m.clone()).await?;
    if !if_match.allows(&current.etag()) {
        return Err(stale(current));
    }
    let same = |new: &Option<String>, old: &Option<String>| {
        new.as_ref().is_none_or(|n| clean(Some(n.clone())) == *old)
    };
    let same_pseudonym = match &body.pseudonym {
        None => true,
        Some(ps) => pseudonym_of(ps, m.site_id)?.0 == m.pseudonym,
    };
    if same_pseudonym
        && body
            .treatment_started_on
            .is_none_or(|d| d == m.treatment_started_on)
        && body.status.is_none_or(|s| s == current.status)
        && same(&body.gender, &m.gender)
        && same(&body.age_band, &m.age_band)
    {
        return Ok(current);
    }
    let mut am: entity::participant::ActiveModel = m.clone().into();
    if let Some(ps) = body.pseudonym.filter(|_| !same_pseudonym) {
        let (ps, key) = pseudonym_of(&ps, m.site_id)?;
        if pseudonym_taken(cx.read, &key, Some(m.id)).await? {
            return Err(pseudonym_taken_error());
        }
        am.pseudonym_folded = Set(Some(pseudonym::folded(&ps)));
        am.pseudonym = Set(ps);
        am.pseudonym_key = Set(key);
    }
    if let Some(d) = body.treatment_started_on {
        am.treatment_started_on = Set(d);
    }
    if body.gender.is_some() {
        am.gender = Set(clean(body.gender));
    }
    if body.age_band.is_some() {
        am.age_band = Set(clean(body.age_band));
    }
    am.updated_at = Set(cx.now());
    let mut ch = cx.begin().await?;
    let locked = lock_participant(ch.db(), m.id).await?;
    if !if_match.is_absent() && locked.updated_at != m.updated_at {
        drop(ch);
        return Err(stale(out(cx.read, load(cx, id).await?).await?));
    }
    let change = match body.status {
        None => None,
        Some(to) => {
            let consent = consent_in_force(ch.db(), m.id).await?;
            let change = status_change(
                ParticipantStatus::parse(&locked.status)?,
                to,
                consent.is_some(),
            );
            match (change, consent) {
                (StatusChange::WithdrawConsentFirst, Some(c)) => {
                    return Err(ApiError::conflict(
                        "withdraw_consent",
                        format!(
                            "This participant gave consent: record the withdrawal of that consent (POST /api/v1/consents/{}/withdraw), which also records what happens to their data.",
                            c.id
                        ),
                    )
                    .with("consent_id", serde_json::json!(c.id))
                    .with("pointer", serde_json::json!("/status")));
                }
                (StatusChange::Set(s), _) => {
                    am.status = Set(s.as_str().to_string());
                    None
                }
                (change, _) => Some(change),
            }
        }
    };
    let m = am.update(ch.db()).await.map_err(taken_on_conflict)?;
    let mut entry = Entry::new("participant.update", "participant", m.id).site(Some(m.site_id));
    if change == Some(StatusChange::Withdraw) {
        let cancelled =
            withdraw_in(&mut ch, &m, "The participant withdrew from the study.").await?;
        entry =
            entry.detail(serde_json::json!({"withdrawn": true, "cancelled_interviews": cancelled}));
    }
    ch.audit(entry).await?;
    let m = entity::participant::Entity::find_by_id(m.id)
        .one(ch.db())
        .await?
        .ok_or(ApiError::NotFound("participant"))?;
    ch.commit().await?;
    out(cx.read, m).await
}

/// A participant's withdrawal, inside a change (the participant's row
/// locked): status `withdrawn`; a session that is running ends now; every
/// open interview is cancelled exactly as a coordinator's cancellation is
/// (reminders dropped, the people concerned told, `interview.cancel`
/// audited). Gives the ids of the cancelled interviews.
pub async fn withdraw_in(
    ch: &mut Change<'_>,
    participant: &entity::participant::Model,
    reason: &str,
) -> ApiResult<Vec<Uuid>> {
    let now = ch.cx().now();
    entity::participant::Entity::update_many()
        .col_expr(
            entity::participant::Column::Status,
            sea_orm::sea_query::Expr::value(ParticipantStatus::Withdrawn.as_str()),
        )
        .col_expr(
            entity::participant::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(entity::participant::Column::Id.eq(participant.id))
        .exec(ch.db())
        .await?;
    let open = entity::interview::Entity::find()
        .filter(entity::interview::Column::ParticipantId.eq(participant.id))
        .filter(entity::interview::Column::Status.is_in(InterviewStatus::names(&OPEN)))
        .lock_exclusive()
        .all(ch.db())
        .await?;
    let ids: Vec<Uuid> = open.iter().map(|i| i.id).collect();
    // A conversation that is running when consent is withdrawn ends there.
    let ended = entity::interview_session::Entity::update_many()
        .col_expr(
            entity::interview_session::Column::EndedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(entity::interview_session::Column::InterviewId.is_in(ids.clone()))
        .filter(entity::interview_session::Column::EndedAt.is_null())
        .exec(ch.db())
        .await?
        .rows_affected;
    let detail = serde_json::json!({"cause": "participant_withdrawn", "participant_id": participant.id, "sessions_ended": ended});
    for i in &open {
        cancel_in(ch, i, reason, Some(detail.clone())).await?;
    }
    Ok(ids)
}
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ParticipantQuery {
    pub site_id: Option<Uuid>,
    pub status: Option<ParticipantStatus>,
    /// Pseudonym starts with this (case-insensitive).
    pub pseudonym_prefix: Option<String>,
    /// With `wave_state`: the wave to look at.
    #[param(minimum = 1, maximum = 20)]
    pub wave: Option<i32>,
    /// With `wave`: only participants who stand so in it today, each in
    /// their site's calendar, counted as the report's retention counts (a
    /// page may then come short of `limit` with a `next_cursor`: follow it):
    /// `interviewed` (completed its interview), `due` (active, not
    /// interviewed, its window open), `missed` (active, not interviewed,
    /// the window closed), `withdrawn` (withdrew without it after its
    /// window opened).
    #[param(inline)]
    pub wave_state: Option<WaveState>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

/// A page of participants, ordered by creation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantPage {
    pub items: Vec<ParticipantOut>,
    pub next_cursor: Option<Uuid>,
}
