use sea_orm::entity::prelude::*;

/// An interview of a participant in one wave.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "interviews")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub participant_id: Uuid,
    pub site_id: Uuid,
    pub wave: i32,
    pub scheduled_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub duration_minutes: i32,
    pub location: Option<String>,
    pub note: Option<String>,
    pub status: String,
    pub first_scheduled_at: DateTimeUtc,
    pub sequence: i32,
    pub cancel_reason: Option<String>,
    pub completed_at: Option<DateTimeUtc>,
    /// Held before the study used Fieldnotes and entered afterwards.
    pub entered_later: bool,
    /// For an interview entered later: how readiness was checked then.
    pub screening_note: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
