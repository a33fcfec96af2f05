//! The HTTP surface. `configure` is the one route table: the server mounts it
//! and the OpenAPI document is generated from it (see `startup::api_doc`).
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod codes;
pub mod health;
pub mod instruments;
pub mod interviews;
pub mod me;
pub mod notes;
pub mod participants;
pub mod reports;
pub mod screenings;
pub mod sites;
pub mod users;

use utoipa_actix_web::service_config::ServiceConfig;

/// Every operation under `/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(auth::login)
        .service(auth::refresh)
        .service(auth::logout)
        .service(auth::accept_invitation)
        .service(auth::request_password_reset)
        .service(auth::confirm_password_reset)
        .service(me::get_me)
        .service(sites::create_site)
        .service(sites::list_sites)
        .service(sites::get_site)
        .service(sites::patch_site)
        .service(users::create_user)
        .service(users::list_users)
        .service(users::get_user)
        .service(users::patch_user)
        .service(api_keys::create_api_key)
        .service(api_keys::list_api_keys)
        .service(api_keys::delete_api_key)
        .service(audit::list_audit)
        .service(participants::create_participant)
        .service(participants::list_participants)
        // before /participants/{id}, which would otherwise take "due" for an id
        .service(reports::participants_due)
        .service(participants::get_participant)
        .service(participants::patch_participant)
        .service(instruments::list_instruments)
        .service(instruments::create_instrument)
        .service(instruments::get_instrument)
        .service(instruments::replace_instrument)
        .service(instruments::create_instrument_version)
        .service(instruments::get_readiness_settings)
        .service(instruments::patch_readiness_settings)
        .service(screenings::create_screening)
        .service(screenings::list_screenings)
        .service(screenings::get_readiness)
        .service(screenings::create_consent)
        .service(screenings::list_consents)
        .service(screenings::withdraw_consent)
        .service(notes::create_note)
        .service(notes::sync_notes)
        .service(notes::list_notes)
        .service(notes::get_note)
        .service(notes::patch_note)
        .service(notes::delete_note)
        .service(notes::restore_note)
        .service(notes::note_history)
        .service(codes::create_code)
        .service(codes::list_codes)
        .service(codes::patch_code)
        .service(codes::delete_code)
        .service(interviews::create_interview)
        .service(interviews::list_interviews)
        .service(interviews::my_interviews)
        .service(interviews::get_interview)
        .service(interviews::patch_interview)
        .service(interviews::list_postponements)
        .service(interviews::postpone)
        .service(interviews::cancel_interview)
        .service(interviews::reopen_interview)
        .service(interviews::start_session)
        .service(interviews::end_session)
        .service(interviews::complete_interview)
        .service(interviews::get_waves)
        .service(interviews::patch_waves)
        .service(calendar::create_feed)
        .service(calendar::list_feeds)
        .service(calendar::delete_feed)
        .service(calendar::feed)
        .service(reports::fieldwork);
}

/// Upper bound of `limit` on every list.
pub const MAX_LIMIT: u64 = 200;
pub const DEFAULT_LIMIT: u64 = 50;

pub fn limit(requested: Option<u64>) -> Result<u64, crate::error::ApiError> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(0) => Err(crate::error::ApiError::field(
            "/limit",
            "must be at least 1",
        )),
        Some(n) if n > MAX_LIMIT => Err(crate::error::ApiError::field(
            "/limit",
            format!("must be at most {MAX_LIMIT}"),
        )),
        Some(n) => Ok(n),
    }
}

/// Cuts a list fetched with `limit + 1` rows to one page, and gives the
/// cursor of the next page when there is one.
pub fn page<T>(
    mut rows: Vec<T>,
    limit: u64,
    id: impl Fn(&T) -> uuid::Uuid,
) -> (Vec<T>, Option<uuid::Uuid>) {
    if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        let next = rows.last().map(id);
        (rows, next)
    } else {
        (rows, None)
    }
}

/// The language people read messages in: Norwegian when `Accept-Language`
/// prefers `nb`, `no` or `nn`, English otherwise.
pub fn lang(req: &actix_web::HttpRequest) -> crate::domain::readiness::Lang {
    use crate::domain::readiness::Lang;
    let first = req
        .headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if ["nb", "no", "nn"]
        .iter()
        .any(|l| first == *l || first.starts_with(&format!("{l}-")))
    {
        Lang::Nb
    } else {
        Lang::En
    }
}
