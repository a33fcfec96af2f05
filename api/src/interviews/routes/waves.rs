//! The study's interview waves.
use actix_web::{get, patch, web, HttpResponse};

use crate::{
    app::state::AppState,
    http::extract::Json,
    interviews::{self, WaveSettings},
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
};

/// The study's interview waves.
#[utoipa::path(
    tag = "interviews",
    responses((status = 200, description = "Waves", body = WaveSettings))
)]
#[get("/settings/waves")]
pub async fn get_waves(
    state: web::Data<AppState>,
    _signed_in: Principal,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(WaveSettings {
        waves: interviews::waves(&state.read).await?,
    }))
}

/// Replace the study's waves (admin).
#[utoipa::path(
    tag = "interviews",
    request_body = WaveSettings,
    responses((status = 200, description = "Waves", body = WaveSettings))
)]
#[patch("/settings/waves")]
pub async fn patch_waves(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<WaveSettings>,
) -> ApiResult<HttpResponse> {
    let saved = interviews::lifecycle::save_waves(&state.cx(&p, &meta), body.0).await?;
    Ok(HttpResponse::Ok().json(saved))
}
