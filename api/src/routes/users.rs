//! The team: users, their roles, peer-researcher flag and sites.
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set, TransactionTrait};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{password, Principal, RequestMeta, Role},
    error::{ApiError, ApiResult, FieldError},
    extract::Json,
    services::{
        self,
        audit::{self, Actor, Entry},
        users::NewUser,
    },
    state::AppState,
};

/// A new team member. Without `password`, an invitation email with a
/// single-use link (valid 7 days) lets them choose one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    #[schema(example = "peer@example.org")]
    pub email: String,
    #[schema(example = "Kari", min_length = 1, max_length = 120)]
    pub display_name: String,
    pub role: Role,
    /// A researcher with lived experience; shown in the team list, never a lesser role.
    #[serde(default)]
    pub peer_researcher: bool,
    #[serde(default)]
    pub site_ids: Vec<Uuid>,
    /// At least 12 characters. Leave out to send an invitation instead.
    #[schema(min_length = 12, max_length = 256)]
    pub password: Option<String>,
}

/// Changes to a user; absent fields stay as they are. `active: false` ends
/// every sign-in of the user at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub peer_researcher: Option<bool>,
    pub site_ids: Option<Vec<Uuid>>,
    pub active: Option<bool>,
}

pub use crate::services::users::UserOut;

fn check_display_name(errors: &mut Vec<FieldError>, name: &str) {
    let n = name.trim().chars().count();
    if n == 0 || n > 120 {
        errors.push(FieldError::new(
            "/display_name",
            "must be 1 to 120 characters",
        ));
    }
}

