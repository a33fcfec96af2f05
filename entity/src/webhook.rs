use sea_orm::entity::prelude::*;

/// An admin's subscription of a URL to some change types.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub url: String,
    /// A JSON array of change types (`note.created`).
    pub events: Json,
    pub description: String,
    /// The signing secret (`whsec_…`), shown once when it is made.
    pub secret: String,
    pub active: bool,
    /// The feed number up to which its changes have been queued as
    /// deliveries.
    pub feed_cursor: i64,
    /// The first failed delivery since the last one that worked.
    pub failing_since: Option<DateTimeUtc>,
    /// When it was turned off after a day of failures.
    pub disabled_at: Option<DateTimeUtc>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
