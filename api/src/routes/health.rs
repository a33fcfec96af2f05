use actix_web::{get, web, HttpResponse};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{error::ApiError, state::AppState};

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
        (status = 503, description = "The database does not answer", body = crate::error::Problem, content_type = "application/problem+json"),
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
