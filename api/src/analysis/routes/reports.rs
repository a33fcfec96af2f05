//! The coordinators' views: who is due for an interview, and the fieldwork
//! report for a methods section.
use actix_web::{get, web, HttpResponse};

pub use crate::analysis::reports::{
    DueInterview, DueItem, DueList, DueQuery, FieldworkReport, ReportQuery, SiteCount,
};
use crate::{
    analysis::reports,
    app::state::AppState,
    http::extract::Query,
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
};

/// Active participants whose wave window is open, closes within 7 days, or
/// has passed, without a completed interview for that wave.
#[utoipa::path(
    tag = "interviews",
    params(DueQuery),
    responses((status = 200, description = "Participants due", body = DueList))
)]
#[get("/participants/due")]
pub async fn participants_due(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: Query<DueQuery>,
) -> ApiResult<HttpResponse> {
    let out = reports::due(&state.cx(&p, &meta), &q).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Numbers for a methods section (coordinator).
#[utoipa::path(
    tag = "reports",
    params(ReportQuery),
    responses((status = 200, description = "The report", body = FieldworkReport))
)]
#[get("/reports/fieldwork")]
pub async fn fieldwork(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: Query<ReportQuery>,
) -> ApiResult<HttpResponse> {
    let out = reports::fieldwork(&state.cx(&p, &meta), &q).await?;
    Ok(HttpResponse::Ok().json(out))
}
