//! Calendar feeds: a secret URL per feed serving the user's interviews as
//! an RFC 5545 calendar (pseudonyms only).
use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{Duration, Utc};
use chrono_tz::Tz;
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    auth::{tokens::sha256_hex, Principal, RequestMeta, Scope},
    domain::interview::InterviewStatus,
    error::{ApiError, ApiResult},
    services::{
        audit::{Actor, Entry},
        calendar,
    },
    state::AppState,
};

pub use crate::services::calendar::{FeedList, FeedOut, NewFeedOut};

/// Create a calendar feed of my interviews.
#[utoipa::path(
    tag = "calendar",
    responses((status = 201, description = "Created; the URL is shown once", body = NewFeedOut)),
    security(("bearer" = ["schedule:read"]))
)]
#[post("/calendar-feeds")]
pub async fn create_feed(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ScheduleRead)?;
    let out = calendar::create(&state.cx(&p, &meta)).await?;
    Ok(HttpResponse::Created().json(out))
}

/// My calendar feeds.
#[utoipa::path(
    tag = "calendar",
    responses((status = 200, description = "Feeds", body = FeedList)),
    security(("bearer" = ["schedule:read"]))
)]
#[get("/calendar-feeds")]
pub async fn list_feeds(state: web::Data<AppState>, p: Principal) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ScheduleRead)?;
    let items = entity::calendar_feed::Entity::find()
        .filter(entity::calendar_feed::Column::UserId.eq(p.user_id))
        .order_by_asc(entity::calendar_feed::Column::Id)
        .all(&state.read)
        .await?
        .into_iter()
        .map(|m| FeedOut {
            id: m.id,
            created_at: m.created_at,
            revoked_at: m.revoked_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(FeedList { items }))
}

/// Revoke a calendar feed (its owner or an admin); its URL stops working.
#[utoipa::path(
    tag = "calendar",
    params(("id" = Uuid, Path, description = "Feed id")),
    responses((status = 204, description = "Revoked")),
    security(("person" = []))
)]
#[delete("/calendar-feeds/{id}")]
pub async fn delete_feed(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    p.require_scope(Scope::ScheduleRead)?;
    calendar::revoke(&state.cx(&p, &meta), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The feed itself: no other authentication than the secret in the URL.
/// Interviews from 90 days back on, each with a stable UID and a SEQUENCE
/// that grows with every change; cancelled ones (and postponed ones whose new
/// time is still to be agreed) are marked CANCELLED. Times carry the site's
/// time zone.
#[utoipa::path(
    tag = "calendar",
    params(("token" = String, Path, description = "The feed's secret")),
    responses(
        (status = 200, description = "iCalendar", content_type = "text/calendar", body = String),
        (status = 404, description = "Unknown or revoked", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/calendar/{token}.ics")]
pub async fn feed(
    state: web::Data<AppState>,
    meta: RequestMeta,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let feed = entity::calendar_feed::Entity::find()
        .filter(entity::calendar_feed::Column::TokenHash.eq(sha256_hex(&token)))
        .filter(entity::calendar_feed::Column::RevokedAt.is_null())
        .one(&state.read)
        .await?
        .ok_or(ApiError::NotFound("calendar feed"))?;
    let user = entity::user::Entity::find_by_id(feed.user_id)
        .one(&state.read)
        .await?
        .filter(|u| u.active)
        .ok_or(ApiError::NotFound("calendar feed"))?;
    let mine: Vec<Uuid> = entity::interview_interviewer::Entity::find()
        .filter(entity::interview_interviewer::Column::UserId.eq(user.id))
        .all(&state.read)
        .await?
        .into_iter()
        .map(|l| l.interview_id)
        .collect();
    let sites: Vec<Uuid> = entity::user_site::Entity::find()
        .filter(entity::user_site::Column::UserId.eq(user.id))
        .all(&state.read)
        .await?
        .into_iter()
        .map(|l| l.site_id)
        .collect();
    let mut q = entity::interview::Entity::find()
        .filter(entity::interview::Column::Id.is_in(mine))
        .filter(entity::interview::Column::ScheduledAt.gte(Utc::now() - Duration::days(90)))
        .order_by_asc(entity::interview::Column::ScheduledAt);
    if user.role != "admin" {
        q = q.filter(entity::interview::Column::SiteId.is_in(sites));
    }
    let rows = q.all(&state.read).await?;
    let out = crate::services::interviews::view::expand(&state.read, rows).await?;
    let site_rows: std::collections::HashMap<Uuid, entity::site::Model> =
        entity::site::Entity::find()
            .filter(
                entity::site::Column::Id.is_in(out.iter().map(|i| i.site_id).collect::<Vec<_>>()),
            )
            .all(&state.read)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
    let host = state
        .settings
        .public_url
        .split("://")
        .nth(1)
        .unwrap_or("fieldnotes")
        .split(['/', ':'])
        .next()
        .unwrap_or("fieldnotes")
        .to_string();
    let mut cal = Calendar::new();
    cal.name("Fieldnotes interviews");
    for i in &out {
        let Some(site) = site_rows.get(&i.site_id) else {
            continue;
        };
        let tz: Tz = crate::services::sites::tz_of(site);
        let local = |t: chrono::DateTime<Utc>| CalendarDateTime::WithTimezone {
            date_time: t.with_timezone(&tz).naive_local(),
            tzid: site.timezone.clone(),
        };
        let status = match i.status {
            InterviewStatus::Cancelled | InterviewStatus::Postponed => EventStatus::Cancelled,
            _ => EventStatus::Confirmed,
        };
        let summary = match i.status {
            InterviewStatus::Postponed => {
                format!(
                    "Interview {} (postponed, new time to be agreed)",
                    i.pseudonym
                )
            }
            InterviewStatus::Cancelled => {
                format!("Interview {} (cancelled)", i.pseudonym)
            }
            _ => format!("Interview {} (wave {})", i.pseudonym, i.wave),
        };
        let mut ev = Event::new();
        ev.uid(&format!("{}@{host}", i.id))
            .summary(&summary)
            .starts(local(i.scheduled_at))
            .ends(local(i.ends_at))
            .location(&format!(
                "{}{}",
                site.name,
                i.location
                    .as_deref()
                    .map(|l| format!(", {l}"))
                    .unwrap_or_default()
            ))
            .status(status)
            .timestamp(i.updated_at)
            .add_property("SEQUENCE", i.sequence.to_string());
        cal.push(ev.done());
    }
    state
        .writer
        .log(
            &Actor {
                user_id: Some(user.id),
                api_key_id: None,
                request_id: meta.request_id.clone(),
                ip: meta.ip.clone(),
            },
            Entry::new("calendar_feed.read", "calendar_feed", feed.id)
                .detail(serde_json::json!({"count": out.len()})),
        )
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header(("Cache-Control", "private, max-age=300"))
        .body(cal.done().to_string()))
}
