//! The error policy of the service, in one place.
//!
//! * Every error leaves as `application/problem+json` (RFC 9457) with a stable
//!   machine-readable `code`. Clients branch on `code`, people read `detail`.
//! * Validation errors list every offending field as `{pointer, detail}` where
//!   `pointer` is a JSON pointer into the request body (or `/name` of a query
//!   or path parameter).
//! * A 5xx body never says anything internal: the log carries the whole error
//!   chain, tagged with the request id that the response also returns.
//! * Objects the caller may not see are reported exactly like objects that do
//!   not exist (404), so an error never reveals another site's data.
use actix_web::{
    http::{header, StatusCode},
    HttpResponse, ResponseError,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::kernel::field::FieldProblem;
/// One invalid field of a request; defined with the rules (which name the
/// fields they refuse) so that they need nothing of this module's HTTP.
pub use crate::kernel::field::{check_len, check_line, FieldError};

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank`-style tags under `/problems/`).
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `validation_failed`, `not_found`, `not_ready`.
    pub code: String,
    /// Present on validation errors: each invalid field.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<crate::kernel::field::FieldErrorDoc>>)]
    pub errors: Option<Vec<FieldError>>,
    /// Extra members of some problems (e.g. `current` on a 412, `reasons` on `not_ready`).
    #[serde(flatten, skip_serializing_if = "serde_json::Map::is_empty")]
    #[schema(value_type = ProblemExtras)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

/// The extra members a problem may carry, each present only on the
/// problems named (for the documentation; a problem is built with
/// `ApiError::with`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProblemExtras {
    /// On a 412 (`version_mismatch`): the object as it is now.
    #[schema(value_type = Option<Object>)]
    current: Option<serde_json::Value>,
    /// On a 412: the current ETag (also the answer's `ETag` header).
    etag: Option<String>,
    /// On `missing_scope`: the scopes the API key lacks.
    missing_scopes: Option<Vec<String>>,
    /// On `withdraw_consent`: the consent whose withdrawal is needed.
    consent_id: Option<uuid::Uuid>,
    /// On `interview_exists`, `interview_open`: the interview meant.
    interview_id: Option<uuid::Uuid>,
    /// On `interviewer_busy`: who is busy.
    interviewer_id: Option<uuid::Uuid>,
    /// On `instrument_in_use`: the instrument meant.
    instrument_id: Option<uuid::Uuid>,
    /// On `note_id_conflict`: the note id sent.
    id: Option<uuid::Uuid>,
    /// The field a conflict is about, as a JSON pointer into the request.
    pointer: Option<String>,
    /// On `code_has_children`: how many child codes.
    #[schema(minimum = 0)]
    children: Option<u64>,
    /// On `code_in_use`: how many notes and transcripts use the code.
    #[schema(minimum = 0)]
    count: Option<u64>,
    /// On `has_open_interviews`: the interviews that would be stranded.
    #[schema(value_type = Option<Vec<Object>>)]
    interviews: Option<Vec<serde_json::Value>>,
    /// On `not_ready`: the readiness outcome, its reasons and what to do.
    outcome: Option<String>,
    #[schema(value_type = Option<Vec<Object>>)]
    reasons: Option<Vec<serde_json::Value>>,
    next_step: Option<String>,
    /// On `not_ready` and sessions refused for readiness: the postponement
    /// reason to record.
    postpone_reason: Option<String>,
    /// On a session started on another day than planned.
    scheduled_on: Option<chrono::NaiveDate>,
    today: Option<chrono::NaiveDate>,
    /// On a change to an instrument version in use: where its versions are.
    versions_url: Option<String>,
}

/// Every problem `code` the service answers, with the HTTP status it comes
/// with: the one list. The OpenAPI document gives each error response of
/// each status the enum of its codes (`Problem409`, ...), schemathesis
/// checks every answer against it, and a test reads the source for every
/// code written and holds this list to it both ways.
pub const CODES: &[(u16, &str)] = &[
    (400, "bad_payload"),
    (400, "bad_request"),
    (400, "malformed_json"),
    (400, "not_a_session"),
    (401, "invalid_challenge"),
    (401, "invalid_credentials"),
    (401, "invalid_mfa_code"),
    (401, "invalid_refresh_token"),
    (401, "refresh_token_reused"),
    (401, "session_revoked"),
    (401, "unauthorized"),
    (403, "coordinator_required"),
    (403, "forbidden"),
    (403, "mfa_required"),
    (403, "missing_scope"),
    (403, "not_for_api_keys"),
    (403, "not_in_permission_table"),
    (403, "second_factor_sign_in_required"),
    (404, "not_found"),
    (405, "method_not_allowed"),
    (406, "not_acceptable"),
    (408, "request_timeout"),
    (409, "already_withdrawn"),
    (409, "code_has_children"),
    (409, "code_in_use"),
    (409, "code_name_taken"),
    (409, "code_used_elsewhere"),
    (409, "codebook_empty"),
    (409, "email_taken"),
    (409, "has_open_interviews"),
    (409, "instrument_immutable"),
    (409, "instrument_in_use"),
    (409, "instrument_key_taken"),
    (409, "instrument_outdated"),
    (409, "instrument_version_taken"),
    (409, "interview_changed"),
    (409, "interview_exists"),
    (409, "interview_closed"),
    (409, "interview_open"),
    (409, "interviewer_busy"),
    (409, "invitation_accepted"),
    (409, "mfa_already_enabled"),
    (409, "mfa_not_started"),
    (409, "no_consent"),
    (409, "no_sessions"),
    (409, "not_ready"),
    (409, "note_deleted"),
    (409, "note_id_conflict"),
    (409, "note_not_deleted"),
    (409, "note_redacted"),
    (409, "participant_not_active"),
    (409, "participant_withdrawn"),
    (409, "pseudonym_taken"),
    (409, "session_ended"),
    (409, "session_open"),
    (409, "session_on_other_day"),
    (409, "site_name_taken"),
    (409, "user_disabled"),
    (409, "withdraw_consent"),
    (411, "length_required"),
    (412, "version_mismatch"),
    (413, "payload_too_large"),
    (414, "uri_too_long"),
    (415, "unsupported_media_type"),
    (422, "docx_empty"),
    (422, "docx_unreadable"),
    (422, "invalid_token"),
    (422, "qdc_unreadable"),
    (422, "validation_failed"),
    (428, "if_match_required"),
    (429, "export_busy"),
    (429, "too_many_requests"),
    (431, "headers_too_large"),
    (500, "internal_error"),
    (503, "unavailable"),
];

/// The codes that come with `status` (`4XX`-style ranges and `default`
/// take every code of the range, or every code).
pub fn codes_for(status: &str) -> Vec<&'static str> {
    let range = |lo: u16, hi: u16| -> Vec<&'static str> {
        let mut v: Vec<&'static str> = CODES
            .iter()
            .filter(|(s, _)| (lo..=hi).contains(s))
            .map(|(_, c)| *c)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    match status {
        "default" => range(400, 599),
        "4XX" => range(400, 499),
        "5XX" => range(500, 599),
        s => s.parse().map(|n| range(n, n)).unwrap_or_default(),
    }
}

/// Logged by the request logger: its `Debug` says which error, never the
/// values a client sent or the data an answer carries (see below).
#[derive(thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("{detail}")]
    Unauthorized { code: &'static str, detail: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{detail}")]
    Conflict {
        code: &'static str,
        detail: String,
        extensions: serde_json::Map<String, serde_json::Value>,
    },
    #[error("{detail}")]
    Status {
        status: StatusCode,
        code: &'static str,
        detail: String,
        extensions: serde_json::Map<String, serde_json::Value>,
    },
    #[error("too many attempts")]
    TooManyRequests {
        code: &'static str,
        detail: String,
        retry_after_secs: u64,
    },
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("service unavailable")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What the log shows of an error: its kind, code and the fields it names.
/// Not the details (a serde message may quote the value sent) nor the
/// extensions (a conflict carries the current note's text).
impl std::fmt::Debug for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Validation(errors) => f
                .debug_struct("Validation")
                .field(
                    "pointers",
                    &errors
                        .iter()
                        .map(|e| e.pointer.as_str())
                        .collect::<Vec<_>>(),
                )
                .finish(),
            ApiError::BadRequest { code, .. } => write!(f, "BadRequest({code})"),
            ApiError::Unauthorized { code, .. } => write!(f, "Unauthorized({code})"),
            ApiError::Forbidden(_) => f.write_str("Forbidden"),
            ApiError::NotFound(what) => write!(f, "NotFound({what})"),
            ApiError::Conflict { code, .. } => write!(f, "Conflict({code})"),
            ApiError::Status { status, code, .. } => write!(f, "Status({status}, {code})"),
            ApiError::TooManyRequests {
                code,
                retry_after_secs,
                ..
            } => {
                write!(
                    f,
                    "TooManyRequests({code}, retry after {retry_after_secs} s)"
                )
            }
            ApiError::MethodNotAllowed { allow } => write!(f, "MethodNotAllowed({allow})"),
            ApiError::Unavailable => f.write_str("Unavailable"),
            ApiError::Internal(e) => write!(f, "Internal({e:#})"),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        ApiError::Internal(anyhow::Error::new(e))
    }
}

impl<E: Into<ApiError> + std::error::Error> From<sea_orm::TransactionError<E>> for ApiError {
    fn from(e: sea_orm::TransactionError<E>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(inner) => inner.into(),
        }
    }
}

/// A stored value this version does not know: the database, not the
/// request, is at fault.
impl From<crate::kernel::names::Unknown> for ApiError {
    fn from(e: crate::kernel::names::Unknown) -> Self {
        ApiError::Internal(anyhow::Error::new(e))
    }
}

impl ApiError {
    pub fn field(pointer: impl Into<String>, problem: FieldProblem) -> Self {
        ApiError::Validation(vec![FieldError::new(pointer, problem)])
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ApiError::Unauthorized {
            code: "unauthorized",
            detail: detail.into(),
        }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Conflict {
            code,
            detail: detail.into(),
            extensions: Default::default(),
        }
    }

    pub fn status(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Status {
            status,
            code,
            detail: detail.into(),
            extensions: Default::default(),
        }
    }

    /// 403 with its own code: who the caller is does not allow this (for
    /// services, which know no HTTP types).
    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::status(StatusCode::FORBIDDEN, code, detail)
    }

    /// 404 with its own words (a file by name, say, where "X not found"
    /// would not tell the caller what there is).
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::status(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// 412: the object changed since the caller loaded it.
    pub fn stale(code: &'static str, detail: impl Into<String>) -> Self {
        Self::status(StatusCode::PRECONDITION_FAILED, code, detail)
    }

    /// 412 with what is current: the caller's change was based on an older
    /// version. `current` is the object now, `etag` its tag (also sent as
    /// the answer's `ETag`, so the caller can retry against it).
    pub fn stale_current(
        code: &'static str,
        detail: impl Into<String>,
        current: serde_json::Value,
        etag: String,
    ) -> Self {
        Self::stale(code, detail)
            .with("current", current)
            .with("etag", serde_json::Value::String(etag))
    }

    /// 428: the change needs a precondition (`If-Match`).
    pub fn precondition_required(code: &'static str, detail: impl Into<String>) -> Self {
        Self::status(StatusCode::PRECONDITION_REQUIRED, code, detail)
    }

    /// 422 with its own code (not a field list).
    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> Self {
        Self::status(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }

    /// The same problem again (for answering several requests with one error).
    pub fn duplicate(&self) -> ApiError {
        match self {
            ApiError::Validation(e) => ApiError::Validation(e.clone()),
            ApiError::BadRequest { code, detail } => ApiError::BadRequest {
                code,
                detail: detail.clone(),
            },
            ApiError::Unauthorized { code, detail } => ApiError::Unauthorized {
                code,
                detail: detail.clone(),
            },
            ApiError::Forbidden(d) => ApiError::Forbidden(d.clone()),
            ApiError::NotFound(w) => ApiError::NotFound(w),
            ApiError::Conflict {
                code,
                detail,
                extensions,
            } => ApiError::Conflict {
                code,
                detail: detail.clone(),
                extensions: extensions.clone(),
            },
            ApiError::Status {
                status,
                code,
                detail,
                extensions,
            } => ApiError::Status {
                status: *status,
                code,
                detail: detail.clone(),
                extensions: extensions.clone(),
            },
            ApiError::TooManyRequests {
                code,
                detail,
                retry_after_secs,
            } => ApiError::TooManyRequests {
                code,
                detail: detail.clone(),
                retry_after_secs: *retry_after_secs,
            },
            ApiError::MethodNotAllowed { allow } => ApiError::MethodNotAllowed {
                allow: allow.clone(),
            },
            ApiError::Unavailable => ApiError::Unavailable,
            ApiError::Internal(e) => ApiError::Internal(anyhow::anyhow!("{e:#}")),
        }
    }

    /// Adds an extension member to a problem that carries them.
    pub fn with(mut self, key: &str, value: serde_json::Value) -> Self {
        match &mut self {
            ApiError::Conflict { extensions, .. } | ApiError::Status { extensions, .. } => {
                extensions.insert(key.to_string(), value);
            }
            _ => {}
        }
        self
    }

    fn parts(&self) -> (StatusCode, &str, String) {
        match self {
            ApiError::Validation(errs) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                match errs.as_slice() {
                    [one] => format!("{}: {}", one.pointer, one.detail),
                    _ => format!("{} fields are invalid", errs.len()),
                },
            ),
            ApiError::BadRequest { code, detail } => {
                (StatusCode::BAD_REQUEST, code, detail.clone())
            }
            ApiError::Unauthorized { code, detail } => {
                (StatusCode::UNAUTHORIZED, code, detail.clone())
            }
            ApiError::Forbidden(d) => (StatusCode::FORBIDDEN, "forbidden", d.clone()),
            ApiError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            ApiError::Conflict { code, detail, .. } => (StatusCode::CONFLICT, code, detail.clone()),
            ApiError::Status {
                status,
                code,
                detail,
                ..
            } => (*status, code, detail.clone()),
            ApiError::TooManyRequests { code, detail, .. } => {
                (StatusCode::TOO_MANY_REQUESTS, code, detail.clone())
            }
            ApiError::MethodNotAllowed { allow } => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("This resource supports: {allow}"),
            ),
            ApiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "The service cannot reach its database.".to_string(),
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Something went wrong on our side. It has been logged; please try again."
                    .to_string(),
            ),
        }
    }

    pub fn to_problem(&self) -> Problem {
        let (status, code, detail) = self.parts();
        let extensions = match self {
            ApiError::Conflict { extensions, .. } | ApiError::Status { extensions, .. } => {
                extensions.clone()
            }
            _ => Default::default(),
        };
        Problem {
            type_: format!("/problems/{}", code.replace('_', "-")),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            code: code.to_string(),
            errors: match self {
                ApiError::Validation(errs) => Some(errs.clone()),
                _ => None,
            },
            extensions,
        }
    }
}

pub const PROBLEM_JSON: &str = "application/problem+json";

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(e) = self {
            tracing::error!(error = ?e, "internal error");
        }
        let problem = self.to_problem();
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        match self {
            ApiError::TooManyRequests {
                retry_after_secs, ..
            } => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Unauthorized { .. } => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::MethodNotAllowed { allow } => {
                res.insert_header((header::ALLOW, allow.clone()));
            }
            ApiError::Status {
                status: StatusCode::PRECONDITION_FAILED,
                extensions,
                ..
            } => {
                if let Some(tag) = extensions.get("etag").and_then(|t| t.as_str()) {
                    res.insert_header((header::ETAG, tag.to_string()));
                }
            }
            _ => {}
        }
        res.body(serde_json::to_string(&problem).unwrap_or_else(|_| "{}".to_string()))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// A throttle's refusal (sign-in attempts): try again after `secs`.
    pub fn too_many_attempts(secs: u64) -> Self {
        ApiError::TooManyRequests {
            code: "too_many_requests",
            detail: format!("Too many attempts. Try again in {secs} seconds."),
            retry_after_secs: secs,
        }
    }
}

/// A text field as stored: trimmed, and absent when empty.
pub fn clean(value: Option<String>) -> Option<String> {
    value
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// One JSON-pointer segment (RFC 6901): `~` and `/` escaped.
pub fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod codes_tests {
    use super::CODES;
    use std::collections::BTreeSet;

    /// The codes the source writes, with their status: each constructor
    /// and struct literal of [`super::ApiError`] that takes a code literal.
    fn written() -> BTreeSet<(u16, String)> {
        const CALLS: &[(&str, u16)] = &[
            ("ApiError::conflict(", 409),
            ("ApiError::forbidden(", 403),
            ("ApiError::stale(", 412),
            ("ApiError::stale_current(", 412),
            ("ApiError::precondition_required(", 428),
            ("ApiError::unprocessable(", 422),
            ("BadRequest {", 400),
            ("Unauthorized {", 401),
            ("TooManyRequests {", 429),
            // the interview rules' refusals, answered as conflicts
            // (`From<interviews::rules::Refused>`)
            ("refuse(", 409),
        ];
        let mut found = BTreeSet::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        let literal = |rest: &str| -> Option<String> {
            let rest = rest.trim_start();
            let rest = rest
                .strip_prefix("code:")
                .map(str::trim_start)
                .unwrap_or(rest);
            let rest = rest.strip_prefix('"')?;
            let end = rest.find('"')?;
            let code = &rest[..end];
            code.chars()
                .all(|c| c.is_ascii_lowercase() || c == '_')
                .then(|| code.to_string())
        };
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("source dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("source");
                for (call, status) in CALLS {
                    for (at, _) in text.match_indices(call) {
                        if let Some(code) = literal(&text[at + call.len()..]) {
                            found.insert((*status, code));
                        }
                    }
                }
                // ApiError::status(StatusCode::X, "code", ...)
                for (at, _) in text.match_indices("ApiError::status(") {
                    let rest = text[at + "ApiError::status(".len()..].trim_start();
                    let Some(rest) = rest.strip_prefix("StatusCode::") else {
                        continue;
                    };
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                        .collect();
                    let status = status_named(&name);
                    let after = rest[name.len()..].trim_start().strip_prefix(',');
                    if let (Some(status), Some(code)) = (status, after.and_then(literal)) {
                        found.insert((status, code));
                    }
                }
                // The safety net's status → code table (app::startup) and
                // the fixed codes of kernel::error's own variants.
                for line in text.lines() {
                    let line = line.trim();
                    if let Some((status, rest)) = line.split_once(" => \"") {
                        if let (Ok(s), Some(code)) = (status.parse::<u16>(), rest.split('"').next())
                        {
                            found.insert((s, code.to_string()));
                        }
                    }
                }
            }
        }
        found
    }

    fn status_named(name: &str) -> Option<u16> {
        Some(match name {
            "BAD_REQUEST" => 400,
            "NOT_FOUND" => 404,
            "CONFLICT" => 409,
            "PAYLOAD_TOO_LARGE" => 413,
            "UNSUPPORTED_MEDIA_TYPE" => 415,
            "UNPROCESSABLE_ENTITY" => 422,
            "TOO_MANY_REQUESTS" => 429,
            "SERVICE_UNAVAILABLE" => 503,
            _ => return None,
        })
    }

    #[test]
    fn the_list_of_codes_is_the_codes_written() {
        let listed: BTreeSet<(u16, String)> =
            CODES.iter().map(|(s, c)| (*s, c.to_string())).collect();
        assert_eq!(listed.len(), CODES.len(), "a code listed twice");
        let written = written();
        assert!(written.len() >= 50, "the scan found only {written:?}");
        let missing: Vec<_> = written.difference(&listed).collect();
        assert!(
            missing.is_empty(),
            "written but not in kernel::error::CODES: {missing:?}"
        );
        // The fixed codes of ApiError's own variants.
        for fixed in [
            (422, "validation_failed"),
            (403, "forbidden"),
            (404, "not_found"),
            (405, "method_not_allowed"),
            (503, "unavailable"),
            (500, "internal_error"),
            (429, "too_many_requests"),
        ] {
            assert!(
                listed.contains(&(fixed.0, fixed.1.to_string())),
                "{fixed:?}"
            );
        }
        let unused: Vec<_> = listed
            .iter()
            .filter(|(_, c)| {
                !written.iter().any(|(_, w)| w == c)
                    && ![
                        "validation_failed",
                        "forbidden",
                        "not_found",
                        "method_not_allowed",
                        "unavailable",
                        "internal_error",
                        "too_many_requests",
                    ]
                    .contains(&c.as_str())
            })
            .collect();
        assert!(
            unused.is_empty(),
            "in kernel::error::CODES but never written: {unused:?}"
        );
    }
}
