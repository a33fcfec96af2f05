//! Conditional requests over HTTP: the `If-Match` a change is based on,
//! and answers that carry an ETag (304 when a reader already has it). The
//! rules are `kernel::precondition`'s.
use actix_web::{
    http::{header, StatusCode},
    HttpRequest, HttpResponse,
};
use serde::Serialize;

use crate::kernel::precondition::{none_match, IfMatch};

/// The `If-Match` of a request.
pub fn if_match(req: &HttpRequest) -> IfMatch {
    IfMatch::parse(
        req.headers()
            .get(header::IF_MATCH)
            .map(|v| v.to_str().unwrap_or("\u{0}")),
    )
}

/// `body` with its ETag and `status`; a GET whose `If-None-Match` names the
/// tag gets 304 and no body.
pub fn tagged(
    req: &HttpRequest,
    status: StatusCode,
    etag: String,
    body: &impl Serialize,
) -> HttpResponse {
    let inm = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if req.method() == actix_web::http::Method::GET && none_match(inm, &etag) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish();
    }
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag))
        .json(body)
}
