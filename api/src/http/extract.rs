//! Request extractors that turn every malformed input into a problem that
//! names the field: bodies (`Json`), query strings (`Query`) and path ids.
use crate::kernel::field::FieldProblem;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

pub use crate::kernel::wire::{check_strings, parse_value, present, YEARS};
use crate::kernel::{
    error::{ApiError, FieldError},
    wire::{date_year, json_error, segment_pointer, serde_field_error, DATE_RANGE},
};

/// The largest request body accepted, set from `FIELDNOTES_MAX_BODY_BYTES`.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

/// A JSON body, deserialized with the path of the first bad field kept.
/// Anywhere in it, dates must lie within [`YEARS`] and no string (nor key)
/// may hold a NUL character, unless `DATES` is false: a body of independent
/// items (a phone's sync batch) checks each item itself with
/// [`check_strings`], so one bad item does not refuse the rest.
#[derive(Debug)]
pub struct Json<T, const DATES: bool = true>(pub T);

impl<T, const DATES: bool> std::ops::Deref for Json<T, DATES> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(ct) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(ct) = ct.to_str() else { return false };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    parse_json_checking(body, true)
}

fn parse_json_checking<T: DeserializeOwned>(body: &[u8], dates: bool) -> Result<T, ApiError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ApiError::BadRequest {
            code: "malformed_json",
            detail: "The request body is empty; a JSON document was expected.".into(),
        });
    }
    // A look at the whole document first, wherever in it: NUL characters
    // and dates no fieldwork can have (whose arithmetic would overflow).
    // First, so that a NUL is named even in a body that is wrong otherwise.
    if dates {
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
            check_strings(&value, "")?;
        }
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(json_error)
}

/// The largest body this server reads, and the length the request declares.
fn body_size(req: &HttpRequest) -> (usize, Option<usize>) {
    let limit = req
        .app_data::<BodyLimit>()
        .map(|l| l.0)
        .unwrap_or(4 * 1024 * 1024);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    (limit, declared)
}

/// The whole body, refused with 413 past `limit` bytes.
async fn read_body(
    payload: &mut Payload,
    declared: Option<usize>,
    limit: usize,
) -> Result<web::BytesMut, ApiError> {
    let too_large = || {
        ApiError::status(
            actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("The request body is larger than {limit} bytes."),
        )
    };
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest {
            code: "bad_payload",
            detail: format!("The request body could not be read: {e}"),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The media type of a Word document (`.docx`).
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// What a file sent as the whole body may be: its media types, and how to
/// say what to send.
pub trait FileKind {
    const TYPES: &'static [&'static str];
    const SEND: &'static str;
}

/// A file sent as the whole body, with one of its kind's media types (or
/// `application/octet-stream`), up to the server's body limit.
#[derive(Debug)]
pub struct Upload<K: FileKind>(pub web::Bytes, PhantomData<K>);

impl<K: FileKind + 'static> FromRequest for Upload<K> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (limit, declared) = body_size(req);
        let ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|v| K::TYPES.contains(&v.as_str()) || v == "application/octet-stream");
        let mut payload = payload.take();
        Box::pin(async move {
            if !ok {
                return Err(ApiError::status(
                    actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    K::SEND,
                ));
            }
            Ok(Upload(
                read_body(&mut payload, declared, limit).await?.freeze(),
                PhantomData,
            ))
        })
    }
}

/// A Word document (`.docx`).
#[derive(Debug)]
pub struct Docx;

impl FileKind for Docx {
    const TYPES: &'static [&'static str] = &[DOCX];
    const SEND: &'static str = "Send the Word document as the body, with `Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document`.";
}

/// A Word document (`.docx`) sent as the whole body.
pub type DocxBody = Upload<Docx>;

/// The media type of a CSV file.
pub const CSV: &str = "text/csv";

/// A CSV file.
#[derive(Debug)]
pub struct Csv;

