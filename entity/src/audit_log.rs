use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    /// UUIDv7: time-ordered, so it doubles as the pagination cursor.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: DateTimeUtc,
    pub actor_user_id: Option<Uuid>,
    pub actor_api_key_id: Option<Uuid>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub site_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<Json>,
    /// What an external app sees of this entry in the change feed
    /// (`note.created`), or none when it changed nothing they follow.
    pub change_type: Option<String>,
    /// The entry's place in the change feed, given after its transaction
    /// committed; none until then, and for entries that are not changes.
    pub feed_seq: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
