//! Interviews: scheduling, postponements with history, cancellation, split
//! sessions gated by readiness and consent, completion; wave settings. The
//! rules are in `interviews::rules`, the changes in `interviews`.
pub mod calendar;
pub mod crud;
pub mod postponements;
pub mod sessions;
pub mod waves;

use actix_web::HttpResponse;

pub use crate::interviews::{
    lifecycle::{CancelIn, InterviewIn, InterviewPatch, PostponeIn, ReopenIn},
    sessions::EndSessionIn,
    view::{InterviewList, InterviewOut, PostponementList, PostponementOut, SessionOut},
};
pub use crud::*;
pub use postponements::*;
pub use sessions::*;
pub use waves::*;

use crate::{interviews::lifecycle::Changed, kernel::error::ApiResult};

/// 201 with the interview when the change created something, else 200.
fn answer(done: Changed) -> ApiResult<HttpResponse> {
    let etag = done.interview.etag();
    Ok(if done.created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .insert_header((actix_web::http::header::ETAG, etag))
    .json(done.interview))
}
