//! The append-only audit log. Nothing updates or deletes its rows.
use chrono::Utc;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use uuid::Uuid;

use crate::auth::{Principal, RequestMeta};

/// Who did something: a principal (user or API key) or nobody yet (a login).
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
}

impl Actor {
    pub fn new(p: &Principal, meta: &RequestMeta) -> Self {
        Actor {
            user_id: Some(p.user_id),
            api_key_id: p.api_key_id,
            request_id: meta.request_id.clone(),
            ip: meta.ip.clone(),
        }
    }
    pub fn anonymous(meta: &RequestMeta) -> Self {
        Actor {
            user_id: None,
            api_key_id: None,
            request_id: meta.request_id.clone(),
            ip: meta.ip.clone(),
        }
    }
    pub fn system() -> Self {
        Actor::default()
    }
}

/// One entry. `detail` must never hold secrets or note bodies.
pub struct Entry<'a> {
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: Option<String>,
    pub site_id: Option<Uuid>,
    pub detail: Option<serde_json::Value>,
}

impl<'a> Entry<'a> {
    pub fn new(action: &'a str, object_type: &'a str, object_id: impl ToString) -> Self {
        Entry {
            action,
            object_type,
            object_id: Some(object_id.to_string()),
            site_id: None,
            detail: None,
        }
    }
    pub fn site(mut self, site_id: Option<Uuid>) -> Self {
        self.site_id = site_id;
        self
    }
    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }
}

/// The row of one entry.
pub fn row(actor: &Actor, entry: Entry<'_>) -> entity::audit_log::ActiveModel {
    entity::audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(Utc::now()),
        actor_user_id: Set(actor.user_id),
        actor_api_key_id: Set(actor.api_key_id),
        action: Set(entry.action.to_string()),
        object_type: Set(entry.object_type.to_string()),
        object_id: Set(entry.object_id),
        site_id: Set(entry.site_id),
        request_id: Set(actor.request_id.clone()),
        ip: Set(actor.ip.clone()),
        detail: Set(entry.detail),
    }
}

pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    entry: Entry<'_>,
) -> Result<(), sea_orm::DbErr> {
    entity::audit_log::Entity::insert(row(actor, entry))
        .exec_without_returning(db)
        .await?;
    Ok(())
}
