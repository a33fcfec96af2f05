//! The HTTP surface. `configure` is the one route table: the server mounts it
//! and the OpenAPI document is generated from it (see `startup::api_doc`).
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod codes;
pub mod codings;
pub mod consents;
pub mod exports;
pub mod health;
pub mod instruments;
pub mod interviews;
pub mod me;
pub mod notes;
pub mod participants;
pub mod readiness;
pub mod reports;
pub mod screenings;
pub mod security;
pub mod sites;
pub mod transcripts;
pub mod users;

use utoipa_actix_web::service_config::ServiceConfig;

/// Every operation under `/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(auth::login)
        .service(auth::refresh)
        .service(auth::login_mfa)
        .service(auth::logout)
        .service(auth::accept_invitation)
        .service(auth::request_password_reset)
        .service(auth::confirm_password_reset)
        .service(me::get_me)
        .service(me::patch_me)
        .service(security::get_mfa)
        .service(security::enrol_totp)
        .service(security::confirm_totp)
        .service(security::disable_mfa)
        .service(security::list_my_sessions)
        .service(security::end_my_session)
        .service(security::get_security_settings)
        .service(security::patch_security_settings)
        .service(sites::create_site)
        .service(sites::list_sites)
        .service(sites::get_site)
        .service(sites::patch_site)
        .service(users::create_user)
        .service(users::list_users)
        .service(users::get_user)
        .service(users::patch_user)
        .service(users::resend_invitation)
        .service(security::reset_user_mfa)
        .service(security::end_user_sessions)
        .service(security::end_user_credentials)
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
        .service(readiness::get_readiness)
        .service(consents::create_consent)
        .service(consents::list_consents)
        .service(consents::withdraw_consent)
        .service(notes::create_note)
        .service(notes::sync_notes)
        .service(notes::list_notes)
        .service(notes::get_note)
        .service(notes::patch_note)
        .service(notes::delete_note)
        .service(notes::restore_note)
        .service(notes::redact_note)
        .service(notes::note_history)
        .service(codes::create_code)
        .service(codes::list_codes)
        .service(codes::patch_code)
        .service(codes::delete_code)
        .service(codings::code_note)
        .service(codings::note_codings)
        .service(codings::list_codings)
        .service(codings::place_coding)
        .service(codings::delete_coding)
        .service(transcripts::create_transcript)
        .service(transcripts::list_transcripts)
        .service(transcripts::get_transcript)
        .service(transcripts::replace_transcript)
        .service(codings::code_transcript)
        .service(codings::transcript_codings)
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
        .service(reports::fieldwork)
        .service(exports::project_qdpx)
        .service(exports::csv_export);
}

pub use crate::auth::lang;
pub use crate::services::{limit, page, DEFAULT_LIMIT, MAX_LIMIT};
