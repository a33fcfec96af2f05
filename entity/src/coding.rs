//! A code on a passage of a note or a transcript. Positions count Unicode
//! code points, `end_pos` exclusive; `quote` keeps the coded words.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "codings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub code_id: Uuid,
    pub site_id: Uuid,
    pub note_id: Option<Uuid>,
    pub transcript_id: Option<Uuid>,
    pub start_pos: i32,
    pub end_pos: i32,
    pub quote: String,
    pub anchored: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
