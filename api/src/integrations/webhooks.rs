//! Webhooks: an admin subscribes a receiver's URL to change types; each
//! matching change is delivered to it, signed as the Standard Webhooks
//! specification says (see [`super::delivery`]).
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::target;
use crate::kernel::{
    audit::{self, Entry},
    ctx::Ctx,
    error::{ApiError, ApiResult, FieldError},
    field::{check_line, FieldProblem},
};

/// A new webhook.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookIn {
    /// The receiver: an `https` URL whose host is a public address.
    #[schema(
        example = "https://hooks.example.org/fieldnotes",
        min_length = 1,
        max_length = 2000
    )]
    pub url: String,
    /// The change types to deliver.
    #[schema(min_items = 1, max_items = 40, value_type = Vec<audit::ChangeType>)]
    pub events: Vec<String>,
    /// What it is for, e.g. "The clinic's booking system".
    #[serde(default)]
    #[schema(max_length = 200)]
    pub description: String,
}

/// Changes to a webhook; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    #[schema(min_length = 1, max_length = 2000)]
    pub url: Option<String>,
    #[schema(min_items = 1, max_items = 40, value_type = Option<Vec<audit::ChangeType>>)]
    pub events: Option<Vec<String>>,
    #[schema(max_length = 200)]
    pub description: Option<String>,
    /// `true` turns a webhook that was turned off back on; `false` pauses
    /// it (nothing is queued for it while it is off).
    pub active: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOut {
    pub id: Uuid,
    pub url: String,
    #[schema(value_type = Vec<audit::ChangeType>)]
    pub events: Vec<String>,
    pub description: String,
    /// Off when an admin paused it or after a day of failed deliveries.
    pub active: bool,
    /// Deliveries have failed since then (none since the last success).
    pub failing_since: Option<DateTime<Utc>>,
    /// When it was turned off after a day of failures.
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A webhook just made, with its signing secret: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookCreated {
    #[serde(flatten)]
    pub webhook: WebhookOut,
    /// Verify deliveries with it (`whsec_` and base64, as the Standard
    /// Webhooks libraries take it). It is never shown again.
    #[schema(pattern = "^whsec_[A-Za-z0-9+/]+=*$")]
    pub secret: String,
}

impl From<entity::webhook::Model> for WebhookOut {
    fn from(m: entity::webhook::Model) -> Self {
        WebhookOut {
            id: m.id,
            url: m.url,
            events: serde_json::from_value(m.events).unwrap_or_default(),
            description: m.description,
            active: m.active,
            failing_since: m.failing_since,
            disabled_at: m.disabled_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Not sent: the webhook was turned off with it pending.
    GivenUp,
}

/// One delivery: a change (or a test event) to one webhook, every attempt
/// with the same `webhook-id` and body.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    /// Its `webhook-id` header is `msg_` and this id without dashes.
    pub id: Uuid,
    #[serde(rename = "type")]
    pub kind: String,
    pub status: DeliveryStatus,
    #[schema(minimum = 0)]
    pub attempts: i32,
    /// The receiver's HTTP status on the last attempt, if it answered.
    #[schema(minimum = 100, maximum = 599)]
    pub last_status: Option<i32>,
    /// Why the last attempt failed, in English.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<entity::webhook_delivery::Model> for DeliveryOut {
    fn from(m: entity::webhook_delivery::Model) -> Self {
        let status = if m.delivered_at.is_some() {
            DeliveryStatus::Delivered
        } else if m.gave_up_at.is_some() {
            DeliveryStatus::GivenUp
        } else {
            DeliveryStatus::Pending
        };
        DeliveryOut {
            id: m.id,
            kind: m.event_type,
            status,
            attempts: m.attempts,
            last_status: m.last_status,
            last_error: m.last_error,
            created_at: m.created_at,
            next_attempt_at: (status == DeliveryStatus::Pending).then_some(m.next_attempt_at),
            delivered_at: m.delivered_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

/// A webhook's deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryOut>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<Uuid>,
}

fn check_events(errors: &mut Vec<FieldError>, events: &[String]) {
    if events.is_empty() || events.len() > 40 {
        errors.push(FieldError::new(
            "/events",
            FieldProblem::Count { min: 1, max: 40 },
        ));
    }
    let known = audit::change_types();
    for (i, e) in events.iter().enumerate() {
        if !known.contains(&e.as_str()) {
            errors.push(FieldError::new(
                format!("/events/{i}"),
                FieldProblem::NotOneOf {
                    allowed: known.iter().map(|k| k.to_string()).collect(),
                },
            ));
        } else if events[..i].contains(e) {
            errors.push(FieldError::new(
                format!("/events/{i}"),
                FieldProblem::Duplicate,
            ));
        }
    }
}

/// The URL's form, then (when the form is right) where it resolves.
async fn check_url(errors: &mut Vec<FieldError>, url: &str, allow_private: bool) {
    if url.len() > 2000 {
        errors.push(FieldError::new("/url", FieldProblem::TooLong { max: 2000 }));
        return;
    }
    let refusal = match target::parse(url, allow_private) {
        Ok(u) => target::check(&u, allow_private).await.err(),
        Err(r) => Some(r),
    };
    if let Some(r) = refusal {
        errors.push(FieldError::new("/url", r.problem()));
    }
}

/// A target as the audit log and mail name it: its scheme, host and port
/// only. Receivers put tokens in the path (Slack, Discord) and the query.
pub fn logged(url: &str) -> String {
    reqwest::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

/// Every webhook, oldest first (a short list).
pub async fn list(cx: &Ctx<'_>) -> ApiResult<Vec<WebhookOut>> {
    Ok(entity::webhook::Entity::find()
        .order_by_asc(entity::webhook::Column::Id)
        .all(cx.read)
        .await?
        .into_iter()
        .map(WebhookOut::from)
        .collect())
}

async fn load(cx: &Ctx<'_>, id: Uuid) -> ApiResult<entity::webhook::Model> {
    entity::webhook::Entity::find_by_id(id)
        .one(cx.read)
        .await?
        .ok_or_else(|| ApiError::not_found("There is no webhook with this id."))
}

pub async fn get(cx: &Ctx<'_>, id: Uuid) -> ApiResult<WebhookOut> {
    Ok(load(cx, id).await?.into())
}

/// Makes a webhook and its secret (admin).
pub async fn create(
    cx: &Ctx<'_>,
    body: WebhookIn,
    allow_private: bool,
) -> ApiResult<WebhookCreated> {
    let mut errors = Vec::new();
    check_events(&mut errors, &body.events);
    check_line(&mut errors, "/description", Some(&body.description), 0, 200);
    check_url(&mut errors, &body.url, allow_private).await;
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = cx.now();
    let secret = new_secret();
    // It tells of changes from now on: what the feed holds so far is past.
    super::feed::sequence(&cx.writer.db).await?;
    let ch = cx.begin().await?;
    let from = super::feed::last(ch.db()).await?;
    let m = entity::webhook::ActiveModel {
        id: Set(Uuid::now_v7()),
        url: Set(body.url.trim().to_string()),
        events: Set(serde_json::json!(body.events)),
        description: Set(body.description.trim().to_string()),
        secret: Set(secret.clone()),
        active: Set(true),
        feed_cursor: Set(from),
        failing_since: Set(None),
        disabled_at: Set(None),
        created_by: Set(cx.p.user_id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(ch.db())
    .await?;
    ch.audit(
        Entry::new("webhook.create", "webhook", m.id)
            .detail(serde_json::json!({"url": logged(&m.url), "events": body.events})),
    )
    .await?;
    ch.commit().await?;
    Ok(WebhookCreated {
        webhook: m.into(),
        secret,
    })
}

/// Changes a webhook (admin). Turning it on again clears its failures.
pub async fn patch(
    cx: &Ctx<'_>,
    id: Uuid,
    body: WebhookPatch,
    allow_private: bool,
) -> ApiResult<WebhookOut> {
    let m = load(cx, id).await?;
    let mut errors = Vec::new();
    if let Some(e) = &body.events {
        check_events(&mut errors, e);
    }
    check_line(
        &mut errors,
        "/description",
        body.description.as_deref(),
        0,
        200,
    );
    if let Some(u) = &body.url {
        check_url(&mut errors, u, allow_private).await;
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut am: entity::webhook::ActiveModel = m.clone().into();
    let mut changed = Vec::new();
    if let Some(u) = body
        .url
        .map(|u| u.trim().to_string())
        .filter(|u| *u != m.url)
    {
        am.url = Set(u);
        changed.push("url");
    }
    if let Some(e) = body.events {
        if serde_json::json!(e) != m.events {
            am.events = Set(serde_json::json!(e));
            changed.push("events");
        }
    }
    if let Some(d) = body
        .description
        .map(|d| d.trim().to_string())
        .filter(|d| *d != m.description)
    {
        am.description = Set(d);
        changed.push("description");
    }
    if let Some(a) = body.active.filter(|a| *a != m.active) {
        am.active = Set(a);
        if a {
            am.failing_since = Set(None);
            am.disabled_at = Set(None);
        }
        changed.push("active");
    }
    if changed.is_empty() {
        return Ok(m.into());
    }
    am.updated_at = Set(cx.now());
    if body.active == Some(true) && !m.active {
        // Turned on again: from now on, not what happened while it was off.
        super::feed::sequence(&cx.writer.db).await?;
    }
    let ch = cx.begin().await?;
    if body.active == Some(true) && !m.active {
        am.feed_cursor = Set(super::feed::last(ch.db()).await?);
    }
    let updated = am.update(ch.db()).await?;
    if body.active == Some(false) {
        give_up_pending(ch.db(), id, cx.now()).await?;
    }
    ch.audit(
        Entry::new("webhook.update", "webhook", id).detail(serde_json::json!({"changed": changed})),
    )
    .await?;
    ch.commit().await?;
    Ok(updated.into())
}

/// Deletes a webhook and its delivery log (admin).
pub async fn delete(cx: &Ctx<'_>, id: Uuid) -> ApiResult<()> {
    let m = load(cx, id).await?;
    let ch = cx.begin().await?;
    entity::webhook_delivery::Entity::delete_many()
        .filter(entity::webhook_delivery::Column::WebhookId.eq(id))
        .exec(ch.db())
        .await?;
    entity::webhook::Entity::delete_by_id(id)
        .exec(ch.db())
        .await?;
    ch.audit(
        Entry::new("webhook.delete", "webhook", id)
            .detail(serde_json::json!({"url": logged(&m.url)})),
    )
    .await?;
    ch.commit().await?;
    Ok(())
}

/// Queues a `webhook.test` delivery to the webhook, active or not.
pub async fn send_test(cx: &Ctx<'_>, id: Uuid) -> ApiResult<DeliveryOut> {
    let m = load(cx, id).await?;
    let now = cx.now();
    let row = super::delivery::row(
        m.id,
        audit::TEST_EVENT,
        now,
        &serde_json::json!({"object_type": "webhook", "object_id": m.id.to_string(), "site_id": null}),
    );
    let ch = cx.begin().await?;
    let d = row.insert(ch.db()).await?;
    ch.audit(Entry::new("webhook.test", "webhook", id)).await?;
    ch.commit().await?;
    Ok(d.into())
}

/// A webhook's deliveries, newest first.
pub async fn deliveries(cx: &Ctx<'_>, id: Uuid, q: &DeliveryQuery) -> ApiResult<DeliveryPage> {
    load(cx, id).await?;
    let limit = crate::kernel::ctx::limit(q.limit)?;
    use entity::webhook_delivery::{Column, Entity};
    let mut sel = Entity::find()
        .filter(Column::WebhookId.eq(id))
        .order_by_desc(Column::Id)
        .limit(limit + 1);
    if let Some(c) = q.cursor {
        sel = sel.filter(Column::Id.lt(c));
    }
    let (rows, next_cursor) = crate::kernel::ctx::page(sel.all(cx.read).await?, limit, |r| r.id);
    Ok(DeliveryPage {
        items: rows.into_iter().map(DeliveryOut::from).collect(),
        next_cursor,
    })
}

/// Marks the webhook's pending deliveries as given up.
pub async fn give_up_pending(
    db: &impl sea_orm::ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    use entity::webhook_delivery::{Column, Entity};
    Entity::update_many()
        .col_expr(Column::GaveUpAt, sea_orm::sea_query::Expr::value(now))
        .filter(Column::WebhookId.eq(id))
        .filter(Column::DeliveredAt.is_null())
        .filter(Column::GaveUpAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
