//! Reading the audit log (admin). There is no endpoint that changes it.
use actix_web::{get, web, HttpResponse};

use crate::{
    app::state::AppState,
    http::extract::Query,
    kernel::{access::Principal, audit, error::ApiResult},
};

pub use crate::kernel::audit::{AuditEntryOut, AuditPage, AuditQuery};

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
    let page = audit::list(&state.read, &q).await?;
    Ok(HttpResponse::Ok().json(page))
}
