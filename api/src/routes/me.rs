use actix_web::{get, web, HttpResponse};

use crate::{auth::Principal, error::ApiResult, services::users::UserOut, state::AppState};

/// The signed-in user (or the owner of the API key): role, peer-researcher
/// flag and assigned sites.
#[utoipa::path(
    tag = "users",
    responses((status = 200, description = "The caller", body = UserOut)),
    security(("bearer" = []))
)]
#[get("/me")]
pub async fn get_me(state: web::Data<AppState>, p: Principal) -> ApiResult<HttpResponse> {
    let user = entity::user::Entity::find_by_id(p.user_id)
        .one(&state.read)
        .await?
        .ok_or(crate::error::ApiError::NotFound("user"))?;
    Ok(HttpResponse::Ok().json(UserOut::from_model(user, p.site_ids.clone())))
}

use sea_orm::EntityTrait;
