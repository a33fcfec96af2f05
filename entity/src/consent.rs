use sea_orm::entity::prelude::*;

/// A consent, with the screenings that showed readiness when it was given.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub participant_id: Uuid,
    pub site_id: Uuid,
    pub form_version: String,
    pub method: String,
    pub note: Option<String>,
    pub obtained_by: Option<Uuid>,
    pub obtained_at: DateTimeUtc,
    pub screening_ids: Json,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub withdrawn_by: Option<Uuid>,
    pub withdraw_reason: Option<String>,
    pub data_decision: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
