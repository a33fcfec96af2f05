//! Interview transcripts: uploaded by a transcription pipeline (an API key
//! with `transcripts:write`) or a coordinator, read by the interview's
//! interviewers and coordinators.
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use uuid::Uuid;

pub use crate::analysis::transcripts::{
    TranscriptIn, TranscriptList, TranscriptOut, TranscriptSummary,
};
use crate::{
    analysis::docx::{self, DocxText, DocxUpload},
    analysis::transcripts,
    app::state::AppState,
    http::{
        conditional::{if_match, tagged},
        extract::{DocxBody, Json, DOCX},
    },
    kernel::{
        access::{Principal, RequestMeta},
        error::{ApiResult, Problem},
    },
};

fn with_etag(mut res: actix_web::HttpResponseBuilder, t: &TranscriptOut) -> HttpResponse {
    res.insert_header((actix_web::http::header::ETAG, t.etag()))
        .json(t)
}

/// The text of a Word document (`.docx`), to check before it is saved as
/// a transcript with `POST /interviews/{id}/transcripts` (coordinator, or
/// a key with `transcripts:write`). Nothing is stored.
#[utoipa::path(
    tag = "transcripts",
    request_body(content = DocxUpload, content_type = DOCX),
    responses(
        (status = 200, description = "The document's text", body = DocxText),
        (status = 422, description = "Not a Word document, or no text in it (`docx_unreadable`, `docx_empty`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/transcripts/docx-text")]
pub async fn docx_text(_caller: Principal, body: DocxBody) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(docx::text_of(body.0.to_vec()).await?))
}

/// Add a transcript to an interview (coordinator, or a key with
/// `transcripts:write`).
#[utoipa::path(
    tag = "transcripts",
    params(("id" = Uuid, Path, description = "Interview id")),
    request_body = TranscriptIn,
    responses(
        (status = 201, description = "Stored", body = TranscriptOut, headers(("ETag" = String, description = "The transcript's version"))),
    )
)]
#[post("/interviews/{id}/transcripts")]
pub async fn create_transcript(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<TranscriptIn>,
) -> ApiResult<HttpResponse> {
    let t = transcripts::create(&state.cx(&p, &meta), *id, body.0).await?;
    Ok(with_etag(HttpResponse::Created(), &t))
}

/// An interview's transcripts, without their text (the interview's
/// interviewers and coordinators). A small list (one interview's), not paged.
#[utoipa::path(
    tag = "transcripts",
    params(("id" = Uuid, Path, description = "Interview id")),
    responses((status = 200, description = "Transcripts", body = TranscriptList))
)]
#[get("/interviews/{id}/transcripts")]
pub async fn list_transcripts(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let out = transcripts::list(&state.cx(&p, &meta), *id).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// One transcript with its text.
#[utoipa::path(
    tag = "transcripts",
    params(("id" = Uuid, Path, description = "Transcript id")),
    responses(
        (status = 200, description = "The transcript", body = TranscriptOut, headers(("ETag" = String, description = "The transcript's version"))),
        (status = 304, description = "Unchanged since the `If-None-Match` tag", headers(("ETag" = String, description = "The transcript's version"))),
    )
)]
#[get("/transcripts/{id}")]
pub async fn get_transcript(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let t = transcripts::get(&state.cx(&p, &meta), *id).await?;
    Ok(tagged(&req, actix_web::http::StatusCode::OK, t.etag(), &t))
}

/// Replace a transcript's text (coordinator, or `transcripts:write`). The
/// previous text is kept as a version. With `If-Match`, only that version is
/// replaced (412 with the current transcript and its `ETag` otherwise; `*`
/// replaces whatever is current). The same text again makes no new version. Passage codings follow their words: each whose
/// words occur exactly once in the new text moves to them; the others stay,
/// marked `anchored: false` (see `unanchored_codings`).
#[utoipa::path(
    tag = "transcripts",
    params(
        ("id" = Uuid, Path, description = "Transcript id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the new text replaces, or `*`"),
    ),
    request_body = TranscriptIn,
    responses(
        (status = 200, description = "Replaced", body = TranscriptOut, headers(("ETag" = String, description = "The new version"))),
        (status = 412, description = "Replaced by someone else first; `current` holds their version", body = Problem, content_type = "application/problem+json", headers(("ETag" = String, description = "The current version"))),
    )
)]
#[put("/transcripts/{id}")]
pub async fn replace_transcript(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<TranscriptIn>,
) -> ApiResult<HttpResponse> {
    let t = transcripts::replace(&state.cx(&p, &meta), *id, if_match(&req), body.0).await?;
    Ok(with_etag(HttpResponse::Ok(), &t))
}
