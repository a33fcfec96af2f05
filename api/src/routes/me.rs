use actix_web::{get, patch, web, HttpResponse};

pub use crate::services::users::MePatch;
use crate::{
    auth::{Principal, RequestMeta},
    error::ApiResult,
    extract::Json,
    services::users::{self, UserOut},
    state::AppState,
};

/// The signed-in user (or the owner of the API key): role, peer-researcher
/// flag and assigned sites.
#[utoipa::path(
    tag = "users",
    responses((status = 200, description = "The caller", body = UserOut))
)]
#[get("/me")]
pub async fn get_me(state: web::Data<AppState>, p: Principal) -> ApiResult<HttpResponse> {
    let me = users::me(&state.read, &p).await?;
    Ok(HttpResponse::Ok().json(me))
}

/// Change my own settings: the language of my client and of the mail I get
/// (`en` or `nb`).
#[utoipa::path(
    tag = "users",
    request_body = MePatch,
    responses((status = 200, description = "Changed", body = UserOut))
)]
#[patch("/me")]
pub async fn patch_me(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<MePatch>,
) -> ApiResult<HttpResponse> {
    let out = users::patch_me(&state.cx(&p, &meta), body.0).await?;
    Ok(HttpResponse::Ok().json(out))
}
