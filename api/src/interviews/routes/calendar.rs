//! Calendar feeds: a secret URL per feed serving the user's interviews as
//! an RFC 5545 calendar (pseudonyms only).
use actix_web::{delete, get, post, web, HttpResponse};
use uuid::Uuid;

use crate::{
    app::state::AppState,
    http::extract::OptionalJson,
    interviews::calendar,
    kernel::{
        access::{Principal, RequestMeta},
        audit::{Actor, Entry},
        error::ApiResult,
    },
};

pub use crate::interviews::calendar::{FeedIn, FeedList, FeedOut, NewFeedOut};

/// Create a calendar feed: of my interviews (`scope: mine`, also when the
/// body is left out), or, for a coordinator or admin, of every interview at
/// my sites (`scope: sites`; 403 `coordinator_required` otherwise).
#[utoipa::path(
    tag = "calendar",
    request_body(content = Option<FeedIn>, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; the URL is shown once", body = NewFeedOut),
        (status = 403, description = "A site feed asked for by someone who is no coordinator (`coordinator_required`)", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/calendar-feeds")]
pub async fn create_feed(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: OptionalJson<FeedIn>,
) -> ApiResult<HttpResponse> {
    let out = calendar::create(&state.cx(&p, &meta), body.0.unwrap_or_default()).await?;
    Ok(HttpResponse::Created().json(out))
}

/// My calendar feeds. A small list, not paged.
#[utoipa::path(
    tag = "calendar",
    responses((status = 200, description = "Feeds", body = FeedList))
)]
#[get("/calendar-feeds")]
pub async fn list_feeds(state: web::Data<AppState>, p: Principal) -> ApiResult<HttpResponse> {
    let list = calendar::mine(&state.read, &p).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Revoke a calendar feed (its owner or an admin); its URL stops working.
#[utoipa::path(
    tag = "calendar",
    params(("id" = Uuid, Path, description = "Feed id")),
    responses((status = 204, description = "Revoked"))
)]
#[delete("/calendar-feeds/{id}")]
pub async fn delete_feed(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    calendar::revoke(&state.cx(&p, &meta), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The feed itself: no other authentication than the secret in the URL.
/// Interviews from 90 days back on, each with a stable UID and a SEQUENCE
/// that grows with every change; cancelled ones (and postponed ones whose new
/// time is still to be agreed) are marked CANCELLED. Times carry the site's
/// time zone, described by a VTIMEZONE (RFC 5545), so calendar apps show the
/// right local time on both sides of a daylight-saving change.
#[utoipa::path(
    tag = "calendar",
    params(("token" = String, Path, description = "The feed's secret")),
    responses(
        (status = 200, description = "iCalendar", content_type = "text/calendar", body = String),
        (status = 404, description = "Unknown or revoked", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/calendar/{token}.ics")]
pub async fn feed(
    state: web::Data<AppState>,
    meta: RequestMeta,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let f = calendar::feed(&state.read, &state.settings.public_url, &token).await?;
    state
        .writer
        .log(
            &Actor {
                user_id: Some(f.user_id),
                api_key_id: None,
                request_id: meta.request_id.clone(),
                ip: meta.ip.clone(),
            },
            Entry::new("calendar_feed.read", "calendar_feed", f.feed_id)
                .detail(serde_json::json!({"count": f.count})),
        )
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        // Like every answer with participant data: kept by no cache.
        .insert_header(("Cache-Control", "no-store"))
        .body(f.body))
}