impl FileKind for Csv {
    const TYPES: &'static [&'static str] = &[CSV, "application/csv", "text/plain"];
    const SEND: &'static str = "Send the CSV file as the body, with `Content-Type: text/csv`.";
}

/// A CSV file sent as the whole body.
pub type CsvBody = Upload<Csv>;

/// The media type of an XML document.
pub const XML: &str = "application/xml";

/// An XML document (a REFI-QDA codebook, `.qdc`).
#[derive(Debug)]
pub struct Xml;

impl FileKind for Xml {
    const TYPES: &'static [&'static str] = &[XML, "text/xml"];
    const SEND: &'static str =
        "Send the codebook file (.qdc) as the body, with `Content-Type: application/xml`.";
}

/// An XML document sent as the whole body.
pub type XmlBody = Upload<Xml>;

impl<T: DeserializeOwned + 'static, const DATES: bool> FromRequest for Json<T, DATES> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (limit, declared) = body_size(req);
        let json = is_json(req);
        let mut payload = payload.take();
        Box::pin(async move {
            if !json {
                return Err(ApiError::status(
                    actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "Send the body as JSON with `Content-Type: application/json`.",
                ));
            }
            let body = read_body(&mut payload, declared, limit).await?;
            parse_json_checking(&body, DATES).map(Json)
        })
    }
}

/// A JSON body that may be left out: no body (`Content-Length: 0`, or no
/// length, no chunked body and no content type) or `null` is `None`; any
/// other body is read exactly as [`Json`] reads it, so a malformed one is
/// still refused.
#[derive(Debug)]
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let h = req.headers();
        let declared = h
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim() == "0");
        let none = declared.unwrap_or(
            !h.contains_key(header::TRANSFER_ENCODING) && !h.contains_key(header::CONTENT_TYPE),
        );
        if none {
            return Box::pin(std::future::ready(Ok(OptionalJson(None))));
        }
        // A body of `null` is no body too (the document says either).
        let body = Json::<Option<T>>::from_request(req, payload);
        Box::pin(async move { Ok(OptionalJson(body.await?.0)) })
    }
}

/// A query string, deserialized with the offending parameter named.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    // NUL characters and impossible years first, so that they are named
    // even in a query that is wrong otherwise (a required parameter left out).
    let mut errors: Vec<FieldError> = form_urlencoded::parse(query.as_bytes())
        .filter_map(|(k, v)| {
            let pointer = || format!("/{}", crate::kernel::error::pointer_segment(&k));
            if k.contains('\0') || v.contains('\0') {
                Some(FieldError::new(pointer(), FieldProblem::Nul))
            } else if date_year(&v).is_some_and(|y| !YEARS.contains(&y)) {
                Some(FieldError::new(pointer(), DATE_RANGE))
            } else {
                None
            }
        })
        .collect();
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    match serde_path_to_error::deserialize(de) {
        Ok(parsed) if errors.is_empty() => Ok(parsed),
        Ok(_) => Err(ApiError::Validation(errors)),
        Err(e) => {
            let pointer = segment_pointer(e.path());
            if !errors.iter().any(|x| x.pointer == pointer) {
                errors.push(serde_field_error(pointer, &e.inner().to_string()));
            }
            Err(ApiError::Validation(errors))
        }
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

/// Path parameters that do not parse (a malformed id) are a 422 naming the parameter.
pub fn path_error(err: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    // `PATCH /notes/sync` reaches `PATCH /notes/{id}`: it is a wrong method
    // on a real resource, not a bad id.
    if let Some(table) = req.app_data::<actix_web::web::Data<crate::app::startup::RouteTable>>() {
        if let Some(allow) = table.literal(req.path()) {
            return ApiError::MethodNotAllowed { allow }.into();
        }
    }
    let bad = req
        .match_info()
        .iter()
        .find(|(_, v)| uuid::Uuid::parse_str(v).is_err() && v.parse::<u32>().is_err())
        .map(|(k, _)| k.to_string())
        .unwrap_or_else(|| "id".to_string());
    let _ = err;
    ApiError::field(format!("/{bad}"), FieldProblem::Uuid).into()
}

impl FromRequest for crate::kernel::access::Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        use actix_web::HttpMessage;
        // Usually resolved already, before any extractor ran (see
        // [`resolve_caller`]).
        if let Some(p) = req
            .extensions()
            .get::<crate::kernel::access::Principal>()
            .cloned()
        {
            return Box::pin(async move { Ok(p) });
        }
        let req = req.clone();
        Box::pin(async move { caller(&req).await })
    }
}

