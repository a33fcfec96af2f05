//! The HTTP surface shared by every feature: the route table, the caller
//! (bearer token, language, address), extractors, metrics, the web client's
//! files and the health checks.
pub mod assets;
pub mod caller;
pub mod conditional;
pub mod extract;
pub mod health;
pub mod metrics;
pub mod routes;

/// The answer to an operation that can be a dry run: 200 with what would
/// happen, else 201 with what did.
pub fn dry_run_or_created(dry_run: bool, body: &impl serde::Serialize) -> actix_web::HttpResponse {
    if dry_run {
        actix_web::HttpResponse::Ok().json(body)
    } else {
        actix_web::HttpResponse::Created().json(body)
    }
}
