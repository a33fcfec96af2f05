use sea_orm::entity::prelude::*;

/// One version of a note, kept for its history.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "note_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub note_id: Uuid,
    pub version: i32,
    pub action: String,
    pub site_id: Uuid,
    pub observed_at: DateTimeUtc,
    pub location: String,
    pub body: String,
    pub participant_ids: Json,
    pub code_ids: Json,
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
