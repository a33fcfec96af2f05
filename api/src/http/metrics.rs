//! Prometheus metrics (the `metrics` facade, rendered by
//! `metrics-exporter-prometheus`): requests by route template and status
//! with their latency, database pool use and wait, notes-writer group sizes,
//! the outbox's depth and oldest unsent mail, reminders queued and failed
//! sign-ins. Served at `/metrics` on `FIELDNOTES_METRICS_BIND`, or on the
//! main port to `Authorization: Bearer $FIELDNOTES_METRICS_TOKEN`.
use std::sync::OnceLock;
use std::time::Instant;

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    web, HttpRequest, HttpResponse,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};

use crate::app::state::AppState;

pub use crate::kernel::meters::*;

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const GROUP_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed on first use (one per process: the
/// tests run many servers in one).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.into()), LATENCY_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(POOL_WAIT_SECONDS.into()),
                        LATENCY_BUCKETS,
                    )
                })
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Full(NOTES_GROUP_SIZE.into()), GROUP_BUCKETS)
                })
                .map(PrometheusBuilder::build_recorder);
            match recorder {
                Ok(recorder) => {
                    let handle = recorder.handle();
                    if metrics::set_global_recorder(recorder).is_err() {
                        tracing::warn!("a metrics recorder was already installed");
                    }
                    describe();
                    Some(handle)
                }
                Err(e) => {
                    tracing::error!(error = %e, "metrics are off: the recorder could not be built");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        REQUESTS,
        "HTTP requests answered, by route template, method and status"
    );
    describe_histogram!(
        REQUEST_SECONDS,
        Unit::Seconds,
        "Time to answer, by route template and method"
    );
    describe_gauge!(
        POOL_CONNECTIONS,
        "Database connections, by pool and state (idle, in_use)"
    );
    describe_histogram!(
        POOL_WAIT_SECONDS,
        Unit::Seconds,
        "Time a write waited for its connection and BEGIN"
    );
    describe_histogram!(
        NOTES_GROUP_SIZE,
        "Note requests committed together in one transaction"
    );
    describe_gauge!(OUTBOX_DEPTH, "Mail queued and not yet sent");
    describe_gauge!(
        OUTBOX_OLDEST_SECONDS,
        Unit::Seconds,
        "Age of the oldest mail not yet sent"
    );
    describe_counter!(
        REMINDERS_QUEUED,
        "Interview reminders queued by this instance"
    );
    describe_counter!(
        FAILED_LOGINS,
        "Failed sign-in attempts (a wrong password or second-factor code)"
    );
    // Present from the start, at zero, so dashboards and alerts see them.
    metrics::counter!(REMINDERS_QUEUED).increment(0);
    metrics::counter!(FAILED_LOGINS).increment(0);
}

/// Middleware: counts every request by route template (never the path
/// itself, which may hold a calendar-feed secret) and status, and times it.
/// When `FIELDNOTES_LOG_FORMAT=json`, also writes one access line per
/// request: request id, method, route template, status and latency.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use actix_web::HttpMessage;
    let start = Instant::now();
    let route = crate::http::extract::route_template(req.request())
        .map_or_else(|| "unmatched".to_string(), |t| t.to_string());
    let method = method_label(req.method());
    let access_log = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.log_json);
    let request_id = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(|id| id.to_string());
    let in_flight = InFlight::start();
    let res = next.call(req).await;
    drop(in_flight);
    let res = res?;
    let status = res.status().as_u16();
    let elapsed = start.elapsed();
    metrics::counter!(REQUESTS, "route" => route.clone(), "method" => method, "status" => status.to_string())
        .increment(1);
    metrics::histogram!(REQUEST_SECONDS, "route" => route.clone(), "method" => method)
        .record(elapsed.as_secs_f64());
    if access_log {
        tracing::info!(
            target: "fieldnotes::access",
            request_id = request_id.as_deref().unwrap_or(""),
            method = %method,
            route = %route,
            status = status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        );
    }
    Ok(res)
}

/// The method as a label: the methods HTTP defines for resources, else
/// `OTHER`. Anyone may send any token as a method name, and each distinct
/// label value is a series kept for the life of the process: 3 000 odd
/// methods grew `/metrics` from 205 KB to 7.65 MB. (The route label is
/// already bounded: a route template, or `unmatched`.)
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Updates the gauges read from the database and the pools, then renders
/// every metric in the Prometheus text format.
pub async fn render(state: &AppState) -> String {
    pools(state);
    if let Err(e) = outbox(&state.read).await {
        tracing::warn!(error = %e, "metrics: reading the outbox failed");
    }
    handle().map(PrometheusHandle::render).unwrap_or_default()
}

fn pools(state: &AppState) {
    for (name, db) in [("write", &state.writer.db), ("read", &state.read)] {
        let (size, idle) = match db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                let p = db.get_sqlite_connection_pool();
                (p.size() as f64, p.num_idle() as f64)
            }
            DatabaseBackend::Postgres => {
                let p = db.get_postgres_connection_pool();
                (p.size() as f64, p.num_idle() as f64)
            }
            _ => continue,
        };
        metrics::gauge!(POOL_CONNECTIONS, "pool" => name, "state" => "idle").set(idle);
        metrics::gauge!(POOL_CONNECTIONS, "pool" => name, "state" => "in_use").set(size - idle);
    }
}

async fn outbox(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    use entity::outbox::{Column, Entity};
    let unsent = Entity::find().filter(Column::SentAt.is_null());
    let depth = unsent.clone().count(db).await?;
    let oldest = unsent.order_by_asc(Column::CreatedAt).one(db).await?;
    let age = oldest
        .map(|m| {
            (chrono::Utc::now() - m.created_at)
                .num_milliseconds()
                .max(0) as f64
                / 1000.0
        })
        .unwrap_or(0.0);
    metrics::gauge!(OUTBOX_DEPTH).set(depth as f64);
    metrics::gauge!(OUTBOX_OLDEST_SECONDS).set(age);
    Ok(())
}

/// `GET /metrics` on the main port: only with the metrics token, and not
/// found when none is set.
pub async fn on_main_port(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(expected) = &state.settings.metrics_token else {
        return actix_web::ResponseError::error_response(
            &crate::kernel::error::ApiError::NotFound("page"),
        );
    };
    let given = crate::http::caller::bearer(&req).unwrap_or_default();
    let same = crate::kernel::access::tokens::sha256_hex(&given)
        == crate::kernel::access::tokens::sha256_hex(expected);
    if !same {
        return actix_web::ResponseError::error_response(
            &crate::kernel::error::ApiError::unauthorized(
                "Send `Authorization: Bearer <FIELDNOTES_METRICS_TOKEN>`.",
            ),
        );
    }
    exposition(render(&state).await)
}

/// `GET /metrics` on `FIELDNOTES_METRICS_BIND`: open to whoever reaches
/// that address (keep it on a private network).
pub async fn on_metrics_port(state: web::Data<AppState>) -> HttpResponse {
    exposition(render(&state).await)
}

fn exposition(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(body)
}
