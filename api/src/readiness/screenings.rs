//! Screenings: append-only, scored with their own instrument version.
use crate::kernel::field::{not_found, FieldProblem};
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    kernel::{
        audit::Entry,
        ctx::Ctx,
        error::{clean, pointer_segment, ApiError, ApiResult, FieldError},
    },
    participants::{self, lock_participant, require_active},
    readiness::{
        definition, rescore,
        rules::{Outcome, Reason},
    },
};

/// How far a client clock may run ahead of the server's.
pub const CLOCK_SKEW_MINUTES: i64 = 2;

/// A screening as entered on the phone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningIn {
    /// The instrument version used (normally the newest).
    pub instrument_id: Uuid,
    /// When the screening was done; default now. Never in the future.
    pub performed_at: Option<DateTime<Utc>>,
    /// The chosen level key for each item key. A required item left out (or
    /// answered `not_assessed`) makes the screening incomplete: never 0.
    pub responses: BTreeMap<String, String>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScreeningOut {
    pub id: Uuid,
    pub participant_id: Uuid,
    pub instrument_id: Uuid,
    pub instrument_key: String,
    pub instrument_version: i32,
    pub performed_at: DateTime<Utc>,
    pub performed_by: Option<Uuid>,
    pub responses: BTreeMap<String, String>,
    /// `null` when a required item is missing.
    pub total: Option<i32>,
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScreeningPage {
    pub items: Vec<ScreeningOut>,
    pub next_cursor: Option<Uuid>,
}

pub fn screening_out(
    m: entity::screening::Model,
    version: i32,
    def: &crate::readiness::rules::instruments::InstrumentDef,
    lang: crate::kernel::lang::Lang,
) -> ScreeningOut {
    let scored = rescore(def, lang, &m.responses);
    ScreeningOut {
        id: m.id,
        participant_id: m.participant_id,
        instrument_id: m.instrument_id,
        instrument_key: m.instrument_key,
        instrument_version: version,
        performed_at: m.performed_at,
        performed_by: m.performed_by,
        responses: serde_json::from_value(m.responses).unwrap_or_default(),
        total: scored.total,
        outcome: scored.outcome,
        reasons: scored.reasons,
        note: m.note,
        created_at: m.created_at,
    }
}

/// Record a screening of a participant the caller may see. It is never
/// changed afterwards; a new one supersedes it.
pub async fn create(
    cx: &Ctx<'_>,
    participant_id: Uuid,
    body: ScreeningIn,
) -> ApiResult<ScreeningOut> {
    let participant = participants::load(cx, participant_id).await?;
    let now = cx.now();
    let performed_at = body.performed_at.unwrap_or(now);
    let mut errors = Vec::new();
    if performed_at > now + Duration::minutes(CLOCK_SKEW_MINUTES) {
        errors.push(FieldError::new("/performed_at", FieldProblem::InFuture));
    }
    if body.note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        errors.push(FieldError::new(
            "/note",
            FieldProblem::TooLong { max: 2000 },
        ));
    }
    let Some(instrument) = entity::instrument::Entity::find_by_id(body.instrument_id)
        .one(cx.read)
        .await?
    else {
        return Err(ApiError::field("/instrument_id", not_found("instrument")));
    };
    // New screenings use the newest version: an older one may have rules the
    // study has since made stricter.
    let newest = entity::instrument::Entity::find()
        .filter(entity::instrument::Column::Key.eq(instrument.key.as_str()))
        .order_by_desc(entity::instrument::Column::Version)
        .one(cx.read)
        .await?;
    if let Some(n) = newest.filter(|n| n.id != instrument.id) {
        return Err(ApiError::conflict(
            "instrument_outdated",
            format!(
                "Version {} of {} replaced this one; screen with instrument {}.",
                n.version, n.key, n.id
            ),
        )
        .with("instrument_id", serde_json::json!(n.id)));
    }
    let def = definition(&instrument)?;
    for (item_key, level_key) in &body.responses {
        let ptr = format!("/responses/{}", pointer_segment(item_key));
        match def.items.iter().find(|i| &i.key == item_key) {
            None => errors.push(FieldError::new(
                ptr,
                FieldProblem::NoSuchItem {
                    instrument: def.key.clone(),
                    item: item_key.clone(),
                },
            )),
            Some(item) if !item.levels.iter().any(|l| &l.key == level_key) => {
                errors.push(FieldError::new(
                    ptr,
                    FieldProblem::NotALevel {
                        levels: item.levels.iter().map(|l| l.key.clone()).collect(),
                    },
                ))
            }
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    require_active(&participant)?;
    let ch = cx.begin().await?;
    let participant = lock_participant(ch.db(), participant.id).await?;
    require_active(&participant)?;
    // Pairs with the exclusive lock taken when an unused version is edited.
    entity::instrument::Entity::find_by_id(instrument.id)
        .lock_shared()
        .one(ch.db())
        .await?;
    let lang = cx.lang;
    let scored = rescore(
        &def,
        lang,
        &serde_json::to_value(&body.responses).map_err(anyhow::Error::from)?,
    );
    let m = entity::screening::ActiveModel {
        id: Set(Uuid::now_v7()),
        participant_id: Set(participant.id),
        site_id: Set(participant.site_id),
        instrument_id: Set(instrument.id),
        instrument_key: Set(instrument.key.clone()),
        performed_at: Set(performed_at),
        performed_by: Set(Some(cx.p.user_id)),
        responses: Set(serde_json::to_value(&body.responses).map_err(anyhow::Error::from)?),
        total: Set(scored.total),
        outcome: Set(outcome_str(scored.outcome).into()),
        reasons: Set(serde_json::json!(scored
            .reasons
            .iter()
            .map(|r| &r.code)
            .collect::<Vec<_>>())),
        note: Set(clean(body.note)),
        created_at: Set(now),
    }
    .insert(ch.db())
    .await?;
    ch.audit(
        Entry::new("screening.create", "screening", m.id)
            .site(Some(m.site_id))
            .detail(serde_json::json!({"participant_id": m.participant_id, "instrument": m.instrument_key})),
    )
    .await?;
    ch.commit().await?;
    Ok(screening_out(m, instrument.version, &def, lang))
}

fn outcome_str(o: Outcome) -> &'static str {
    match o {
        Outcome::Ready => "ready",
        Outcome::Postpone => "postpone",
        Outcome::Stop => "stop",
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScreeningQuery {
    pub instrument_key: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

/// A participant's screenings, newest first; the read is audited.
pub async fn list(
    cx: &Ctx<'_>,
    participant_id: Uuid,
    q: &ScreeningQuery,
) -> ApiResult<ScreeningPage> {
    let participant = participants::load(cx, participant_id).await?;
    let limit = crate::kernel::ctx::limit(q.limit)?;
    use entity::screening::{Column, Entity};
    let mut sel = Entity::find()
        .filter(Column::ParticipantId.eq(participant.id))
        .order_by_desc(Column::Id)
        .limit(limit + 1);
    if let Some(k) = &q.instrument_key {
        sel = sel.filter(Column::InstrumentKey.eq(k.as_str()));
    }
    if let Some(c) = q.cursor {
        sel = sel.filter(Column::Id.lt(c));
    }
    let (rows, next_cursor) = crate::kernel::ctx::page(sel.all(cx.read).await?, limit, |r| r.id);
    let ids: Vec<Uuid> = rows.iter().map(|r| r.instrument_id).collect();
    let versions: HashMap<Uuid, entity::instrument::Model> = entity::instrument::Entity::find()
        .filter(entity::instrument::Column::Id.is_in(ids))
        .all(cx.read)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let lang = cx.lang;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(v) = versions.get(&r.instrument_id) else {
            continue;
        };
        items.push(screening_out(r, v.version, &definition(v)?, lang));
    }
    cx.log(
        Entry::new("screening.list", "participant", participant.id)
            .site(Some(participant.site_id))
            .detail(serde_json::json!({"count": items.len()})),
    )
    .await?;
    Ok(ScreeningPage { items, next_cursor })
}
