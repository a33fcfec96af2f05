//! Sites: the clinics where fieldwork happens.
pub mod routes;

use crate::kernel::field::{not_found, FieldProblem};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::kernel::{
    access::Principal,
    audit::Entry,
    ctx::Ctx,
    error::{ApiError, ApiResult, FieldError},
    hours::{self, Window},
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
    /// Opening windows in local time, e.g. 08:00-12:00 and 14:00-17:00;
    /// every day unless a window names its `days`.
    #[serde(default)]
    #[schema(max_items = 12)]
    pub opening_hours: Vec<Window>,
    /// Days the clinic is closed (holidays), in its own calendar.
    #[serde(default)]
    #[schema(max_items = 366)]
    pub closed_days: Vec<NaiveDate>,
}

/// Changes to a site; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SitePatch {
    #[schema(min_length = 1, max_length = 120)]
    pub name: Option<String>,
    pub timezone: Option<String>,
    #[schema(max_items = 12)]
    pub opening_hours: Option<Vec<Window>>,
    /// Replaces the closed days.
    #[schema(max_items = 366)]
    pub closed_days: Option<Vec<NaiveDate>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SiteOut {
    pub id: Uuid,
    pub name: String,
    pub timezone: String,
    pub opening_hours: Vec<Window>,
    /// Days the clinic is closed, in date order.
    pub closed_days: Vec<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::site::Model> for SiteOut {
    fn from(m: entity::site::Model) -> Self {
        let mut closed_days = closed_days_of(&m);
        closed_days.sort();
        SiteOut {
            id: m.id,
            name: m.name,
            timezone: m.timezone,
            opening_hours: serde_json::from_value(m.opening_hours).unwrap_or_default(),
            closed_days,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

fn check_name(errors: &mut Vec<FieldError>, name: &str) {
    crate::kernel::error::check_line(errors, "/name", Some(name), 1, 120);
}

async fn name_taken(
    db: &impl ConnectionTrait,
    name: &str,
    except: Option<Uuid>,
) -> ApiResult<bool> {
    let mut q = entity::site::Entity::find().filter(entity::site::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(entity::site::Column::Id.ne(id));
    }
    Ok(q.one(db).await?.is_some())
}

/// Create a site (admin).
pub async fn create(cx: &Ctx<'_>, body: SiteIn) -> ApiResult<SiteOut> {
    let mut errors = Vec::new();
    check_name(&mut errors, &body.name);
    errors.extend(hours::validate_timezone("/timezone", &body.timezone));
    errors.extend(hours::validate("/opening_hours", &body.opening_hours));
    errors.extend(hours::validate_closed_days(
        "/closed_days",
        &body.closed_days,
    ));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let name = body.name.trim().to_string();
    if name_taken(cx.read, &name, None).await? {
        return Err(ApiError::conflict(
            "site_name_taken",
            "A site with this name already exists.",
        ));
    }
    let now = cx.now();
    let ch = cx.begin().await?;
    let site = entity::site::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        timezone: Set(body.timezone),
        opening_hours: Set(serde_json::to_value(&body.opening_hours).map_err(anyhow::Error::from)?),
        closed_days: Set(serde_json::to_string(&body.closed_days).map_err(anyhow::Error::from)?),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(ch.db())
    .await?;
    ch.audit(Entry::new("site.create", "site", site.id).site(Some(site.id)))
        .await?;
    ch.commit().await?;
    Ok(SiteOut::from(site))
}

/// Change a site (admin).
pub async fn patch(cx: &Ctx<'_>, id: Uuid, body: SitePatch) -> ApiResult<SiteOut> {
    let site = visible(cx.read, cx.p, id).await?;
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
    if let Some(d) = &body.closed_days {
        errors.extend(hours::validate_closed_days("/closed_days", d));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if let Some(n) = &body.name {
        if name_taken(cx.read, n.trim(), Some(site.id)).await? {
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
    if let Some(d) = body.closed_days {
        am.closed_days = Set(serde_json::to_string(&d).map_err(anyhow::Error::from)?);
    }
    am.updated_at = Set(cx.now());
    let ch = cx.begin().await?;
    let site = am.update(ch.db()).await?;
    ch.audit(Entry::new("site.update", "site", site.id).site(Some(site.id)))
        .await?;
    ch.commit().await?;
    Ok(SiteOut::from(site))
}

/// A site the caller may see, or 404 (also for sites that exist elsewhere).
pub async fn visible(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: Uuid,
) -> Result<entity::site::Model, ApiError> {
    if !p.can_see_site(id) {
        return Err(ApiError::NotFound("site"));
    }
    entity::site::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("site"))
}

pub async fn list_visible(
    db: &impl ConnectionTrait,
    p: &Principal,
) -> Result<Vec<entity::site::Model>, ApiError> {
    let mut q = entity::site::Entity::find().order_by_asc(entity::site::Column::Name);
    if let Some(ids) = p.visible_sites() {
        q = q.filter(entity::site::Column::Id.is_in(ids.to_vec()));
    }
    Ok(q.all(db).await?)
}

/// Checks that every id names an existing site; errors point at `pointer/i`.
pub async fn check_exist(
    db: &impl ConnectionTrait,
    pointer: &str,
    ids: &[Uuid],
) -> Result<(), ApiError> {
    if ids.len() > 1000 {
        return Err(ApiError::field(
            pointer,
            FieldProblem::TooMany { max: 1000 },
        ));
    }
    let found: Vec<Uuid> = entity::site::Entity::find()
        .filter(entity::site::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let errors: Vec<_> = ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !found.contains(id))
        .map(|(i, _)| FieldError::new(format!("{pointer}/{i}"), not_found("site")))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// A set that only grows, of ids of sites known to exist (sites are never
/// deleted): caching their existence is always right, on every instance.
#[derive(Clone, Default)]
pub struct KnownSites(std::sync::Arc<std::sync::RwLock<std::collections::HashSet<Uuid>>>);

impl KnownSites {
    pub fn contains(&self, id: &Uuid) -> bool {
        self.0.read().map(|s| s.contains(id)).unwrap_or(false)
    }
    pub fn extend(&self, ids: impl IntoIterator<Item = Uuid>) {
        if let Ok(mut s) = self.0.write() {
            s.extend(ids);
        }
    }
}

/// A site's time zone (validated when the site was saved).
pub fn tz_of(site: &entity::site::Model) -> chrono_tz::Tz {
    site.timezone.parse().unwrap_or(chrono_tz::Tz::UTC)
}

/// A site's opening-hour windows.
pub fn hours_of(site: &entity::site::Model) -> Vec<crate::kernel::hours::Window> {
    serde_json::from_value(site.opening_hours.clone()).unwrap_or_default()
}

/// The days a site is closed.
pub fn closed_days_of(site: &entity::site::Model) -> Vec<NaiveDate> {
    serde_json::from_str(&site.closed_days).unwrap_or_default()
}
