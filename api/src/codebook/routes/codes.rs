//! The codebook: hierarchical codes for notes (coordinators manage it).
use actix_web::{delete, get, patch, post, web, HttpResponse};
use uuid::Uuid;

pub use crate::codebook::codes::{
    CodeDeleteQuery, CodeImportQuery, CodeImportReport, CodeIn, CodeList, CodeOut, CodePatch,
    CodeQuery, CodeUsage,
};
use crate::{
    app::state::AppState,
    codebook::codes,
    http::extract::{Json, Query, XmlBody},
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
};

/// Add a code (coordinator).
#[utoipa::path(
    tag = "codebook",
    request_body = CodeIn,
    responses((status = 201, description = "Created", body = CodeOut))
)]
#[post("/codes")]
pub async fn create_code(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<CodeIn>,
) -> ApiResult<HttpResponse> {
    let out = codes::create(&state.cx(&p, &meta), body.0).await?;
    Ok(HttpResponse::Created().json(out))
}

/// The codebook, siblings in the order the team gave them (`position`);
/// with `tree=true` as a tree. A small list (a codebook has tens to a few
/// hundred codes), not paged: every code in one answer.
#[utoipa::path(
    tag = "codebook",
    params(CodeQuery),
    responses((status = 200, description = "Codes", body = CodeList))
)]
#[get("/codes")]
pub async fn list_codes(
    state: web::Data<AppState>,
    _signed_in: Principal,
    q: Query<CodeQuery>,
) -> ApiResult<HttpResponse> {
    let all = codes::all_codes(&state.read).await?;
    let items = if q.tree.unwrap_or(false) {
        codes::build_tree(all)
    } else {
        all.into_iter().map(CodeOut::from).collect()
    };
    Ok(HttpResponse::Ok().json(CodeList { items }))
}

/// Change a code (coordinator).
#[utoipa::path(
    tag = "codebook",
    params(("id" = Uuid, Path, description = "Code id")),
    request_body = CodePatch,
    responses((status = 200, description = "Changed", body = CodeOut))
)]
#[patch("/codes/{id}")]
pub async fn patch_code(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<CodePatch>,
) -> ApiResult<HttpResponse> {
    let out = codes::patch(&state.cx(&p, &meta), *id, body.0).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// How much a code is used: its codings at the caller's sites, its child
/// codes, and whether other sites use it; asked before deleting it, so that
/// the client asks its question once (coordinator).
#[utoipa::path(
    tag = "codebook",
    params(("id" = Uuid, Path, description = "Code id")),
    responses((status = 200, description = "Its use", body = CodeUsage))
)]
#[get("/codes/{id}/usage")]
pub async fn code_usage(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let out = codes::usage(&state.cx(&p, &meta), *id).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Delete a code (coordinator). A code with codings needs `move_to`; a code
/// with child codes cannot be deleted until they are moved.
#[utoipa::path(
    tag = "codebook",
    params(("id" = Uuid, Path, description = "Code id"), CodeDeleteQuery),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "In use or has children", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/codes/{id}")]
pub async fn delete_code(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    q: Query<CodeDeleteQuery>,
) -> ApiResult<HttpResponse> {
    codes::delete(&state.cx(&p, &meta), *id, q.move_to).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A REFI-QDA codebook file (`.qdc`, QDA-XML codebook 1.0), as NVivo,
/// ATLAS.ti, MAXQDA and QualCoder export it.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct QdcUpload(#[allow(dead_code)] Vec<u8>);

/// Import a codebook file (`.qdc`) at the top of the codebook or under the
/// code `under` (coordinator), with its hierarchy, descriptions and order.
/// A name that is already there under the same parent is reported in
/// `existing`, not duplicated. With `dry_run=true` nothing is written: the
/// answer says what would be created, or lists the file's problems. Without
/// it, all of the file is imported or none (422). Audited as `code.import`.
#[utoipa::path(
    tag = "codebook",
    params(CodeImportQuery),
    request_body(content = QdcUpload, content_type = "application/xml"),
    responses(
        (status = 200, description = "Dry run: what would happen", body = CodeImportReport),
        (status = 201, description = "Imported", body = CodeImportReport),
    )
)]
#[post("/codes/import")]
pub async fn import_codes(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    q: Query<CodeImportQuery>,
    body: XmlBody,
) -> ApiResult<HttpResponse> {
    let report = codes::import(&state.cx(&p, &meta), &body.0, &q).await?;
    Ok(crate::http::dry_run_or_created(report.dry_run, &report))
}

/// The codebook as a REFI-QDA codebook file (`.qdc`, QDA-XML codebook 1.0)
/// that NVivo, ATLAS.ti, MAXQDA and QualCoder import: every code with its
/// hierarchy, description and the team's order (a dimension is the
/// description's last paragraph, `Dimension: ...`). Coordinators; keys need
/// `exports:read`.
#[utoipa::path(
    tag = "exports",
    responses(
        (status = 200, description = "The codebook file", content_type = "application/xml", body = String),
        (status = 409, description = "The codebook has no codes yet (`codebook_empty`)", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/exports/codebook.qdc")]
pub async fn codebook_qdc(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
) -> ApiResult<HttpResponse> {
    let bytes = codes::export_qdc(&state.cx(&p, &meta)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::CONTENT_TYPE,
            "application/xml; charset=utf-8",
        ))
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"codebook.qdc\"",
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}
