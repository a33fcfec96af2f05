//! Reading the audit log (admin). There is no endpoint that changes it.
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{auth::Principal, error::ApiResult, extract::Query, state::AppState};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries by this user.
    pub actor_user_id: Option<Uuid>,
    /// e.g. `auth.login_failed`, `note.update`.
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub site_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryOut {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub actor_api_key_id: Option<Uuid>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub site_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
}

/// A page of audit entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryOut>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<Uuid>,
}

/// The audit log (admin), newest first, with filters and cursor pagination.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    responses((status = 200, description = "Entries", body = AuditPage))
)]
#[get("/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    _signed_in: Principal,
    q: Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    let limit = super::limit(q.limit)?;
    use entity::audit_log::{Column, Entity};
    let mut sel = Entity::find().order_by_desc(Column::Id).limit(limit + 1);
    if let Some(v) = q.actor_user_id {
        sel = sel.filter(Column::ActorUserId.eq(v));
    }
    if let Some(v) = &q.action {
        sel = sel.filter(Column::Action.eq(v.clone()));
    }
    if let Some(v) = &q.object_type {
        sel = sel.filter(Column::ObjectType.eq(v.clone()));
    }
    if let Some(v) = &q.object_id {
        sel = sel.filter(Column::ObjectId.eq(v.clone()));
    }
    if let Some(v) = q.site_id {
        sel = sel.filter(Column::SiteId.eq(v));
    }
    if let Some(v) = q.from {
        sel = sel.filter(Column::At.gte(v));
    }
    if let Some(v) = q.to {
        sel = sel.filter(Column::At.lt(v));
    }
    if let Some(c) = q.cursor {
        sel = sel.filter(Column::Id.lt(c));
    }
    let (rows, next_cursor) = super::page(sel.all(&state.read).await?, limit, |r| r.id);
    let items = rows
        .into_iter()
        .map(|r| AuditEntryOut {
            id: r.id,
            at: r.at,
            actor_user_id: r.actor_user_id,
            actor_api_key_id: r.actor_api_key_id,
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            site_id: r.site_id,
            request_id: r.request_id,
            ip: r.ip,
            detail: r.detail,
        })
        .collect();
    Ok(HttpResponse::Ok().json(AuditPage { items, next_cursor }))
}
