//! API keys for external apps (a transcription pipeline, a calendar tool...).
use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{
        tokens::{random_token, sha256_hex, API_KEY_PREFIX},
        Principal, RequestMeta, Scope,
    },
    error::{ApiError, ApiResult, FieldError},
    extract::Json,
    services::audit::{self, Actor, Entry},
    state::AppState,
};

/// A new API key. It acts for the user who creates it, on that user's sites,
/// narrowed to `scopes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyIn {
    #[schema(example = "transcription pipeline")]
    pub name: String,
    pub scopes: Vec<Scope>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyOut {
    pub id: Uuid,
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
            name: m.name,
            prefix: m.prefix,
            scopes: serde_json::from_value(m.scopes).unwrap_or_default(),
            created_at: m.created_at,
            last_used_at: m.last_used_at,
        }
    }
}

/// Create an API key; the secret is returned once.
#[utoipa::path(
    tag = "api-keys",
    request_body = ApiKeyIn,
    responses((status = 201, description = "Created; keep the secret now", body = ApiKeyCreated)),
    security(("bearer" = []))
)]
#[post("/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<ApiKeyIn>,
) -> ApiResult<HttpResponse> {
    if p.api_key_id.is_some() {
        return Err(ApiError::Forbidden(
            "An API key cannot create API keys; sign in.".into(),
        ));
    }
    let body = body.0;
    let mut errors = Vec::new();
    let n = body.name.trim().chars().count();
    if n == 0 || n > 120 {
        errors.push(FieldError::new("/name", "must be 1 to 120 characters"));
    }
    if body.scopes.is_empty() {
        errors.push(FieldError::new("/scopes", "name at least one scope"));
    }
    if body.scopes.contains(&Scope::Admin) && !p.is_admin() {
        errors.push(FieldError::new(
            "/scopes",
            "only an admin can give a key the admin scope",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut scopes = body.scopes;
    scopes.sort_by_key(|s| serde_json::to_string(s).unwrap_or_default());
    scopes.dedup();
    let secret = format!("{API_KEY_PREFIX}{}", random_token());
    let txn = state.db.begin().await?;
    let key = entity::api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(p.user_id),
        name: Set(body.name.trim().to_string()),
        prefix: Set(secret.chars().take(10).collect()),
        key_hash: Set(sha256_hex(&secret)),
        scopes: Set(serde_json::to_value(&scopes).map_err(anyhow::Error::from)?),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &Actor::new(&p, &meta),
        Entry::new("api_key.create", "api_key", key.id)
            .detail(serde_json::json!({"scopes": scopes})),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(ApiKeyCreated {
        key: key.into(),
        secret,
    }))
}

/// The caller's API keys (admins: every key).
#[utoipa::path(
    tag = "api-keys",
    responses((status = 200, description = "Keys, without secrets", body = [ApiKeyOut])),
    security(("bearer" = []))
)]
#[get("/api-keys")]
pub async fn list_api_keys(state: web::Data<AppState>, p: Principal) -> ApiResult<HttpResponse> {
    let mut q = entity::api_key::Entity::find()
        .filter(entity::api_key::Column::RevokedAt.is_null())
        .order_by_asc(entity::api_key::Column::CreatedAt);
    if !p.is_admin() {
        q = q.filter(entity::api_key::Column::UserId.eq(p.user_id));
    }
    let keys = q.all(&state.read).await?;
    Ok(HttpResponse::Ok().json(keys.into_iter().map(ApiKeyOut::from).collect::<Vec<_>>()))
}

/// Revoke an API key; it stops working at once.
#[utoipa::path(
    tag = "api-keys",
    params(("id" = Uuid, Path, description = "API key id")),
    responses((status = 204, description = "Revoked")),
    security(("bearer" = []))
)]
#[delete("/api-keys/{id}")]
pub async fn delete_api_key(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let key = entity::api_key::Entity::find_by_id(*id)
        .filter(entity::api_key::Column::RevokedAt.is_null())
        .one(&state.read)
        .await?
        .filter(|k| p.is_admin() || k.user_id == p.user_id)
        .ok_or(ApiError::NotFound("API key"))?;
    let txn = state.db.begin().await?;
    entity::api_key::ActiveModel {
        id: Set(key.id),
        revoked_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        &Actor::new(&p, &meta),
        Entry::new("api_key.revoke", "api_key", key.id),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
