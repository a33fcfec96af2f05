//! Screenings: append-only, entered on the phone.
use actix_web::{get, post, web, HttpResponse};
use uuid::Uuid;

use crate::{
    app::state::AppState,
    http::extract::{Json, Query},
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
    readiness::screenings::{self, ScreeningIn, ScreeningOut, ScreeningPage, ScreeningQuery},
};

pub use crate::readiness::screenings::CLOCK_SKEW_MINUTES;

/// Record a screening. It is never changed afterwards; a new one supersedes it.
#[utoipa::path(
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Participant id")),
    request_body = ScreeningIn,
    responses((status = 201, description = "Stored and scored", body = ScreeningOut))
)]
#[post("/participants/{id}/screenings")]
pub async fn create_screening(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<ScreeningIn>,
) -> ApiResult<HttpResponse> {
    let out: ScreeningOut = screenings::create(&state.cx(&p, &meta), *id, body.0).await?;
    Ok(HttpResponse::Created().json(out))
}

/// A participant's screenings, newest first.
#[utoipa::path(
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Participant id"), ScreeningQuery),
    responses((status = 200, description = "Screenings", body = ScreeningPage))
)]
#[get("/participants/{id}/screenings")]
pub async fn list_screenings(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    q: Query<ScreeningQuery>,
) -> ApiResult<HttpResponse> {
    let page: ScreeningPage = screenings::list(&state.cx(&p, &meta), *id, &q).await?;
    Ok(HttpResponse::Ok().json(page))
}
