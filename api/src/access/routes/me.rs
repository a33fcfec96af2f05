use actix_web::{get, patch, web, HttpResponse};

pub use crate::access::users::MePatch;
use crate::{
    access::users::{self, UserOut},
    app::state::AppState,
    http::extract::Json,
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
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
