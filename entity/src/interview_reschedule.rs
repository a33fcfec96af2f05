use sea_orm::entity::prelude::*;

/// A change of an interview's time that is no postponement: a time agreed
/// for one whose time was to be agreed, or a plan changed with no reason.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "interview_reschedules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub interview_id: Uuid,
    /// `None` when the time was to be agreed.
    pub previous_scheduled_at: Option<DateTimeUtc>,
    pub new_scheduled_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
