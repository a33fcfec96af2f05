//! Postponing, cancelling and reopening an interview: its history is kept.
use actix_web::{get, post, web, HttpResponse};
use uuid::Uuid;

use crate::{
    app::state::AppState,
    http::extract::Json,
    interviews::{
        lifecycle::{self, CancelIn, PostponeIn, ReopenIn},
        view::{self, InterviewOut, PostponementList},
    },
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
};

/// An interview's postponements. A small list (one interview's), not paged.
#[utoipa::path(
    tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id")),
    responses((status = 200, description = "Postponements", body = PostponementList))
)]
#[get("/interviews/{id}/postponements")]
pub async fn list_postponements(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let out: InterviewOut = view::get(&state.cx(&p, &meta), *id, "interview.postponements").await?;
    Ok(HttpResponse::Ok().json(PostponementList {
        items: out.postponements,
    }))
}

/// Postpone an interview (its interviewers or a coordinator): to a new time,
/// with the same checks as scheduling, or to "to be agreed". The history is
/// kept. With `participant_not_ready`, the current readiness reasons are
/// stored with it.
#[utoipa::path(
    tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id")),
    request_body = PostponeIn,
    responses((status = 201, description = "Postponed", body = InterviewOut))
)]
#[post("/interviews/{id}/postponements")]
pub async fn postpone(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<PostponeIn>,
) -> ApiResult<HttpResponse> {
    super::answer(lifecycle::postpone(&state.cx(&p, &meta), *id, body.0).await?)
}

/// Cancel an interview (coordinator).
#[utoipa::path(
    tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id")),
    request_body = CancelIn,
    responses((status = 200, description = "Cancelled", body = InterviewOut))
)]
#[post("/interviews/{id}/cancel")]
pub async fn cancel_interview(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<CancelIn>,
) -> ApiResult<HttpResponse> {
    super::answer(lifecycle::cancel(&state.cx(&p, &meta), *id, body.0).await?)
}

/// Reopen a cancelled or completed interview (coordinator).
#[utoipa::path(
    tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id")),
    request_body = ReopenIn,
    responses((status = 200, description = "Open again", body = InterviewOut))
)]
#[post("/interviews/{id}/reopen")]
pub async fn reopen_interview(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<ReopenIn>,
) -> ApiResult<HttpResponse> {
    super::answer(lifecycle::reopen(&state.cx(&p, &meta), *id, body.0).await?)
}
