//! Instruments, the study's readiness settings, and readiness decisions from
//! stored screenings.
pub mod instruments;
pub mod routes;
pub mod rules;
pub mod screenings;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::OnConflict, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::kernel::field::not_found;
use crate::{
    kernel::{
        audit::Entry,
        ctx::{Change, Ctx},
        error::{ApiError, ApiResult},
        lang::Lang,
        scoped,
    },
    readiness::rules::{
        self as readiness,
        instruments::{builtins, InstrumentDef, Kind},
        Decision, Outcome, Policy, Reason, Screening,
    },
};

/// What a readiness decision is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Consent,
    Session,
}

/// Which instruments the study requires, and for how long they count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReadinessSettings {
    /// Instrument keys required before consent, in order. A `capacity`
    /// instrument counts only after the others passed.
    pub consent: Vec<String>,
    /// Instrument keys required before each interview session, in order.
    pub session: Vec<String>,
    /// Validity window overrides in minutes, by instrument key.
    pub validity_minutes: BTreeMap<String, i64>,
    /// Minutes during which a postpone or stop is not erased by a new
    /// passing screening ("no screen shopping").
    pub no_screen_shopping_minutes: i64,
    /// Whether a new session of a split interview needs a screening taken
    /// after the interview's previous session ended (on unless a study
    /// turns it off): interviews are split because a participant's state
    /// changes.
    #[serde(default = "on")]
    pub rescreen_between_sessions: bool,
    /// The versions of the consent form the ethics committee approved and
    /// the study uses: a consent names one of them (picked from this list,
    /// never typed), newest last.
    #[serde(default = "first_form")]
    #[schema(min_items = 1, max_items = 10)]
    pub consent_form_versions: Vec<String>,
}

fn on() -> bool {
    true
}

fn first_form() -> Vec<String> {
    vec!["1.0".into()]
}

impl Default for ReadinessSettings {
    fn default() -> Self {
        ReadinessSettings {
            consent: vec!["poss".into(), "capacity".into()],
            session: vec!["poss".into()],
            validity_minutes: BTreeMap::new(),
            no_screen_shopping_minutes: 60,
            rescreen_between_sessions: true,
            consent_form_versions: first_form(),
        }
    }
}

pub const READINESS_KEY: &str = "readiness";

/// Puts the built-in instruments in place; safe to run on every start and on
/// several instances at once.
pub async fn seed_builtins(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    use entity::instrument::{ActiveModel, Column, Entity};
    let now = Utc::now();
    for b in builtins() {
        let am = ActiveModel {
            id: Set(b.id),
            key: Set(b.def.key.clone()),
            version: Set(1),
            name: Set(b.def.name.en.clone()),
            kind: Set(b.def.kind.as_str().into()),
            definition: Set(serde_json::to_value(&b.def).expect("definition serialises")),
            builtin: Set(true),
            created_by: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        };
        Entity::insert(am)
            .on_conflict(OnConflict::column(Column::Id).do_nothing().to_owned())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

pub fn definition(m: &entity::instrument::Model) -> ApiResult<InstrumentDef> {
    serde_json::from_value(m.definition.clone())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("instrument {} unreadable: {e}", m.id)))
}

pub async fn settings(db: &impl ConnectionTrait) -> ApiResult<ReadinessSettings> {
    match entity::setting::Entity::find_by_id(READINESS_KEY)
        .one(db)
        .await?
    {
        Some(m) => serde_json::from_value(m.value)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("readiness settings unreadable: {e}"))),
        None => Ok(ReadinessSettings::default()),
    }
}

/// The newest version of each instrument key.
pub async fn latest_versions(
    db: &impl ConnectionTrait,
    keys: &[String],
) -> ApiResult<HashMap<String, entity::instrument::Model>> {
    use entity::instrument::{Column, Entity};
    let rows = Entity::find()
        .filter(Column::Key.is_in(keys.to_vec()))
        .order_by_asc(Column::Version)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|m| (m.key.clone(), m)).collect())
}

/// Stored scoring of a screening, re-done in `lang` from its own (immutable)
/// instrument version.
pub fn rescore(
    def: &InstrumentDef,
    lang: Lang,
    responses: &serde_json::Value,
) -> readiness::Scored {
    let responses: BTreeMap<String, String> =
        serde_json::from_value(responses.clone()).unwrap_or_default();
    readiness::score(&def.to_engine(lang, None), &responses)
}

