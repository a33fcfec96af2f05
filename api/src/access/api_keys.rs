//! API keys for external apps (a transcription pipeline, a calendar tool...).
use crate::kernel::field::FieldProblem;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::kernel::{
    access::{
        tokens::{random_token, sha256_hex, API_KEY_PREFIX},
        Scope,
    },
    audit::Entry,
    ctx::Ctx,
    error::{ApiError, ApiResult, FieldError},
};

/// A new API key. It acts for the user who creates it, on that user's sites,
/// narrowed to `scopes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyIn {
    #[schema(example = "transcription pipeline", min_length = 1, max_length = 120)]
    pub name: String,
    #[schema(min_items = 1)]
    pub scopes: Vec<Scope>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyOut {
    pub id: Uuid,
    /// The person the key acts for (admins list everyone's keys).
    pub user_id: Uuid,
    pub name: String,
    /// The first characters of the key, to tell keys apart.
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A key just created: `secret` is shown this once and never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyCreated {
    #[serde(flatten)]
    pub key: ApiKeyOut,
    /// Send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

impl From<entity::api_key::Model> for ApiKeyOut {
    fn from(m: entity::api_key::Model) -> Self {
        ApiKeyOut {
            id: m.id,
            user_id: m.user_id,
            name: m.name,
            prefix: m.prefix,
            scopes: serde_json::from_value(m.scopes).unwrap_or_default(),
            created_at: m.created_at,
            last_used_at: m.last_used_at,
        }
    }
}

/// Create an API key for the caller; the secret is returned once.
pub async fn create(cx: &Ctx<'_>, body: ApiKeyIn) -> ApiResult<ApiKeyCreated> {
    // A key outlives the sign-in that made it: someone who has a second
    // factor makes keys only from a sign-in that passed it (a sign-in from
    // before they set it up does not). A role that must use one cannot get
    // this far without it.
    if !cx.p.session_mfa && crate::access::mfa::enabled(cx.read, cx.p.user_id).await? {
        return Err(ApiError::forbidden(
            "second_factor_sign_in_required",
            "Making an API key needs a sign-in with your second factor. Sign out, and sign in again with your password and your authenticator app's code.",
        ));
    }
    let mut errors = Vec::new();
    crate::kernel::error::check_line(&mut errors, "/name", Some(&body.name), 1, 120);
    if body.scopes.is_empty() {
        errors.push(FieldError::new("/scopes", FieldProblem::ScopeRequired));
    }
    if body.scopes.contains(&Scope::Admin) && !cx.p.is_admin() {
        errors.push(FieldError::new(
            "/scopes",
            FieldProblem::AdminScopeForbidden,
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut scopes = body.scopes;
    scopes.sort_by_key(|s| serde_json::to_string(s).unwrap_or_default());
    scopes.dedup();
    let secret = format!("{API_KEY_PREFIX}{}", random_token());
    let ch = cx.begin().await?;
    let key = entity::api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(cx.p.user_id),
        name: Set(body.name.trim().to_string()),
        prefix: Set(secret.chars().take(10).collect()),
        key_hash: Set(sha256_hex(&secret)),
        scopes: Set(serde_json::to_value(&scopes).map_err(anyhow::Error::from)?),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(ch.db())
    .await?;
    ch.audit(
        Entry::new("api_key.create", "api_key", key.id)
            .detail(serde_json::json!({"scopes": scopes})),
    )
    .await?;
    ch.commit().await?;
    Ok(ApiKeyCreated {
        key: key.into(),
        secret,
    })
}

/// The caller's API keys (admins: every key).
pub async fn list(cx: &Ctx<'_>) -> ApiResult<Vec<ApiKeyOut>> {
    let mut q = entity::api_key::Entity::find()
        .filter(entity::api_key::Column::RevokedAt.is_null())
        .order_by_asc(entity::api_key::Column::CreatedAt);
    if !cx.p.is_admin() {
        q = q.filter(entity::api_key::Column::UserId.eq(cx.p.user_id));
    }
    let keys = q.all(cx.read).await?;
    Ok(keys.into_iter().map(ApiKeyOut::from).collect())
}

/// Revoke an API key; it stops working at once.
pub async fn revoke(cx: &Ctx<'_>, id: Uuid) -> ApiResult<()> {
    let key = entity::api_key::Entity::find_by_id(id)
        .filter(entity::api_key::Column::RevokedAt.is_null())
        .one(cx.read)
        .await?
        .filter(|k| cx.p.is_admin() || k.user_id == cx.p.user_id)
        .ok_or(ApiError::NotFound("API key"))?;
    let ch = cx.begin().await?;
    entity::api_key::ActiveModel {
        id: Set(key.id),
        revoked_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(ch.db())
    .await?;
    ch.audit(Entry::new("api_key.revoke", "api_key", key.id))
        .await?;
    ch.commit().await?;
    Ok(())
}
