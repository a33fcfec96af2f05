//! Hand-off to analysis: the REFI-QDA project and the CSV files, streamed.
use actix_web::{get, http::header, web, HttpResponse};

pub use crate::analysis::exports::{CsvKind, ExportQuery};
use crate::{
    analysis::exports::{self, Download},
    app::state::AppState,
    http::extract::Query,
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
};

fn download(d: Download) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, d.content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", d.filename),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(d.body)
}

/// The study as a REFI-QDA project (`.qdpx`, exchange format 1.0) that
/// NVivo, ATLAS.ti, MAXQDA and QualCoder open: the codebook, the team,
/// participants as cases with their variables, and every note and
/// transcript as a text source with its whole-text and passage codings
/// (coordinators; keys need `exports:read`). Protective by default: site,
/// age band and staff names only with `include`. Codings an edit left
/// unanchored are left out, so no code points at other words.
#[utoipa::path(
    tag = "exports",
    params(ExportQuery),
    responses(
        (status = 200, description = "The project, streamed", content_type = "application/zip", body = Vec<u8>),
        (status = 429, description = "Other exports are running on this server (`export_busy`): try again after `Retry-After` seconds", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/exports/project.qdpx")]
pub async fn project_qdpx(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: Query<ExportQuery>,
) -> ApiResult<HttpResponse> {
    let d = exports::project(&state.cx(&p, &meta), &state.exports, &q).await?;
    Ok(download(d))
}

/// One CSV file, one row per object (coordinators; keys need
/// `exports:read`): `notes`, `participants`, `screenings` (one column per
/// item of each instrument version), `interviews`, `postponements` or
/// `sessions`. UTF-8 with a byte-order mark; codes by name path; text a
/// spreadsheet would run as a formula starts with an apostrophe.
#[utoipa::path(
    tag = "exports",
    params(
        ("kind" = CsvKind, Path, description = "Which file"),
        ExportQuery,
    ),
    responses(
        (status = 200, description = "The file, streamed", content_type = "text/csv", body = String),
        (status = 404, description = "No such file (`not_found`)", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Other exports are running on this server (`export_busy`): try again after `Retry-After` seconds", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/exports/{kind}.csv")]
pub async fn csv_export(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    kind: web::Path<String>,
    q: Query<ExportQuery>,
) -> ApiResult<HttpResponse> {
    let kind = CsvKind::named(&kind)?;
    let d = exports::csv_file(&state.cx(&p, &meta), &state.exports, kind, &q).await?;
    Ok(download(d))
}