/// A decision and what it rested on.
pub struct Evaluated {
    pub decision: Decision,
    pub required: Vec<String>,
}

/// When the last ended session of an interview ended: for a new session,
/// only screenings since count (see `rescreen_between_sessions`).
pub async fn previous_session_end(
    db: &impl ConnectionTrait,
    interview_id: Uuid,
) -> ApiResult<Option<DateTime<Utc>>> {
    Ok(entity::interview_session::Entity::find()
        .filter(entity::interview_session::Column::InterviewId.eq(interview_id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|s| s.ended_at)
        .max())
}

/// The readiness of a participant at `now`. For a session after an earlier
/// session of the same interview (`previous_session_end`), screenings from
/// before it ended do not count, unless the study turned that off.
pub async fn evaluate(
    db: &impl ConnectionTrait,
    participant_id: Uuid,
    purpose: Purpose,
    lang: Lang,
    now: DateTime<Utc>,
    previous_session_end: Option<DateTime<Utc>>,
) -> ApiResult<Evaluated> {
    let s = settings(db).await?;
    let keys = match purpose {
        Purpose::Consent => s.consent.clone(),
        Purpose::Session => s.session.clone(),
    };
    let latest = latest_versions(db, &keys).await?;
    let mut policy = Policy {
        required: Vec::new(),
        capacity: None,
        no_screen_shopping_minutes: s.no_screen_shopping_minutes,
        fresh_after: previous_session_end
            .filter(|_| purpose == Purpose::Session && s.rescreen_between_sessions),
    };
    for key in &keys {
        let Some(m) = latest.get(key) else { continue };
        let def = definition(m)?;
        let engine = def.to_engine(lang, s.validity_minutes.get(key).copied());
        if def.kind == Kind::Capacity && policy.capacity.is_none() {
            policy.capacity = Some(engine);
        } else {
            policy.required.push(engine);
        }
    }
    use entity::screening::{Column, Entity};
    let rows = Entity::find()
        .filter(Column::ParticipantId.eq(participant_id))
        .filter(Column::InstrumentKey.is_in(keys.clone()))
        .filter(Column::PerformedAt.lte(now))
        .order_by_desc(Column::PerformedAt)
        .limit(200)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.instrument_id).collect();
    let versions: HashMap<Uuid, InstrumentDef> = entity::instrument::Entity::find()
        .filter(entity::instrument::Column::Id.is_in(ids))
        .all(db)
        .await?
        .iter()
        .map(|m| definition(m).map(|d| (m.id, d)))
        .collect::<ApiResult<_>>()?;
    let history: Vec<Screening> = rows
        .iter()
        .filter_map(|r| {
            let def = versions.get(&r.instrument_id)?;
            Some(Screening {
                id: r.id.to_string(),
                instrument_key: r.instrument_key.clone(),
                performed_at: r.performed_at,
                scored: rescore(def, lang, &r.responses),
            })
        })
        .collect();
    Ok(Evaluated {
        decision: readiness::decide(now, &policy, &history),
        required: keys,
    })
}

/// A readiness decision and the plain-language reasons behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessOut {
    pub participant_id: Uuid,
    #[serde(rename = "for")]
    #[schema(rename = "for")]
    pub purpose: Purpose,
    pub outcome: Outcome,
    /// Empty when ready.
    pub reasons: Vec<Reason>,
    /// Until when a READY holds; `null` otherwise.
    pub valid_until: Option<DateTime<Utc>>,
    /// When not ready because of a recent POSTPONE or STOP: from when a
    /// passing screening can count again (the no-screen-shopping window has
    /// passed). Screening again before then cannot make the participant
    /// ready, so a client shows "Screen again at HH:MM" instead of the form.
    pub screen_again_at: Option<DateTime<Utc>>,
    /// The screenings the decision rests on.
    pub screening_ids: Vec<Uuid>,
    /// The instrument keys the study requires for this purpose, in order.
    pub required: Vec<String>,
    pub checked_at: DateTime<Utc>,
    /// What the fieldworker can do when not ready.
    pub next_step: Option<String>,
}

