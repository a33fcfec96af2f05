//! Booking, listing, reading and changing interviews.
use actix_web::{get, http::StatusCode, patch, post, web, HttpRequest, HttpResponse};
use uuid::Uuid;

use crate::{
    app::state::AppState,
    http::{
        conditional::{if_match, tagged},
        extract::{Json, Query},
    },
    interviews::{
        earlier::{self, EarlierIn},
        lifecycle::{self, InterviewIn, InterviewPatch},
        view::{self, InterviewList, InterviewOut, InterviewQuery, MyQuery},
    },
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
};

/// Schedule an interview (coordinator).
#[utoipa::path(
    tag = "interviews",
    request_body = InterviewIn,
    responses(
        (status = 201, description = "Scheduled; `window` flags a time outside the wave's due window", body = InterviewOut),
        (status = 409, description = "Interviewer busy, participant withdrawn, or an open interview for this wave exists", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/interviews")]
pub async fn create_interview(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<InterviewIn>,
) -> ApiResult<HttpResponse> {
    super::answer(lifecycle::create(&state.cx(&p, &meta), body.0).await?)
}

/// Enter an interview held before the study used Fieldnotes (coordinator):
/// its participant, wave, interviewers and sittings, all in the past and
/// before the participant came into Fieldnotes (registered, or first
/// interviewed there), with how readiness was checked then
/// (`screening_note`). It is completed at once
/// and marked `entered_later` in the API, the participant's timeline, the
/// exports and the `.qdpx`. No screening is recorded for it and no one is
/// mailed; it is audited as `interview.enter_earlier`. Transcripts attach to
/// it as to any interview.
#[utoipa::path(
    tag = "interviews",
    request_body = EarlierIn,
    responses(
        (status = 201, description = "Entered, completed", body = InterviewOut),
        (status = 409, description = "The participant withdrew, or already has an interview for this wave", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/interviews/earlier")]
pub async fn enter_earlier_interview(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<EarlierIn>,
) -> ApiResult<HttpResponse> {
    super::answer(earlier::enter(&state.cx(&p, &meta), body.0).await?)
}

/// Interviews at the caller's sites, by time, a page at a time: follow
/// `next_cursor` (as `cursor`, with the same filters) until it is `null`.
#[utoipa::path(
    tag = "interviews",
    params(InterviewQuery),
    responses((status = 200, description = "Interviews", body = InterviewList))
)]
#[get("/interviews")]
pub async fn list_interviews(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: Query<InterviewQuery>,
) -> ApiResult<HttpResponse> {
    let page: InterviewList = view::list(&state.cx(&p, &meta), &q, None).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// My interviews ("my day" by default): a day's list, at most 200.
#[utoipa::path(
    tag = "interviews",
    params(MyQuery),
    responses((status = 200, description = "Interviews", body = InterviewList))
)]
#[get("/me/interviews")]
pub async fn my_interviews(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: Query<MyQuery>,
) -> ApiResult<HttpResponse> {
    let page: InterviewList = view::mine(&state.cx(&p, &meta), &q).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One interview with its postponements, sessions, minutes and window.
#[utoipa::path(
    tag = "interviews",
    params(("id" = Uuid, Path, description = "Interview id")),
    responses(
        (status = 200, description = "The interview", body = InterviewOut, headers(("ETag" = String, description = "Changes with any change to the interview"))),
        (status = 304, description = "Unchanged since the `If-None-Match` tag", headers(("ETag" = String, description = "The interview's tag"))),
    )
)]
#[get("/interviews/{id}")]
pub async fn get_interview(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let out: InterviewOut = view::get(&state.cx(&p, &meta), *id, "interview.read").await?;
    Ok(tagged(&req, StatusCode::OK, out.etag(), &out))
}

/// Change an open interview. Its interviewers or a coordinator may give it
/// a new time (`scheduled_at`): a *reschedule*, such as agreeing the time of
/// an interview whose time was to be agreed. It is kept in the interview's
/// `reschedules`, mailed like any new time, and never counted as a
/// postponement; when the interview could not happen as planned, use
/// `POST /interviews/{id}/postponements` with its reason instead. Only a
/// coordinator changes the length, interviewers, place or note. The same
/// checks as booking apply. Send `If-Match` with the interview's ETag so
/// that a change by someone else since is never overwritten (412 with the
/// current interview and its ETag); `*` changes whatever is current. A
/// change that changes nothing answers the interview as it is.
#[utoipa::path(
    tag = "interviews",
    params(
        ("id" = Uuid, Path, description = "Interview id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the change is based on, or `*`"),
    ),
    request_body = InterviewPatch,
    responses(
        (status = 200, description = "Changed", body = InterviewOut, headers(("ETag" = String, description = "The interview's new tag"))),
        (status = 412, description = "Changed by someone else; `current` holds the interview now", body = crate::kernel::error::Problem, content_type = "application/problem+json", headers(("ETag" = String, description = "The current tag"))),
        (status = 403, description = "An interviewer asked to change more than the time (`coordinator_required`), or the caller is not one of its interviewers", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Interviewer busy, a session is running, or the interview is closed", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/interviews/{id}")]
pub async fn patch_interview(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<InterviewPatch>,
) -> ApiResult<HttpResponse> {
    super::answer(lifecycle::patch(&state.cx(&p, &meta), *id, if_match(&req), body.0).await?)
}