/// Create a user (admin). Without a password, an invitation is emailed.
#[utoipa::path(
    tag = "users",
    request_body = UserIn,
    responses(
        (status = 201, description = "Created", body = UserOut),
        (status = 409, description = "Email already in use", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    body: Json<UserIn>,
) -> ApiResult<HttpResponse> {
    p.require_admin()?;
    let body = body.0;
    let email = services::auth::normalize_email(&body.email);
    let mut errors = Vec::new();
    if !services::users::valid_email(&email) {
        errors.push(FieldError::new("/email", "must be an email address"));
    }
    check_display_name(&mut errors, &body.display_name);
    if let Some(pw) = &body.password {
        if let Err(e) = password::check_strength("/password", pw) {
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    services::sites::check_exist(&state.read, "/site_ids", &body.site_ids).await?;
    let hash = match body.password {
        Some(pw) => Some(password::hash(pw).await?),
        None => None,
    };
    let invite = hash.is_none();
    let txn = state.db.begin().await?;
    let user = services::users::create(
        &txn,
        NewUser {
            email,
            display_name: body.display_name.trim().to_string(),
            role: body.role,
            peer_researcher: body.peer_researcher,
            site_ids: body.site_ids,
            password_hash: hash,
        },
    )
    .await?;
    if invite {
        let token = services::auth::create_user_token(
            &txn,
            user.id,
            services::auth::PURPOSE_INVITATION,
            Duration::days(7),
        )
        .await?;
        services::outbox::enqueue(&txn, services::outbox::NewMail {
            to: user.email.clone(),
            subject: "You are invited to Fieldnotes".into(),
            body: format!(
                "Hello {},\n\n{} has invited you to the study's Fieldnotes team.\nOpen this link within 7 days to choose your password:\n\n{}/#/accept?token={}\n\nThe link works once.\n",
                user.display_name, p.display_name, state.settings.public_url, token
            ),
            dedupe_key: None,
        })
        .await?;
    }
    audit::record(
        &txn,
        &Actor::new(&p, &meta),
        Entry::new("user.create", "user", user.id)
            .detail(serde_json::json!({"role": user.role, "invited": invite})),
    )
    .await?;
    let sites = services::users::site_ids_of(&txn, user.id).await?;
    txn.commit().await?;
    if invite {
        state.outbox_wake.notify_one();
    }
    Ok(HttpResponse::Created().json(UserOut::from_model(user, sites)))
}

async fn visible_user(
    state: &AppState,
    p: &Principal,
    id: Uuid,
) -> ApiResult<(entity::user::Model, Vec<Uuid>)> {
    let user = entity::user::Entity::find_by_id(id)
        .one(&state.read)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    let sites = services::users::site_ids_of(&state.read, id).await?;
    let shares_site = sites.iter().any(|s| p.can_see_site(*s));
    if p.is_admin() || id == p.user_id || shares_site {
        Ok((user, sites))
    } else {
        Err(ApiError::NotFound("user"))
    }
}

/// The team: admins see everyone, others the members of their own sites.
/// Site lists are cut to the sites the caller can see.
#[utoipa::path(
    tag = "users",
    responses((status = 200, description = "Users", body = [UserOut])),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list_users(state: web::Data<AppState>, p: Principal) -> ApiResult<HttpResponse> {
    let users = entity::user::Entity::find()
        .order_by_asc(entity::user::Column::DisplayName)
        .all(&state.read)
        .await?;
    let links = entity::user_site::Entity::find().all(&state.read).await?;
    let mut out = Vec::new();
    for u in users {
        let sites: Vec<Uuid> = links
            .iter()
            .filter(|l| l.user_id == u.id)
            .map(|l| l.site_id)
            .filter(|s| p.can_see_site(*s))
            .collect();
        if p.is_admin() || u.id == p.user_id || !sites.is_empty() {
            out.push(UserOut::from_model(u, sites));
        }
    }
    Ok(HttpResponse::Ok().json(out))
}

/// One user.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, description = "The user", body = UserOut)),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    p: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (user, sites) = visible_user(&state, &p, *id).await?;
    let sites = sites.into_iter().filter(|s| p.can_see_site(*s)).collect();
    Ok(HttpResponse::Ok().json(UserOut::from_model(user, sites)))
}

/// Change a user (admin). Disabling ends all their sessions.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    request_body = UserPatch,
    responses((status = 200, description = "The changed user", body = UserOut)),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn patch_user(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Json<UserPatch>,
) -> ApiResult<HttpResponse> {
    p.require_admin()?;
    let (user, _) = visible_user(&state, &p, *id).await?;
    let body = body.0;
    let mut errors = Vec::new();
    if let Some(n) = &body.display_name {
        check_display_name(&mut errors, n);
    }
    if user.id == p.user_id
        && (body.active == Some(false) || body.role.is_some_and(|r| r != Role::Admin))
    {
        errors.push(FieldError::new(
            if body.active == Some(false) {
                "/active"
            } else {
                "/role"
            },
            "you cannot disable yourself or remove your own admin role",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if let Some(ids) = &body.site_ids {
        services::sites::check_exist(&state.read, "/site_ids", ids).await?;
    }
    let txn = state.db.begin().await?;
    let disabling = body.active == Some(false) && user.active;
    let mut am: entity::user::ActiveModel = user.into();
    if let Some(n) = body.display_name {
        am.display_name = Set(n.trim().to_string());
    }
    if let Some(r) = body.role {
        am.role = Set(r.as_str().to_string());
    }
    if let Some(pr) = body.peer_researcher {
        am.peer_researcher = Set(pr);
    }
    if let Some(a) = body.active {
        am.active = Set(a);
    }
    am.updated_at = Set(Utc::now());
    let user = am.update(&txn).await?;
    if let Some(ids) = &body.site_ids {
        services::users::set_sites(&txn, user.id, ids).await?;
    }
    if disabling {
        services::auth::revoke_all_sessions(&txn, user.id, "user_disabled").await?;
    }
    audit::record(
        &txn,
        &Actor::new(&p, &meta),
        Entry::new("user.update", "user", user.id)
            .detail(serde_json::json!({"disabled": disabling})),
    )
    .await?;
    let sites = services::users::site_ids_of(&txn, user.id).await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(UserOut::from_model(user, sites)))
}
