use actix_web::{get, web, HttpResponse};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{app::state::AppState, kernel::error::ApiError};

/// Health of this instance.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the database answers.
    #[schema(example = "ok")]
    pub status: String,
}

/// Liveness and readiness: 200 when the database answers, 503 otherwise.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "The service and its database are up", body = Health),
        (status = 503, description = "The database does not answer", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let ping = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        state.db.execute_unprepared("SELECT 1"),
    )
    .await;
    match ping {
        Ok(Ok(_)) => Ok(HttpResponse::Ok().json(Health {
            status: "ok".into(),
        })),
        _ => Err(ApiError::Unavailable),
    }
}

/// Liveness: 200 while the process answers. It touches nothing else, so a
/// load balancer never restarts an instance for a slow database.
#[utoipa::path(
    tag = "health",
    responses((status = 200, description = "The process answers", body = Health))
)]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
    })
}

/// Readiness: 200 when the database answers and every migration this
/// binary knows is applied; 503 otherwise (a load balancer sends no
/// traffic here until then).
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Ready for traffic", body = Health),
        (status = 503, description = "The database does not answer, or migrations are pending", body = crate::kernel::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    use migration::MigratorTrait;
    let pending = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        migration::Migrator::get_pending_migrations(&state.read),
    )
    .await;
    match pending {
        Ok(Ok(list)) if list.is_empty() => Ok(HttpResponse::Ok().json(Health {
            status: "ok".into(),
        })),
        _ => Err(ApiError::Unavailable),
    }
}
