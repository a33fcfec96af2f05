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