/// The route template a request matched (`/api/v1/notes/{id}`), or `None`
/// when none did. actix answers `match_pattern` by matching the path against
/// the route table again (a regular expression per route with a parameter),
/// and the metrics, the key-scope check and the second-factor check all ask:
/// so it is worked out once per request and kept in the request's
/// extensions.
pub fn route_template(req: &HttpRequest) -> Option<std::rc::Rc<str>> {
    use actix_web::HttpMessage;
    #[derive(Clone)]
    struct Template(Option<std::rc::Rc<str>>);
    if let Some(t) = req.extensions().get::<Template>() {
        return t.0.clone();
    }
    let t: Option<std::rc::Rc<str>> = req.match_pattern().map(Into::into);
    req.extensions_mut().insert(Template(t.clone()));
    t
}

/// Who is calling, with what they may do here checked: the operation's row
/// of the permission table (role, API key and scope), and a person's second
/// factor where their role requires one.
async fn caller(req: &HttpRequest) -> Result<crate::kernel::access::Principal, ApiError> {
    let state = req
        .app_data::<web::Data<crate::app::state::AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("state missing")))?;
    let token = crate::http::caller::bearer(req).ok_or_else(|| {
        ApiError::unauthorized("Send `Authorization: Bearer <access token or API key>`.")
    })?;
    let p = crate::kernel::access::authenticate(&state.read, &state.jwt, &token).await?;
    let pattern = route_template(req);
    crate::kernel::access::permissions::check(req.method().as_str(), pattern.as_deref(), &p)?;
    if p.second_factor_missing && !serves_enrolment(pattern.as_deref()) {
        return Err(crate::access::mfa::enrolment_required());
    }
    crate::access::auth::note_use(&state.writer, &p);
    Ok(p)
}

/// Middleware: resolves the caller of a request to an operation that needs
/// one (it is not public in the permission table) and carries a bearer
/// token, before the handler's extractors run, and refuses at once a caller
/// the table does not let in (a role below the operation's, a key where
/// only a person may, a key without the scope) or a person who must first
/// set up a second factor. Extractors run concurrently, so without this a malformed
/// body could be answered 422 before the missing scope is noticed. A token
/// that does not resolve is left to the handler, which answers 401 where it
/// needs a caller.
pub async fn resolve_caller(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::HttpMessage;
    let public = crate::kernel::access::permissions::is_public(
        req.method().as_str(),
        route_template(req.request()).as_deref(),
    );
    if !public && crate::http::caller::bearer(req.request()).is_some() {
        match caller(req.request()).await {
            Ok(p) => {
                req.extensions_mut().insert(p);
            }
            Err(e @ (ApiError::Status { .. } | ApiError::Forbidden(_))) => {
                return Ok(req.error_response(e).map_into_right_body());
            }
            Err(_) => {}
        }
    }
    next.call(req).await.map(|r| r.map_into_left_body())
}

/// What a person whose role must use a second factor may do before their
/// sign-in has one: see who they are, set the factor up, sign out, and see
/// or end their sign-ins.
fn serves_enrolment(pattern: Option<&str>) -> bool {
    const OPEN: &[&str] = &[
        "/me",
        "/me/mfa",
        "/me/mfa/totp",
        "/me/mfa/totp/confirm",
        "/me/sessions",
        "/me/sessions/{id}",
        "/auth/logout",
    ];
    pattern
        .and_then(|p| p.strip_prefix("/api/v1"))
        .is_some_and(|p| OPEN.contains(&p))
}
