//! Participants: pseudonyms only, scoped to the caller's sites.
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    auth::{Principal, RequestMeta, Scope},
    error::{ApiError, ApiResult, FieldError},
    extract::{parse_value, Json, Query},
    services::{
        self,
        audit::{self, Actor, Entry},
    },
    state::AppState,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantStatus {
    Active,
    Withdrawn,
    Ended,
}

impl ParticipantStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Withdrawn => "withdrawn",
            Self::Ended => "ended",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "withdrawn" => Self::Withdrawn,
            "ended" => Self::Ended,
            _ => Self::Active,
        }
    }
}

/// A new participant. There is no field for a real name, phone, address or
/// national id, and a request that sends one is refused.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantIn {
    /// Unique in the study, case-insensitive.
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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::participant::Model> for ParticipantOut {
    fn from(m: entity::participant::Model) -> Self {
        ParticipantOut {
            id: m.id,
            pseudonym: m.pseudonym,
            site_id: m.site_id,
            treatment_started_on: m.treatment_started_on,
            status: ParticipantStatus::parse(&m.status),
            gender: m.gender,
            age_band: m.age_band,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

const IDENTIFYING: &[&str] = &[
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
fn refuse_identifying(body: &serde_json::Value) -> Result<(), ApiError> {
    let errors: Vec<FieldError> = body
        .as_object()
        .map(|o| {
            o.keys()
                .filter(|k| IDENTIFYING.contains(&k.to_ascii_lowercase().as_str()))
                .map(|k| FieldError::new(format!("/{k}"), "participants are known by pseudonym only; this service stores no names, contact details or national ids"))
                .collect()
        })
        .unwrap_or_default();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

async fn pseudonym_taken(state: &AppState, key: &str, except: Option<Uuid>) -> ApiResult<bool> {
    let mut q = entity::participant::Entity::find()
        .filter(entity::participant::Column::PseudonymKey.eq(key));
    if let Some(id) = except {
        q = q.filter(entity::participant::Column::Id.ne(id));
    }
    Ok(q.one(&state.db).await?.is_some())
}

/// Register a participant (coordinator).
#[utoipa::path(
    tag = "participants",
    request_body = ParticipantIn,
    responses(
        (status = 201, description = "Created", body = ParticipantOut),
        (status = 409, description = "Pseudonym in use", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/participants")]
pub async fn create_participant(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ParticipantsWrite)?;
    p.require_coordinator()?;
    refuse_identifying(&body.0)?;
    let body: ParticipantIn = parse_value(body.0)?;
    let mut errors = Vec::new();
    crate::error::check_len(&mut errors, "/pseudonym", Some(&body.pseudonym), 1, 40);
    crate::error::check_len(&mut errors, "/gender", body.gender.as_deref(), 0, 40);
    crate::error::check_len(&mut errors, "/age_band", body.age_band.as_deref(), 0, 40);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    // The site must exist and be one of the caller's; either way the answer
    // names the field without telling which.
    match services::sites::visible(&state.db, &p, body.site_id).await {
        Ok(_) => {}
        Err(ApiError::NotFound(_)) => return Err(ApiError::field("/site_id", "no such site")),
        Err(e) => return Err(e),
    }
    let pseudonym = body.pseudonym.trim().to_string();
    let key = pseudonym.to_lowercase();
    if pseudonym_taken(&state, &key, None).await? {
        return Err(ApiError::conflict(
            "pseudonym_taken",
            "Another participant already has this pseudonym.",
        )
        .with("pointer", serde_json::json!("/pseudonym")));
    }
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let m = entity::participant::ActiveModel {
        id: Set(Uuid::now_v7()),
        site_id: Set(body.site_id),
        pseudonym: Set(pseudonym),
        pseudonym_key: Set(key),
        treatment_started_on: Set(body.treatment_started_on),
        status: Set(body.status.as_str().to_string()),
        gender: Set(crate::error::clean(body.gender)),
        age_band: Set(crate::error::clean(body.age_band)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &Actor::new(&p, &meta),
        Entry::new("participant.create", "participant", m.id).site(Some(m.site_id)),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(ParticipantOut::from(m)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ParticipantQuery {
    pub site_id: Option<Uuid>,
    pub status: Option<ParticipantStatus>,
    /// Pseudonym starts with this (case-insensitive).
    pub pseudonym_prefix: Option<String>,
    /// 1 to 200, default 50.
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

/// Participants at the caller's sites.
#[utoipa::path(
    tag = "participants",
    params(ParticipantQuery),
    responses((status = 200, description = "Participants", body = ParticipantPage)),
    security(("bearer" = []))
)]
#[get("/participants")]
pub async fn list_participants(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: Query<ParticipantQuery>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ParticipantsRead)?;
    let limit = super::limit(q.limit)?;
    use entity::participant::{Column, Entity};
    let mut sel = Entity::find().order_by_asc(Column::Id).limit(limit + 1);
    if let Some(ids) = p.visible_sites() {
        sel = sel.filter(Column::SiteId.is_in(ids.to_vec()));
    }
    if let Some(s) = q.site_id {
        sel = sel.filter(Column::SiteId.eq(s));
    }
    if let Some(s) = q.status {
        sel = sel.filter(Column::Status.eq(s.as_str()));
    }
    if let Some(prefix) = &q.pseudonym_prefix {
        let prefix = prefix.to_lowercase().replace(['%', '_', '\\'], "");
        sel = sel.filter(Column::PseudonymKey.starts_with(prefix));
    }
    if let Some(c) = q.cursor {
        sel = sel.filter(Column::Id.gt(c));
    }
    let (rows, next_cursor) = super::page(sel.all(&state.db).await?, limit, |r| r.id);
    audit::log(
        &state,
        &Actor::new(&p, &meta),
        Entry {
            action: "participant.list",
            object_type: "participant",
            object_id: None,
            site_id: q.site_id,
            detail: Some(serde_json::json!({
                "count": rows.len(),
                "ids": rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            })),
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(ParticipantPage {
        items: rows.into_iter().map(ParticipantOut::from).collect(),
        next_cursor,
    }))
}

pub async fn visible_participant(
    state: &AppState,
    p: &Principal,
    id: Uuid,
) -> ApiResult<entity::participant::Model> {
    entity::participant::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|m| p.can_see_site(m.site_id))
        .ok_or(ApiError::NotFound("participant"))
}

/// One participant.
#[utoipa::path(
    tag = "participants",
    params(("id" = Uuid, Path, description = "Participant id")),
    responses((status = 200, description = "The participant", body = ParticipantOut)),
    security(("bearer" = []))
)]
#[get("/participants/{id}")]
pub async fn get_participant(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ParticipantsRead)?;
    let m = visible_participant(&state, &p, *id).await?;
    audit::log(
        &state,
        &Actor::new(&p, &meta),
        Entry::new("participant.read", "participant", m.id).site(Some(m.site_id)),
    )
    .await?;
    Ok(HttpResponse::Ok().json(ParticipantOut::from(m)))
}

/// Change a participant (coordinator).
#[utoipa::path(
    tag = "participants",
    params(("id" = Uuid, Path, description = "Participant id")),
    request_body = ParticipantPatch,
    responses((status = 200, description = "The changed participant", body = ParticipantOut)),
    security(("bearer" = []))
)]
#[patch("/participants/{id}")]
pub async fn patch_participant(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ParticipantsWrite)?;
    let m = visible_participant(&state, &p, *id).await?;
    p.require_coordinator()?;
    refuse_identifying(&body.0)?;
    let body: ParticipantPatch = parse_value(body.0)?;
    let mut errors = Vec::new();
    crate::error::check_len(&mut errors, "/pseudonym", body.pseudonym.as_deref(), 1, 40);
    crate::error::check_len(&mut errors, "/gender", body.gender.as_deref(), 0, 40);
    crate::error::check_len(&mut errors, "/age_band", body.age_band.as_deref(), 0, 40);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut am: entity::participant::ActiveModel = m.clone().into();
    if let Some(ps) = body.pseudonym {
        let ps = ps.trim().to_string();
        let key = ps.to_lowercase();
        if pseudonym_taken(&state, &key, Some(m.id)).await? {
            return Err(ApiError::conflict(
                "pseudonym_taken",
                "Another participant already has this pseudonym.",
            ));
        }
        am.pseudonym = Set(ps);
        am.pseudonym_key = Set(key);
    }
    if let Some(d) = body.treatment_started_on {
        am.treatment_started_on = Set(d);
    }
    if let Some(s) = body.status {
        am.status = Set(s.as_str().to_string());
    }
    if body.gender.is_some() {
        am.gender = Set(crate::error::clean(body.gender));
    }
    if body.age_band.is_some() {
        am.age_band = Set(crate::error::clean(body.age_band));
    }
    am.updated_at = Set(Utc::now());
    let txn = state.db.begin().await?;
    let m = am.update(&txn).await?;
    audit::record(
        &txn,
        &Actor::new(&p, &meta),
        Entry::new("participant.update", "participant", m.id).site(Some(m.site_id)),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(ParticipantOut::from(m)))
}
