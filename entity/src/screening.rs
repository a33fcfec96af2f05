use sea_orm::entity::prelude::*;

/// One screening of a participant with one instrument version. Append-only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "screenings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub participant_id: Uuid,
    pub site_id: Uuid,
    pub instrument_id: Uuid,
    pub instrument_key: String,
    pub performed_at: DateTimeUtc,
    pub performed_by: Option<Uuid>,
    pub responses: Json,
    pub total: Option<i32>,
    pub outcome: String,
    pub reasons: Json,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
