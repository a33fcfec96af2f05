use sea_orm::entity::prelude::*;

/// A study participant, known by pseudonym only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "participants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub site_id: Uuid,
    pub pseudonym: String,
    /// Unique: the site and the pseudonym's look-alike form (UTS #39).
    pub pseudonym_key: String,
    /// Lower case, for search by prefix.
    pub pseudonym_folded: Option<String>,
    pub treatment_started_on: Date,
    pub status: String,
    pub gender: Option<String>,
    pub age_band: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
