//! API keys for external apps (a transcription pipeline, a calendar tool...).
use actix_web::{delete, get, post, web, HttpResponse};
use uuid::Uuid;

pub use crate::access::api_keys::{ApiKeyCreated, ApiKeyIn, ApiKeyOut};
use crate::{
    access::api_keys,
    app::state::AppState,
    http::extract::Json,
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
};

/// Create an API key; the secret is returned once.
#[utoipa::path(
    tag = "api-keys",
    request_body = ApiKeyIn,
    responses((status = 201, description = "Created; keep the secret now", body = ApiKeyCreated))
)]
#[post("/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<ApiKeyIn>,
) -> ApiResult<HttpResponse> {
    let out = api_keys::create(&state.cx(&p, &meta), body.0).await?;
    Ok(HttpResponse::Created().json(out))
}

/// The caller's API keys (admins: every key). A small list, not paged.
#[utoipa::path(
    tag = "api-keys",
    responses((status = 200, description = "Keys, without secrets", body = [ApiKeyOut]))
)]
#[get("/api-keys")]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
) -> ApiResult<HttpResponse> {
    let out = api_keys::list(&state.cx(&p, &meta)).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Revoke an API key; it stops working at once.
#[utoipa::path(
    tag = "api-keys",
    params(("id" = Uuid, Path, description = "API key id")),
    responses((status = 204, description = "Revoked"))
)]
#[delete("/api-keys/{id}")]
pub async fn delete_api_key(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    api_keys::revoke(&state.cx(&p, &meta), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
