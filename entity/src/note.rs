use sea_orm::entity::prelude::*;

/// A field note. The id comes from the client that wrote it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub site_id: Uuid,
    pub author_id: Uuid,
    pub observed_at: DateTimeUtc,
    pub location: String,
    pub body: String,
    /// Hash of the content the note was created with: a retry that carries
    /// the same content is recognised, a different one is a conflict.
    pub create_hash: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub deleted_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
