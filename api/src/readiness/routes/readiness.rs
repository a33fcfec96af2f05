//! Readiness decisions: is a participant ready for consent, or for an
//! interview session, now? The rule is `readiness::rules`.
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::{
    app::state::AppState,
    http::extract::Query,
    kernel::{
        access::{Principal, RequestMeta},
        error::ApiResult,
    },
    readiness::{self, Purpose, ReadinessOut},
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadinessQuery {
    /// What the decision is for.
    #[serde(rename = "for")]
    #[param(rename = "for")]
    pub purpose: Purpose,
    /// For a session: the interview it is for. After a session of it has
    /// ended, only screenings since count (the study's
    /// `rescreen_between_sessions`), as when that session starts.
    pub interview_id: Option<Uuid>,
}

/// Is the participant ready for consent, or for an interview session, now?
#[utoipa::path(
    tag = "readiness",
    params(("id" = Uuid, Path, description = "Participant id"), ReadinessQuery),
    responses((status = 200, description = "The decision", body = ReadinessOut))
)]
#[get("/participants/{id}/readiness")]
pub async fn get_readiness(
    state: web::Data<AppState>,
    p: Principal,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    q: Query<ReadinessQuery>,
) -> ApiResult<HttpResponse> {
    let out: ReadinessOut =
        readiness::get(&state.cx(&p, &meta), *id, q.purpose, q.interview_id).await?;
    Ok(HttpResponse::Ok().json(out))
}
