use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sites")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub timezone: String,
    /// A JSON array of `{"start":"08:00","end":"12:00"}` windows, every day
    /// unless a window lists its `days` (`"mon"` .. `"sun"`).
    pub opening_hours: Json,
    /// A JSON array of dates (`"2026-12-24"`) the clinic is closed.
    pub closed_days: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
