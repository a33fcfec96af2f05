//! Participants: pseudonyms only, scoped to the caller's sites.
use actix_web::{get, http::StatusCode, patch, post, web, HttpRequest, HttpResponse};
use uuid::Uuid;

use crate::{
    app::state::AppState,
    http::{
        conditional::{if_match, tagged},
        extract::{CsvBody, Json, Query},
    },
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
    participants::{
        self,
        import::{self, CsvUpload, ImportQuery, ImportReport},
        ParticipantOut, ParticipantPage, ParticipantQuery,
    },
};

pub use crate::participants::{ParticipantIn, ParticipantPatch, ParticipantStatus};

/// Register a participant (coordinator).
#[utoipa::path(
    tag = "participants",
    request_body = ParticipantIn,
    responses(
        (status = 201, description = "Created", body = ParticipantOut),
        (status = 409, description = "Pseudonym in use", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/participants")]
pub async fn create_participant(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    let out: ParticipantOut = participants::create(&state.cx(&p, &meta), body.0).await?;
    Ok(HttpResponse::Created().json(out))
}

/// Register participants in bulk from a CSV file (coordinator). With
/// `dry_run=true` nothing is written: the answer lists every problem by
/// line and column (`/lines/7/pseudonym`), or the participants that would
/// be registered. Without it, either every line is registered, in one
/// transaction, or none is (422 with the same problems). The pseudonym
/// rules and uniqueness are those of one participant, within the file too;
/// a column that would identify someone (`name`, `phone`, ...) refuses the
/// whole file. Each participant is audited as `participant.create`.
#[utoipa::path(
    tag = "participants",
    params(ImportQuery),
    request_body(content = CsvUpload, content_type = "text/csv"),
    responses(
        (status = 200, description = "Dry run: what would happen", body = ImportReport),
        (status = 201, description = "Registered, every line", body = ImportReport),
        (status = 409, description = "A pseudonym was taken meanwhile (`pseudonym_taken`); nothing was written", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/participants/import")]
pub async fn import_participants(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: Query<ImportQuery>,
    body: CsvBody,
) -> ApiResult<HttpResponse> {
    let report = import::run(&state.cx(&p, &meta), &body.0, &q).await?;
    Ok(crate::http::dry_run_or_created(report.dry_run, &report))
}

/// Participants at the caller's sites.
#[utoipa::path(
    tag = "participants",
    params(ParticipantQuery),
    responses((status = 200, description = "Participants", body = ParticipantPage))
)]
#[get("/participants")]
pub async fn list_participants(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: Query<ParticipantQuery>,
) -> ApiResult<HttpResponse> {
    let page: ParticipantPage = participants::list(&state.cx(&p, &meta), &q).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One participant.
#[utoipa::path(
    tag = "participants",
    params(("id" = Uuid, Path, description = "Participant id")),
    responses(
        (status = 200, description = "The participant", body = ParticipantOut, headers(("ETag" = String, description = "Changes with any change to what is shown"))),
        (status = 304, description = "Unchanged since the `If-None-Match` tag", headers(("ETag" = String, description = "The participant's tag"))),
    )
)]
#[get("/participants/{id}")]
pub async fn get_participant(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let out: ParticipantOut = participants::get(&state.cx(&p, &meta), *id).await?;
    Ok(tagged(&req, StatusCode::OK, out.etag(), &out))
}

/// Change a participant (coordinator).
///
/// Setting `status: withdrawn` is a withdrawal with all its consequences: open interviews are cancelled and
/// their interviewers told, and no more reminders go out. For a participant
/// whose consent is in force it is refused (409 `withdraw_consent`, with
/// `consent_id`): withdraw that consent instead
/// (`POST /api/v1/consents/{id}/withdraw`), which also records what happens
/// to the data already collected.
///
/// Send `If-Match` with the participant's ETag so that a change by someone
/// else since is never overwritten (412 with the current participant and
/// its ETag); `*` changes whatever is current. A change that changes nothing
/// answers the participant as they are.
#[utoipa::path(
    tag = "participants",
    params(
        ("id" = Uuid, Path, description = "Participant id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the change is based on, or `*`"),
    ),
    request_body = ParticipantPatch,
    responses(
        (status = 200, description = "The changed participant", body = ParticipantOut, headers(("ETag" = String, description = "The participant's new tag"))),
        (status = 412, description = "Changed by someone else; `current` holds the participant now", body = crate::kernel::error::Problem, content_type = "application/problem+json", headers(("ETag" = String, description = "The current tag"))),
        (status = 409, description = "Pseudonym in use, or a withdrawal that must go through the consent (`withdraw_consent`)", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/participants/{id}")]
pub async fn patch_participant(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    let out: ParticipantOut =
        participants::patch(&state.cx(&p, &meta), *id, if_match(&req), body.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::ETAG, out.etag()))
        .json(out))
}
