//! Screenings (append-only), readiness decisions and readiness-gated consent.
use std::collections::{BTreeMap, HashMap};

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    auth::{Principal, RequestMeta, Scope},
    domain::readiness::{Decision, Outcome, Reason},
    error::{check_len, clean, pointer_segment, ApiError, ApiResult, FieldError},
    extract::{Json, Query},
    routes::participants::visible_participant,
    services::{
        audit::{self, Actor, Entry},
        readiness::{self as svc, Purpose},
    },
    state::AppState,
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

fn screening_out(
    m: entity::screening::Model,
    version: i32,
    def: &crate::domain::instruments::InstrumentDef,
    lang: crate::domain::readiness::Lang,
) -> ScreeningOut {
    let scored = svc::rescore(def, lang, &m.responses);
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

fn active(participant: &entity::participant::Model) -> ApiResult<()> {
    if participant.status == "active" {
        Ok(())
    } else {
        Err(ApiError::conflict(
            "participant_not_active",
            format!(
                "This participant is {}; nothing more can be recorded for them.",
                participant.status
            ),
        ))
    }
}

/// Record a screening. It is never changed afterwards; a new one supersedes it.
#[utoipa::path(
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Participant id")),
    request_body = ScreeningIn,
    responses((status = 201, description = "Stored and scored", body = ScreeningOut)),
    security(("bearer" = []))
)]
#[post("/participants/{id}/screenings")]
pub async fn create_screening(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<ScreeningIn>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ParticipantsWrite)?;
    let participant = visible_participant(&state, &p, *id).await?;
    let body = body.0;
    let now = Utc::now();
    let performed_at = body.performed_at.unwrap_or(now);
    let mut errors = Vec::new();
    if performed_at > now + Duration::minutes(CLOCK_SKEW_MINUTES) {
        errors.push(FieldError::new(
            "/performed_at",
            "is in the future; a screening can only be recorded after it was done",
        ));
    }
    if body.note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        errors.push(FieldError::new("/note", "must be at most 2000 characters"));
    }
    let Some(instrument) = entity::instrument::Entity::find_by_id(body.instrument_id)
        .one(&state.db)
        .await?
    else {
        return Err(ApiError::field("/instrument_id", "no such instrument"));
    };
    // New screenings use the newest version: an older one may have rules the
    // study has since made stricter.
    let newest = entity::instrument::Entity::find()
        .filter(entity::instrument::Column::Key.eq(instrument.key.as_str()))
        .order_by_desc(entity::instrument::Column::Version)
        .one(&state.db)
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
    let def = svc::definition(&instrument)?;
    for (item_key, level_key) in &body.responses {
        let ptr = format!("/responses/{}", pointer_segment(item_key));
        match def.items.iter().find(|i| &i.key == item_key) {
            None => errors.push(FieldError::new(
                ptr,
                format!("{} has no item {item_key}", def.key),
            )),
            Some(item) if !item.levels.iter().any(|l| &l.key == level_key) => {
                errors.push(FieldError::new(
                    ptr,
                    format!(
                        "not a level of this item; one of: {}",
                        item.levels
                            .iter()
                            .map(|l| l.key.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    active(&participant)?;
    let txn = state.db.begin().await?;
    let participant = lock_participant(&txn, participant.id).await?;
    active(&participant)?;
    // Pairs with the exclusive lock taken when an unused version is edited.
    entity::instrument::Entity::find_by_id(instrument.id)
        .lock_shared()
        .one(&txn)
        .await?;
    let lang = super::lang(&req);
    let scored = svc::rescore(
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
        performed_by: Set(Some(p.user_id)),
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
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &Actor::new(&p, &meta),
        Entry::new("screening.create", "screening", m.id)
            .site(Some(m.site_id))
            .detail(serde_json::json!({"participant_id": m.participant_id, "instrument": m.instrument_key})),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(screening_out(m, instrument.version, &def, lang)))
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
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

/// A participant's screenings, newest first.
#[utoipa::path(
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Participant id"), ScreeningQuery),
    responses((status = 200, description = "Screenings", body = ScreeningPage)),
    security(("bearer" = []))
)]
#[get("/participants/{id}/screenings")]
pub async fn list_screenings(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
    q: Query<ScreeningQuery>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ParticipantsRead)?;
    let participant = visible_participant(&state, &p, *id).await?;
    let limit = super::limit(q.limit)?;
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
    let (rows, next_cursor) = super::page(sel.all(&state.db).await?, limit, |r| r.id);
    let ids: Vec<Uuid> = rows.iter().map(|r| r.instrument_id).collect();
    let versions: HashMap<Uuid, entity::instrument::Model> = entity::instrument::Entity::find()
        .filter(entity::instrument::Column::Id.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let lang = super::lang(&req);
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(v) = versions.get(&r.instrument_id) else {
            continue;
        };
        items.push(screening_out(r, v.version, &svc::definition(v)?, lang));
    }
    audit::log(
        &state,
        &Actor::new(&p, &meta),
        Entry::new("screening.list", "participant", participant.id)
            .site(Some(participant.site_id))
            .detail(serde_json::json!({"count": items.len()})),
    )
    .await?;
    Ok(HttpResponse::Ok().json(ScreeningPage { items, next_cursor }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadinessQuery {
    /// What the decision is for.
    #[serde(rename = "for")]
    #[param(rename = "for")]
    pub purpose: Purpose,
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
    e: svc::Evaluated,
    now: DateTime<Utc>,
) -> ReadinessOut {
    let Decision {
        outcome,
        reasons,
        valid_until,
        screening_ids,
    } = e.decision;
    ReadinessOut {
        participant_id,
        purpose,
        outcome,
        reasons,
        valid_until,
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

async fn audit_readiness(
    db: &impl ConnectionTrait,
    p: &Principal,
    meta: &RequestMeta,
    action: &str,
    participant: &entity::participant::Model,
    r: &ReadinessOut,
) -> ApiResult<()> {
    audit::record(
        db,
        &Actor::new(p, meta),
        Entry::new(action, "participant", participant.id)
            .site(Some(participant.site_id))
            .detail(serde_json::json!({
                "for": r.purpose,
                "outcome": r.outcome,
                "reasons": r.reasons.iter().map(|x| &x.code).collect::<Vec<_>>(),
            })),
    )
    .await?;
    Ok(())
}

/// Is the participant ready for consent, or for an interview session, now?
#[utoipa::path(
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Participant id"), ReadinessQuery),
    responses((status = 200, description = "The decision", body = ReadinessOut)),
    security(("bearer" = []))
)]
#[get("/participants/{id}/readiness")]
pub async fn get_readiness(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
    q: Query<ReadinessQuery>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ParticipantsRead)?;
    let participant = visible_participant(&state, &p, *id).await?;
    let now = Utc::now();
    let e = svc::evaluate(&state.db, participant.id, q.purpose, super::lang(&req), now).await?;
    let out = readiness_out(participant.id, q.purpose, e, now);
    let action = if out.outcome == Outcome::Ready {
        "readiness.read"
    } else {
        "readiness.refused"
    };
    audit_readiness(&state.db, &p, &meta, action, &participant, &out).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// The refusal problem shared by consent and interview sessions.
pub fn not_ready(r: &ReadinessOut, what: &str) -> ApiError {
    let detail = format!(
        "The participant is not ready for {what}: {}",
        r.reasons
            .iter()
            .map(|x| x.message.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    ApiError::conflict("not_ready", detail)
        .with("outcome", serde_json::json!(r.outcome))
        .with("reasons", serde_json::json!(r.reasons))
        .with("next_step", serde_json::json!(r.next_step))
        .with(
            "postpone_reason",
            serde_json::json!("participant_not_ready"),
        )
}

/// Locks the participant's row until the transaction ends (PostgreSQL; on
/// SQLite the one writer already serialises), so a screening, consent,
/// session start or withdrawal of the same participant cannot interleave.
pub async fn lock_participant(
    txn: &sea_orm::DatabaseTransaction,
    id: Uuid,
) -> ApiResult<entity::participant::Model> {
    entity::participant::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound("participant"))
}

/// Readiness for `purpose` as of now, read inside the caller's transaction.
pub async fn readiness_in(
    txn: &sea_orm::DatabaseTransaction,
    lang: crate::domain::readiness::Lang,
    participant: &entity::participant::Model,
    purpose: Purpose,
) -> ApiResult<ReadinessOut> {
    let now = Utc::now();
    let e = svc::evaluate(txn, participant.id, purpose, lang, now).await?;
    Ok(readiness_out(participant.id, purpose, e, now))
}

/// Writes a refusal to the audit log (after the caller's transaction ended)
/// and returns the `not_ready` problem.
pub async fn refuse(
    state: &AppState,
    p: &Principal,
    meta: &RequestMeta,
    action: &str,
    participant: &entity::participant::Model,
    out: &ReadinessOut,
) -> ApiError {
    if let Err(e) = audit_readiness(&state.db, p, meta, action, participant, out).await {
        return e;
    }
    let what = match out.purpose {
        Purpose::Consent => "consent",
        Purpose::Session => "an interview session",
    };
    not_ready(out, what)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    Written,
    OralRecorded,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentIn {
    /// The version of the information sheet and consent form used.
    #[schema(min_length = 1, max_length = 40)]
    pub form_version: String,
    pub method: ConsentMethod,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DataDecision {
    /// Keep what was collected before the withdrawal.
    Keep,
    /// Delete the participant's screenings and unlink them from notes.
    Delete,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentOut {
    pub id: Uuid,
    pub participant_id: Uuid,
    pub form_version: String,
    pub method: ConsentMethod,
    pub note: Option<String>,
    pub obtained_by: Option<Uuid>,
    pub obtained_at: DateTime<Utc>,
    /// The screenings that showed readiness at that moment.
    pub screening_ids: Vec<Uuid>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_by: Option<Uuid>,
    pub withdraw_reason: Option<String>,
    pub data_decision: Option<DataDecision>,
}

impl From<entity::consent::Model> for ConsentOut {
    fn from(m: entity::consent::Model) -> Self {
        ConsentOut {
            id: m.id,
            participant_id: m.participant_id,
            form_version: m.form_version,
            method: if m.method == "oral_recorded" {
                ConsentMethod::OralRecorded
            } else {
                ConsentMethod::Written
            },
            note: m.note,
            obtained_by: m.obtained_by,
            obtained_at: m.obtained_at,
            screening_ids: serde_json::from_value(m.screening_ids).unwrap_or_default(),
            withdrawn_at: m.withdrawn_at,
            withdrawn_by: m.withdrawn_by,
            withdraw_reason: m.withdraw_reason,
            data_decision: m.data_decision.map(|d| {
                if d == "delete" {
                    DataDecision::Delete
                } else {
                    DataDecision::Keep
                }
            }),
        }
    }
}

/// Record consent. Refused with `not_ready` unless readiness for consent is
/// READY at this moment.
#[utoipa::path(
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Participant id")),
    request_body = ConsentIn,
    responses(
        (status = 201, description = "Consent recorded", body = ConsentOut),
        (status = 409, description = "Not ready, or participant not active", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/participants/{id}/consents")]
pub async fn create_consent(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<ConsentIn>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ParticipantsWrite)?;
    let participant = visible_participant(&state, &p, *id).await?;
    let body = body.0;
    let mut errors = Vec::new();
    check_len(
        &mut errors,
        "/form_version",
        Some(&body.form_version),
        1,
        40,
    );
    check_len(&mut errors, "/note", body.note.as_deref(), 0, 2000);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let txn = state.db.begin().await?;
    let participant = lock_participant(&txn, participant.id).await?;
    active(&participant)?;
    let ready = readiness_in(&txn, super::lang(&req), &participant, Purpose::Consent).await?;
    if ready.outcome != Outcome::Ready {
        drop(txn);
        return Err(refuse(&state, &p, &meta, "consent.refused", &participant, &ready).await);
    }
    let m = entity::consent::ActiveModel {
        id: Set(Uuid::now_v7()),
        participant_id: Set(participant.id),
        site_id: Set(participant.site_id),
        form_version: Set(body.form_version.trim().to_string()),
        method: Set(match body.method {
            ConsentMethod::Written => "written",
            ConsentMethod::OralRecorded => "oral_recorded",
        }
        .into()),
        note: Set(clean(body.note)),
        obtained_by: Set(Some(p.user_id)),
        obtained_at: Set(ready.checked_at),
        screening_ids: Set(serde_json::json!(ready.screening_ids)),
        withdrawn_at: Set(None),
        withdrawn_by: Set(None),
        withdraw_reason: Set(None),
        data_decision: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &Actor::new(&p, &meta),
        Entry::new("consent.create", "consent", m.id)
            .site(Some(m.site_id))
            .detail(serde_json::json!({"participant_id": m.participant_id, "screening_ids": ready.screening_ids})),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(ConsentOut::from(m)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentList {
    pub items: Vec<ConsentOut>,
}

/// A participant's consents, oldest first.
#[utoipa::path(
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Participant id")),
    responses((status = 200, description = "Consents", body = ConsentList)),
    security(("bearer" = []))
)]
#[get("/participants/{id}/consents")]
pub async fn list_consents(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ParticipantsRead)?;
    let participant = visible_participant(&state, &p, *id).await?;
    let rows = entity::consent::Entity::find()
        .filter(entity::consent::Column::ParticipantId.eq(participant.id))
        .order_by_asc(entity::consent::Column::Id)
        .all(&state.db)
        .await?;
    audit::log(
        &state,
        &Actor::new(&p, &meta),
        Entry::new("consent.list", "participant", participant.id).site(Some(participant.site_id)),
    )
    .await?;
    Ok(HttpResponse::Ok().json(ConsentList {
        items: rows.into_iter().map(ConsentOut::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawIn {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
    pub data_decision: DataDecision,
}

/// What a withdrawal deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub screenings: u64,
    /// Links from field notes to the participant (the notes stay).
    pub note_links: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WithdrawOut {
    pub consent: ConsentOut,
    pub deleted: Deleted,
}

/// Record a withdrawal of consent (coordinator). The participant becomes
/// `withdrawn`. With `data_decision: delete` their screenings are deleted;
/// the audit log keeps that they existed (ids, who, when), never their answers.
#[utoipa::path(
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Consent id")),
    request_body = WithdrawIn,
    responses(
        (status = 200, description = "Withdrawn", body = WithdrawOut),
        (status = 409, description = "Already withdrawn", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/consents/{id}/withdraw")]
pub async fn withdraw_consent(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<WithdrawIn>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ParticipantsWrite)?;
    let consent = entity::consent::Entity::find_by_id(*id)
        .one(&state.db)
        .await?
        .filter(|c| p.can_see_site(c.site_id))
        .ok_or(ApiError::NotFound("consent"))?;
    p.require_coordinator()?;
    let body = body.0;
    let mut errors = Vec::new();
    check_len(&mut errors, "/reason", Some(&body.reason), 1, 500);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = Utc::now();
    let txn = state.db.begin().await?;
    lock_participant(&txn, consent.participant_id).await?;
    let consent = entity::consent::Entity::find_by_id(consent.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("consent"))?;
    if consent.withdrawn_at.is_some() {
        return Err(ApiError::conflict(
            "already_withdrawn",
            "This consent was already withdrawn.",
        ));
    }
    let mut am: entity::consent::ActiveModel = consent.clone().into();
    am.withdrawn_at = Set(Some(now));
    am.withdrawn_by = Set(Some(p.user_id));
    am.withdraw_reason = Set(Some(body.reason.trim().to_string()));
    am.data_decision = Set(Some(
        match body.data_decision {
            DataDecision::Keep => "keep",
            DataDecision::Delete => "delete",
        }
        .into(),
    ));
    let consent = am.update(&txn).await?;
    entity::participant::Entity::update_many()
        .col_expr(
            entity::participant::Column::Status,
            sea_orm::sea_query::Expr::value("withdrawn"),
        )
        .col_expr(
            entity::participant::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(entity::participant::Column::Id.eq(consent.participant_id))
        .exec(&txn)
        .await?;
    // Nothing more is planned with someone who withdrew: open interviews are
    // cancelled (their reminders go, calendars show them cancelled).
    let open = entity::interview::Entity::find()
        .filter(entity::interview::Column::ParticipantId.eq(consent.participant_id))
        .filter(entity::interview::Column::Status.is_in(crate::services::interviews::OPEN))
        .all(&txn)
        .await?;
    for i in &open {
        let mut am: entity::interview::ActiveModel = i.clone().into();
        am.status = Set("cancelled".into());
        am.cancel_reason = Set(Some("The participant withdrew consent.".into()));
        am.sequence = Set(i.sequence + 1);
        am.updated_at = Set(now);
        am.update(&txn).await?;
        crate::services::interviews::drop_pending_reminders(&txn, i.id).await?;
    }
    let mut deleted = Deleted {
        screenings: 0,
        note_links: 0,
    };
    if body.data_decision == DataDecision::Delete {
        // Earlier versions of those notes name the participant too.
        let linked: Vec<Uuid> = entity::note_participant::Entity::find()
            .filter(entity::note_participant::Column::ParticipantId.eq(consent.participant_id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|l| l.note_id)
            .collect();
        if !linked.is_empty() {
            for v in entity::note_version::Entity::find()
                .filter(entity::note_version::Column::NoteId.is_in(linked))
                .all(&txn)
                .await?
            {
                let ids: Vec<Uuid> =
                    serde_json::from_value(v.participant_ids.clone()).unwrap_or_default();
                if ids.contains(&consent.participant_id) {
                    let kept: Vec<Uuid> = ids
                        .into_iter()
                        .filter(|i| *i != consent.participant_id)
                        .collect();
                    let mut am: entity::note_version::ActiveModel = v.into();
                    am.participant_ids = Set(serde_json::json!(kept));
                    am.update(&txn).await?;
                }
            }
        }
        deleted.note_links = entity::note_participant::Entity::delete_many()
            .filter(entity::note_participant::Column::ParticipantId.eq(consent.participant_id))
            .exec(&txn)
            .await?
            .rows_affected;
        deleted.screenings = entity::screening::Entity::delete_many()
            .filter(entity::screening::Column::ParticipantId.eq(consent.participant_id))
            .exec(&txn)
            .await?
            .rows_affected;
    }
    audit::record(
        &txn,
        &Actor::new(&p, &meta),
        Entry::new("consent.withdraw", "consent", consent.id)
            .site(Some(consent.site_id))
            .detail(serde_json::json!({
                "participant_id": consent.participant_id,
                "data_decision": consent.data_decision,
                "deleted_screenings": deleted.screenings,
                "deleted_note_links": deleted.note_links,
                "cancelled_interviews": open.iter().map(|i| i.id).collect::<Vec<_>>(),
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(WithdrawOut {
        consent: ConsentOut::from(consent),
        deleted,
    }))
}
