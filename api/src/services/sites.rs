use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{auth::Principal, error::ApiError};

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
        .map(|(i, _)| crate::error::FieldError::new(format!("{pointer}/{i}"), "no such site"))
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
pub fn hours_of(site: &entity::site::Model) -> Vec<crate::domain::hours::Window> {
    serde_json::from_value(site.opening_hours.clone()).unwrap_or_default()
}
