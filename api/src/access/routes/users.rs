//! The team: users, their roles, peer-researcher flag and sites.
use actix_web::{get, patch, post, web, HttpResponse};
use uuid::Uuid;

use crate::{
    access::users,
    app::state::AppState,
    http::extract::Json,
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
};

pub use crate::access::users::{UserIn, UserOut, UserPatch};

/// Create a user (admin). Without a password, an invitation is emailed.
#[utoipa::path(
    tag = "users",
    request_body = UserIn,
    responses(
        (status = 201, description = "Created", body = UserOut),
        (status = 409, description = "Email already in use", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<UserIn>,
) -> ApiResult<HttpResponse> {
    let out = users::create_user(&state.cx(&p, &meta), body.0).await?;
    Ok(HttpResponse::Created().json(out))
}

/// The team: admins see everyone, others the members of their own sites.
/// Site lists are cut to the sites the caller can see. A small list (a
/// study team), not paged.
#[utoipa::path(
    tag = "users",
    responses((status = 200, description = "Users", body = [UserOut]))
)]
#[get("/users")]
pub async fn list_users(state: web::Data<AppState>, p: Principal) -> ApiResult<HttpResponse> {
    let team = users::team(&state.read, &p).await?;
    Ok(HttpResponse::Ok().json(team))
}

/// One user.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, description = "The user", body = UserOut))
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let user = users::get_user(&state.read, &p, *id).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Change a user (admin). Disabling ends all their sessions. Disabling
/// someone who is an interviewer of open interviews is refused with 409
/// `has_open_interviews`, listing them (`interviews`), unless the body hands
/// them to someone else (`hand_interviews_to`, in the same change) or keeps
/// them (`keep_interviews`).
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    request_body = UserPatch,
    responses(
        (status = 200, description = "The changed user", body = UserOut),
        (status = 409, description = "The person has open interviews (`has_open_interviews`, with `interviews`), or the one taking over is busy then", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/users/{id}")]
pub async fn patch_user(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<UserPatch>,
) -> ApiResult<HttpResponse> {
    let out = users::patch_user(&state.cx(&p, &meta), *id, body.0).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Send an invitation again (admin): a new link, valid 7 days; earlier links
/// stop working. 409 when the person has already chosen a password or is
/// disabled.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Sent"),
        (status = 409, description = "Already accepted, or disabled", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users/{id}/invitation")]
pub async fn resend_invitation(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    users::resend_invitation(&state.cx(&p, &meta), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
