//! Study-wide settings: one JSON document per key.
use chrono::Utc;
use sea_orm::{sea_query::OnConflict, ConnectionTrait, EntityTrait, Set};
use uuid::Uuid;

/// Writes the document for `key`, replacing what was there.
pub async fn save(
    db: &impl ConnectionTrait,
    key: &str,
    value: serde_json::Value,
    by: Uuid,
) -> Result<(), sea_orm::DbErr> {
    use entity::setting::{ActiveModel, Column, Entity};
    Entity::insert(ActiveModel {
        key: Set(key.into()),
        value: Set(value),
        updated_at: Set(Utc::now()),
        updated_by: Set(Some(by)),
    })
    .on_conflict(
        OnConflict::column(Column::Key)
            .update_columns([Column::Value, Column::UpdatedAt, Column::UpdatedBy])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}
