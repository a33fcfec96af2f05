//! Calendar feeds: a secret address per person that calendar apps subscribe to.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::tokens::{random_token, sha256_hex},
    error::{ApiError, ApiResult},
    services::{audit::Entry, Ctx},
};

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedOut {
    pub id: Uuid,
    pub created_at: chrono::DateTime<Utc>,
    pub revoked_at: Option<chrono::DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewFeedOut {
    pub id: Uuid,
    /// The secret feed address: anyone with it can read your schedule
    /// (pseudonyms, times, places). Shown once; revoke it if it leaks.
    pub url: String,
    pub created_at: chrono::DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedList {
    pub items: Vec<FeedOut>,
}

/// Create a calendar feed of the caller's interviews.
pub async fn create(cx: &Ctx<'_>) -> ApiResult<NewFeedOut> {
    if cx.p.api_key_id.is_some() {
        return Err(ApiError::Forbidden(
            "A calendar feed is made by a signed-in person, not an API key: its URL would outlive the key.".into(),
        ));
    }
    let token = random_token();
    let ch = cx.begin().await?;
    let m = entity::calendar_feed::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(cx.p.user_id),
        token_hash: Set(sha256_hex(&token)),
        created_at: Set(Utc::now()),
        revoked_at: Set(None),
    }
    .insert(ch.db())
    .await?;
    ch.audit(Entry::new("calendar_feed.create", "calendar_feed", m.id))
        .await?;
    ch.commit().await?;
    Ok(NewFeedOut {
        id: m.id,
        url: format!(
            "{}/api/v1/calendar/{token}.ics",
            cx.public_url.trim_end_matches('/')
        ),
        created_at: m.created_at,
    })
}

/// Revoke a calendar feed (its owner or an admin); its URL stops working.
pub async fn revoke(cx: &Ctx<'_>, id: Uuid) -> ApiResult<()> {
    cx.p.require_person("Revoking a calendar feed")?;
    let m = entity::calendar_feed::Entity::find_by_id(id)
        .one(cx.read)
        .await?
        .filter(|m| m.user_id == cx.p.user_id || cx.p.is_admin())
        .ok_or(ApiError::NotFound("calendar feed"))?;
    if m.revoked_at.is_none() {
        let ch = cx.begin().await?;
        let mut am: entity::calendar_feed::ActiveModel = m.clone().into();
        am.revoked_at = Set(Some(Utc::now()));
        am.update(ch.db()).await?;
        ch.audit(Entry::new("calendar_feed.revoke", "calendar_feed", m.id))
            .await?;
        ch.commit().await?;
    }
    Ok(())
}
