//! The sessions of a split interview, and closing it.
use actix_web::{post, web, HttpResponse};
use uuid::Uuid;

use crate::{
    app::state::AppState,
    http::extract::{Json, OptionalJson},
    interviews::{
        lifecycle,
        sessions::{self, EndSessionIn, StartSessionIn},
        view::{InterviewOut, SessionOut},
    },
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
};

/// Start a session of an interview. Only when the participant has a valid
/// consent and is READY for a session right now; otherwise 409 `no_consent`
/// or `not_ready` with the reasons (`postpone_reason` tells the client it can
/// postpone with `participant_not_ready`). After a session of the same
/// interview has ended, only a screening taken since counts (reason
/// `rescreen_between_sessions`), unless the study's readiness settings turn
/// `rescreen_between_sessions` off. On another day than the interview's (in
/// the site's time zone) it answers 409 `session_on_other_day` unless the
/// body says `allow_other_day: true`; the session's real time is kept. The
/// body may be left out.
#[utoipa::path(
    tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id")),
    request_body(content = Option<StartSessionIn>, content_type = "application/json"),
    responses(
        (status = 201, description = "Started", body = SessionOut),
        (status = 409, description = "Not ready, no consent, another day than the interview's, a session already running, or the interview is closed", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/interviews/{id}/sessions")]
pub async fn start_session(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: OptionalJson<StartSessionIn>,
) -> ApiResult<HttpResponse> {
    let body = body.0.unwrap_or_default();
    let s: SessionOut = sessions::start(&state.cx(&p, &meta), *id, body).await?;
    Ok(HttpResponse::Created().json(s))
}

/// End a running session.
#[utoipa::path(
    tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id"), ("n" = i32, Path, description = "Session number")),
    request_body = EndSessionIn,
    responses((status = 200, description = "Ended", body = SessionOut))
)]
#[post("/interviews/{id}/sessions/{n}/end")]
pub async fn end_session(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    path: web::Path<(Uuid, i32)>,
    body: Json<EndSessionIn>,
) -> ApiResult<HttpResponse> {
    let (id, n) = path.into_inner();
    let s: SessionOut = sessions::end(&state.cx(&p, &meta), id, n, body.0).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Close an interview after its sessions; its length is their sum.
#[utoipa::path(
    tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id")),
    responses((status = 200, description = "Completed", body = InterviewOut))
)]
#[post("/interviews/{id}/complete")]
pub async fn complete_interview(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let done = lifecycle::complete(&state.cx(&p, &meta), *id).await?;
    let out: &InterviewOut = &done.interview;
    Ok(HttpResponse::Ok().json(out))
}
