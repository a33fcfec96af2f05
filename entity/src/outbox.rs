use sea_orm::entity::prelude::*;

/// Mail waiting to be sent, written in the same transaction as its cause.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// When set, at most one message with this key is ever queued (reminders).
    pub dedupe_key: Option<String>,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub created_at: DateTimeUtc,
    pub next_attempt_at: DateTimeUtc,
    pub attempts: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub sent_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
