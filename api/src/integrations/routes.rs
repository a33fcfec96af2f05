//! The change feed and webhooks: what external apps follow.
use actix_web::{delete, get, patch, post, web, HttpResponse};
use uuid::Uuid;

pub use crate::integrations::feed::{ChangeOut, ChangePage, ChangesQuery};
pub use crate::integrations::webhooks::{
    DeliveryOut, DeliveryPage, DeliveryQuery, WebhookCreated, WebhookIn, WebhookOut, WebhookPatch,
};
use crate::{
    app::state::AppState,
    http::extract::{Json, Query},
    integrations::{feed, webhooks},
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
};

/// What changed on the caller's sites, in the order the changes became
/// visible, oldest first. Each item names the object, never its content.
/// Follow it by passing the last `cursor` you saw as `after`: it never
/// skips a committed change, also with several instances writing at once.
/// A change is here if and only if it is in the audit log.
#[utoipa::path(
    tag = "changes",
    params(ChangesQuery),
    responses((status = 200, description = "Changes, oldest first", body = ChangePage))
)]
#[get("/changes")]
pub async fn list_changes(
    state: web::Data<AppState>,
    p: Principal,
    q: Query<ChangesQuery>,
) -> ApiResult<HttpResponse> {
    let page = feed::list(&state.db, &state.read, &p, &q.0).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Subscribe a receiver to change types (admin). The answer carries the
/// signing secret, once. Deliveries are signed as the Standard Webhooks
/// specification says (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature`); verify them with its libraries. The URL must be
/// `https` on a public address.
#[utoipa::path(
    tag = "webhooks",
    request_body = WebhookIn,
    responses((status = 201, description = "Created; keep the secret now", body = WebhookCreated))
)]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<WebhookIn>,
) -> ApiResult<HttpResponse> {
    let out = webhooks::create(
        &state.cx(&p, &meta),
        body.0,
        state.settings.webhooks_allow_private,
    )
    .await?;
    Ok(HttpResponse::Created().json(out))
}

/// Every webhook (admin). A short list, not paged.
#[utoipa::path(
    tag = "webhooks",
    responses((status = 200, description = "Webhooks", body = [WebhookOut]))
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(webhooks::list(&state.cx(&p, &meta)).await?))
}

/// One webhook (admin).
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id")),
    responses((status = 200, description = "The webhook", body = WebhookOut))
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(webhooks::get(&state.cx(&p, &meta), *id).await?))
}

/// Change a webhook (admin): its URL, events or description, or turn it
/// off and on. Turning it on again after it was turned off for failing
/// starts it afresh; what was pending when it went off is not sent.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id")),
    request_body = WebhookPatch,
    responses((status = 200, description = "The changed webhook", body = WebhookOut))
)]
#[patch("/webhooks/{id}")]
pub async fn patch_webhook(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<WebhookPatch>,
) -> ApiResult<HttpResponse> {
    let out = webhooks::patch(
        &state.cx(&p, &meta),
        *id,
        body.0,
        state.settings.webhooks_allow_private,
    )
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Delete a webhook and its delivery log (admin).
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id")),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    webhooks::delete(&state.cx(&p, &meta), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send a `webhook.test` event to the webhook now (admin), also when it
/// is turned off: to check a receiver. Its outcome shows in the log.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id")),
    responses((status = 202, description = "Queued", body = DeliveryOut))
)]
#[post("/webhooks/{id}/test")]
pub async fn test_webhook(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let out = webhooks::send_test(&state.cx(&p, &meta), *id).await?;
    Ok(HttpResponse::Accepted().json(out))
}

/// A webhook's delivery log, newest first (admin): each delivery's status,
/// attempts and last error.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id"), DeliveryQuery),
    responses((status = 200, description = "Deliveries, newest first", body = DeliveryPage))
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    q: Query<DeliveryQuery>,
) -> ApiResult<HttpResponse> {
    let out = webhooks::deliveries(&state.cx(&p, &meta), *id, &q.0).await?;
    Ok(HttpResponse::Ok().json(out))
}
