//! Sites: the clinics where fieldwork happens.
use actix_web::{get, patch, post, web, HttpResponse};
use uuid::Uuid;

pub use crate::sites::{SiteIn, SiteOut, SitePatch};
use crate::{
    app::state::AppState,
    http::extract::Json,
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
    sites,
};

/// Create a site (admin).
#[utoipa::path(
    tag = "sites",
    request_body = SiteIn,
    responses(
        (status = 201, description = "Created", body = SiteOut),
        (status = 409, description = "A site with this name exists", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/sites")]
pub async fn create_site(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<SiteIn>,
) -> ApiResult<HttpResponse> {
    let out = sites::create(&state.cx(&p, &meta), body.0).await?;
    Ok(HttpResponse::Created().json(out))
}

/// The sites the caller is assigned to (admins: all sites). A small list (a
/// study's clinics), not paged.
#[utoipa::path(
    tag = "sites",
    responses((status = 200, description = "Sites", body = [SiteOut]))
)]
#[get("/sites")]
pub async fn list_sites(state: web::Data<AppState>, p: Principal) -> ApiResult<HttpResponse> {
    let sites = sites::list_visible(&state.read, &p).await?;
    Ok(HttpResponse::Ok().json(sites.into_iter().map(SiteOut::from).collect::<Vec<_>>()))
}

/// One site.
#[utoipa::path(
    tag = "sites",
    params(("id" = Uuid, Path, description = "Site id")),
    responses((status = 200, description = "The site", body = SiteOut))
)]
#[get("/sites/{id}")]
pub async fn get_site(
    state: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let site = sites::visible(&state.read, &p, *id).await?;
    Ok(HttpResponse::Ok().json(SiteOut::from(site)))
}

/// Change a site (admin).
#[utoipa::path(
    tag = "sites",
    params(("id" = Uuid, Path, description = "Site id")),
    request_body = SitePatch,
    responses((status = 200, description = "The changed site", body = SiteOut))
)]
#[patch("/sites/{id}")]
pub async fn patch_site(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<SitePatch>,
) -> ApiResult<HttpResponse> {
    let out = sites::patch(&state.cx(&p, &meta), *id, body.0).await?;
    Ok(HttpResponse::Ok().json(out))
}
