//! Sites: the clinics where fieldwork happens.
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{Principal, RequestMeta, Scope},
    domain::hours::{self, Window},
    error::{ApiError, ApiResult, FieldError},
    extract::Json,
    services::{
        self,
        audit::{self, Actor, Entry},
    },
    state::AppState,
};

/// A new site.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteIn {
    #[schema(example = "Clinic A", min_length = 1, max_length = 120)]
    pub name: String,
    /// IANA time zone, e.g. `Europe/Oslo`.
    #[schema(example = "Europe/Oslo")]
    pub timezone: String,
    /// Daily opening windows in local time, e.g. 08:00-12:00 and 14:00-17:00.
    #[serde(default)]
    pub opening_hours: Vec<Window>,
}

/// Changes to a site; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SitePatch {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub opening_hours: Option<Vec<Window>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SiteOut {
    pub id: Uuid,
    pub name: String,
    pub timezone: String,
    pub opening_hours: Vec<Window>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::site::Model> for SiteOut {
    fn from(m: entity::site::Model) -> Self {
        SiteOut {
            id: m.id,
            name: m.name,
            timezone: m.timezone,
            opening_hours: serde_json::from_value(m.opening_hours).unwrap_or_default(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

fn check_name(errors: &mut Vec<FieldError>, name: &str) {
    let n = name.trim().chars().count();
    if n == 0 || n > 120 {
        errors.push(FieldError::new("/name", "must be 1 to 120 characters"));
    }
}

async fn name_taken(state: &AppState, name: &str, except: Option<Uuid>) -> ApiResult<bool> {
    let mut q = entity::site::Entity::find().filter(entity::site::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(entity::site::Column::Id.ne(id));
    }
    Ok(q.one(&state.read).await?.is_some())
}

/// Create a site (admin).
#[utoipa::path(
    tag = "sites",
    request_body = SiteIn,
    responses(
        (status = 201, description = "Created", body = SiteOut),
        (status = 409, description = "A site with this name exists", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/sites")]
pub async fn create_site(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<SiteIn>,
) -> ApiResult<HttpResponse> {
    p.require_admin()?;
    let body = body.0;
    let mut errors = Vec::new();
    check_name(&mut errors, &body.name);
    errors.extend(hours::validate_timezone("/timezone", &body.timezone));
    errors.extend(hours::validate("/opening_hours", &body.opening_hours));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let name = body.name.trim().to_string();
    if name_taken(&state, &name, None).await? {
        return Err(ApiError::conflict(
            "site_name_taken",
            "A site with this name already exists.",
        ));
    }
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let site = entity::site::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        timezone: Set(body.timezone),
        opening_hours: Set(serde_json::to_value(&body.opening_hours).map_err(anyhow::Error::from)?),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &Actor::new(&p, &meta),
        Entry::new("site.create", "site", site.id).site(Some(site.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(SiteOut::from(site)))
}

/// The sites the caller is assigned to (admins: all sites).
#[utoipa::path(
    tag = "sites",
    responses((status = 200, description = "Sites", body = [SiteOut])),
    security(("bearer" = []))
)]
#[get("/sites")]
pub async fn list_sites(state: web::Data<AppState>, p: Principal) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::SitesRead)?;
    let sites = services::sites::list_visible(&state.read, &p).await?;
    Ok(HttpResponse::Ok().json(sites.into_iter().map(SiteOut::from).collect::<Vec<_>>()))
}

/// One site.
#[utoipa::path(
    tag = "sites",
    params(("id" = Uuid, Path, description = "Site id")),
    responses((status = 200, description = "The site", body = SiteOut)),
    security(("bearer" = []))
)]
#[get("/sites/{id}")]
pub async fn get_site(
    state: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::SitesRead)?;
    let site = services::sites::visible(&state.read, &p, *id).await?;
    Ok(HttpResponse::Ok().json(SiteOut::from(site)))
}

/// Change a site (admin).
#[utoipa::path(
    tag = "sites",
    params(("id" = Uuid, Path, description = "Site id")),
    request_body = SitePatch,
    responses((status = 200, description = "The changed site", body = SiteOut)),
    security(("bearer" = []))
)]
#[patch("/sites/{id}")]
pub async fn patch_site(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<SitePatch>,
) -> ApiResult<HttpResponse> {
    p.require_admin()?;
    let site = services::sites::visible(&state.read, &p, *id).await?;
    let body = body.0;
    let mut errors = Vec::new();
    if let Some(n) = &body.name {
        check_name(&mut errors, n);
    }
    if let Some(tz) = &body.timezone {
        errors.extend(hours::validate_timezone("/timezone", tz));
    }
    if let Some(h) = &body.opening_hours {
        errors.extend(hours::validate("/opening_hours", h));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if let Some(n) = &body.name {
        if name_taken(&state, n.trim(), Some(site.id)).await? {
            return Err(ApiError::conflict(
                "site_name_taken",
                "A site with this name already exists.",
            ));
        }
    }
    let mut am: entity::site::ActiveModel = site.into();
    if let Some(n) = body.name {
        am.name = Set(n.trim().to_string());
    }
    if let Some(tz) = body.timezone {
        am.timezone = Set(tz);
    }
    if let Some(h) = body.opening_hours {
        am.opening_hours = Set(serde_json::to_value(h).map_err(anyhow::Error::from)?);
    }
    am.updated_at = Set(Utc::now());
    let txn = state.db.begin().await?;
    let site = am.update(&txn).await?;
    audit::record(
        &txn,
        &Actor::new(&p, &meta),
        Entry::new("site.update", "site", site.id).site(Some(site.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(SiteOut::from(site)))
}