fn readiness_out(
    participant_id: Uuid,
    purpose: Purpose,
    e: Evaluated,
    now: DateTime<Utc>,
) -> ReadinessOut {
    let Decision {
        outcome,
        reasons,
        valid_until,
        screen_again_at,
        screening_ids,
    } = e.decision;
    ReadinessOut {
        participant_id,
        purpose,
        outcome,
        reasons,
        valid_until,
        screen_again_at,
        screening_ids: screening_ids
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect(),
        required: e.required,
        checked_at: now,
        next_step: match outcome {
            Outcome::Ready => None,
            Outcome::Postpone => Some("postpone".into()),
            Outcome::Stop => Some("stop_for_today".into()),
        },
    }
}

/// The audit entry of a readiness decision.
fn readiness_entry<'a>(
    action: &'a str,
    participant: &entity::participant::Model,
    r: &ReadinessOut,
) -> Entry<'a> {
    Entry::new(action, "participant", participant.id)
        .site(Some(participant.site_id))
        .detail(serde_json::json!({
            "for": r.purpose,
            "outcome": r.outcome,
            "reasons": r.reasons.iter().map(|x| &x.code).collect::<Vec<_>>(),
        }))
}

/// Is the participant the caller may see ready for `purpose` now? The
/// decision is audited (`readiness.read`, or `readiness.refused`).
/// With `interview_id` (for a session), the decision is the one starting
/// that interview's next session would meet.
pub async fn get(
    cx: &Ctx<'_>,
    participant_id: Uuid,
    purpose: Purpose,
    interview_id: Option<Uuid>,
) -> ApiResult<ReadinessOut> {
    let participant =
        scoped::load::<entity::participant::Entity>(cx.read, cx.p, participant_id).await?;
    let previous_end = match interview_id {
        Some(id) => {
            let interview = entity::interview::Entity::find_by_id(id)
                .filter(entity::interview::Column::ParticipantId.eq(participant.id))
                .one(cx.read)
                .await?
                .ok_or_else(|| ApiError::field("/interview_id", not_found("interview")))?;
            previous_session_end(cx.read, interview.id).await?
        }
        None => None,
    };
    let now = cx.now();
    let e = evaluate(cx.read, participant.id, purpose, cx.lang, now, previous_end).await?;
    let out = readiness_out(participant.id, purpose, e, now);
    let action = if out.outcome == Outcome::Ready {
        "readiness.read"
    } else {
        "readiness.refused"
    };
    cx.log(readiness_entry(action, &participant, &out)).await?;
    Ok(out)
}

/// The readiness gate of consent and of every interview session, inside the
/// change that records them (the participant's row locked): `Ok` with the
/// decision when READY now, `Err` with it otherwise.
pub async fn gate(
    ch: &Change<'_>,
    participant: &entity::participant::Model,
    purpose: Purpose,
    previous_session_end: Option<DateTime<Utc>>,
) -> ApiResult<Result<ReadinessOut, ReadinessOut>> {
    let now = ch.cx().now();
    let e = evaluate(
        ch.db(),
        participant.id,
        purpose,
        ch.cx().lang,
        now,
        previous_session_end,
    )
    .await?;
    let out = readiness_out(participant.id, purpose, e, now);
    Ok(if out.outcome == Outcome::Ready {
        Ok(out)
    } else {
        Err(out)
    })
}

/// The refusal of a gate that said not ready: audited as `action` (call it
/// after the change was dropped), answered as `not_ready` with the reasons
/// and the postponement to offer.
pub async fn refuse(
    cx: &Ctx<'_>,
    action: &str,
    participant: &entity::participant::Model,
    out: &ReadinessOut,
) -> ApiError {
    if let Err(e) = cx.log(readiness_entry(action, participant, out)).await {
        return e;
    }
    let what = match out.purpose {
        Purpose::Consent => "consent",
        Purpose::Session => "an interview session",
    };
    let detail = format!(
        "The participant is not ready for {what}: {}",
        out.reasons
            .iter()
            .map(|x| x.message.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    ApiError::conflict("not_ready", detail)
        .with("outcome", serde_json::json!(out.outcome))
        .with("reasons", serde_json::json!(out.reasons))
        .with("next_step", serde_json::json!(out.next_step))
        .with(
            "postpone_reason",
            serde_json::json!("participant_not_ready"),
        )
}
