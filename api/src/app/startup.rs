//! Builds the application: one route table, mounted on the server and turned
//! into the OpenAPI document, so the two cannot disagree.
use std::{net::TcpListener, sync::Arc};

use actix_web::{
    body::{BoxBody, EitherBody},
    dev::{Server, ServiceResponse},
    http::{header, Method, StatusCode},
    middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers},
    web, App, HttpRequest, HttpResponse, HttpServer, ResponseError,
};
use anyhow::Context;
use tokio::sync::Notify;
use utoipa::{
    openapi::{
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
        ContentBuilder, OpenApi as OpenApiDoc, RefOr, ResponseBuilder,
    },
    Modify, OpenApi,
};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    app::state::AppState,
    http::extract::BodyLimit,
    kernel::config::Settings,
    kernel::{
        access::tokens::JwtKeys,
        error::{ApiError, PROBLEM_JSON},
    },
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fieldnotes API",
        description = "Field notes, interviews, screening-gated consent and postponements for qualitative fieldwork with vulnerable participants.\n\nAuthenticate with `POST /api/v1/auth/login`, then send `Authorization: Bearer <access_token>` (or an API key `fnk_…`). Every error is `application/problem+json` (RFC 9457) with a stable `code`.",
        contact(name = "The team that runs this Fieldnotes server"),
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later")
    ),
    servers((url = "/", description = "The server that serves this document")),
    modifiers(&SecurityAddon),
    components(schemas(
        crate::kernel::error::Problem,
        crate::kernel::field::FieldErrorDoc,
        crate::analysis::exports::CsvKind
    )),
    tags(
        (name = "health", description = "Liveness"),
        (name = "auth", description = "Sign-in, tokens, invitations, password resets"),
        (name = "security", description = "Two-factor sign-in, a person's sign-ins (devices), sign-in rules"),
        (name = "users", description = "The team"),
        (name = "sites", description = "Clinics"),
        (name = "api-keys", description = "Keys for external apps"),
        (name = "audit", description = "The audit log"),
        (name = "changes", description = "The change feed: what changed, for external apps to follow"),
        (name = "webhooks", description = "Signed deliveries of changes to other apps (Standard Webhooks)"),
        (name = "participants", description = "Participants, by pseudonym only"),
        (name = "notes", description = "Field notes: idempotent offline sync, search, versioned edits"),
        (name = "codebook", description = "Hierarchical codes, and codings of passages of notes and transcripts"),
        (name = "transcripts", description = "De-identified interview transcripts, versioned"),
        (name = "exports", description = "Hand-off to analysis: a REFI-QDA project (.qdpx) and CSV files"),
        (name = "interviews", description = "Scheduling, postponements, split sessions, waves, who is due"),
        (name = "calendar", description = "Secret calendar feeds (iCalendar)"),
        (name = "reports", description = "Fieldwork numbers for a methods section"),
        (name = "readiness", description = "Screening instruments, screenings, readiness decisions and consent"),
    )
)]
struct ApiDoc;

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT access token, or an API key fnk_…")
                    .description(Some("A signed-in person's access token, or an API key (`fnk_…`) that holds every scope the operation lists."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "person",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT access token")
                    .description(Some("A signed-in person's access token. API keys are refused: the operation is about the person themself (their sign-ins, keys, second factor) or acts for them."))
                    .build(),
            ),
        );
    }
}

/// A response that is a problem document, described as `description`.
fn problem_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        "Problem",
                    ))))
                    .build(),
            )
            .build(),
    )
}

/// Every operation can fail with a problem document; say so in the contract.
fn add_default_problem(doc: &mut OpenApiDoc) {
    for item in doc.paths.paths.values_mut() {
        for (_, op) in operations_mut(item) {
            op.responses
                .responses
                .entry("default".to_string())
                .or_insert_with(|| problem_response("A problem (RFC 9457); `code` says which"));
        }
    }
}

/// Every operation's own error answers, so a client meets no problem that
/// only `default` announces: 401 and 403 as the permission table decides;
/// 404 where the path names an object; 400, 413, 415 where a body is read;
/// 422 where anything sent is validated; 429 where a sign-in or a second
/// factor's code is counted; 500 and 503 everywhere. Each is a problem
/// document whose description names its usual codes. What an operation
/// declares itself (a 409 with its reasons, a 412) stays as written.
fn add_problem_responses(doc: &mut OpenApiDoc) {
    use crate::kernel::access::permissions::{self, Access};
    use utoipa::openapi::path::ParameterIn;
    // Request bodies with a `code` member: a second factor's code.
    let schemas = doc
        .components
        .as_ref()
        .map(|c| c.schemas.clone())
        .unwrap_or_default();
    let takes_code = |op: &utoipa::openapi::path::Operation| {
        let Some(body) = &op.request_body else {
            return false;
        };
        body.content.values().any(|c| match &c.schema {
            Some(RefOr::Ref(r)) => r
                .ref_location
                .rsplit('/')
                .next()
                .and_then(|name| schemas.get(name))
                .and_then(|s| serde_json::to_value(s).ok())
                .is_some_and(|v| v["properties"].get("code").is_some()),
            _ => false,
        })
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, op) in operations_mut(item) {
            let access = permissions::access(method, path);
            let body = op.request_body.is_some();
            let params = op
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Path));
            let throttled = takes_code(op) || path == "/api/v1/auth/login";
            let mut answers: Vec<(&str, &str)> = Vec::new();
            if body {
                answers.push((
                    "400",
                    "The body is not JSON (`malformed_json`) or could not be read (`bad_payload`).",
                ));
            }
            match access {
                Some(Access::Public) | None => {}
                Some(Access::AnyCaller) => {
                    answers.push(("401", "No valid access token or API key (`unauthorized`)."));
                }
                Some(_) => {
                    answers.push(("401", "No valid access token or API key (`unauthorized`)."));
                    answers.push(("403", "The caller may not do this: a role below the operation's (`forbidden`), an API key without its scope (`missing_scope`, with `missing_scopes`) or where only a person may (`not_for_api_keys`), or a person who must first set up a second factor (`mfa_required`)."));
                }
            }
            if path.contains('{') {
                answers.push(("404", "No such object, or one at a site the caller does not see (`not_found`): the two are told apart by nobody."));
            }
            if body {
                answers.push((
                    "413",
                    "The body is larger than the server takes (`payload_too_large`).",
                ));
                answers.push(("415", "The body is not of the media type the operation reads (`unsupported_media_type`)."));
            }
            if body || params {
                answers.push(("422", "Something sent is invalid (`validation_failed`): `errors` names each field by JSON pointer, with a `code` and `params`."));
            }
            if throttled {
                answers.push(("429", "Too many attempts for this account or address (`too_many_requests`): try again after `Retry-After` seconds."));
            }
            answers.push(("5XX", "The server failed (`internal_error`; the log has the request id) or cannot reach its database (`unavailable`)."));
            for (status, description) in answers {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| problem_response(description));
            }
        }
    }
}

/// Each problem response names the codes of its status: the schema
/// `Problem<status>` (`Problem409`, `Problem4XX`, `ProblemDefault`) is the
/// problem with `code` an enum of [`crate::kernel::error::CODES`] for that
/// status, so a client can switch on the code and a test holds every
/// answer to it.
fn problem_codes(doc: &mut OpenApiDoc) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    let Some(problem) = components
        .schemas
        .get("Problem")
        .and_then(|s| serde_json::to_value(s).ok())
    else {
        return;
    };
    let mut made: std::collections::BTreeMap<String, RefOr<utoipa::openapi::schema::Schema>> =
        Default::default();
    for item in doc.paths.paths.values_mut() {
        for (_, op) in operations_mut(item) {
            for (status, response) in op.responses.responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                let codes = crate::kernel::error::codes_for(status);
                if codes.is_empty() {
                    continue;
                }
                let name = match status.as_str() {
                    "default" => "ProblemDefault".to_string(),
                    s => format!("Problem{s}"),
                };
                let mut used = false;
                for (media, content) in response.content.iter_mut() {
                    let generic = matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location == "#/components/schemas/Problem");
                    if media.as_str() == "application/problem+json" && generic {
                        content.schema =
                            Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(&name)));
                        used = true;
                    }
                }
                if used && !made.contains_key(&name) {
                    let mut schema = problem.clone();
                    if let Some(parts) = schema["allOf"].as_array_mut() {
                        for part in parts {
                            if let Some(code) = part.pointer_mut("/properties/code") {
                                code["enum"] = serde_json::json!(codes);
                            }
                        }
                    }
                    schema["description"] = serde_json::json!(format!(
                        "An RFC 9457 problem document of status {status}: its `code` is one of these."
                    ));
                    if let Ok(s) = serde_json::from_value(schema) {
                        made.insert(name, s);
                    }
                }
            }
        }
    }
    components.schemas.extend(made);
}

fn build_app_parts() -> (
    App<
        impl actix_web::dev::ServiceFactory<
            actix_web::dev::ServiceRequest,
            Config = (),
            Response = ServiceResponse,
            Error = actix_web::Error,
            InitError = (),
        >,
    >,
    OpenApiDoc,
) {
    let (app, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        // Registered before the `/api/v1` scope, which would otherwise answer 404 for it.
        .map(|app| app.route("/api/v1/openapi.json", web::get().to(serve_openapi)))
        .service(crate::http::health::health)
        .service(crate::http::health::live)
        .service(crate::http::health::ready)
        .service(utoipa_actix_web::scope("/api/v1").configure(crate::http::routes::configure))
        .split_for_parts();
    add_problem_responses(&mut doc);
    add_default_problem(&mut doc);
    problem_codes(&mut doc);
    apply_permissions(&mut doc);
    plain_types(&mut doc);
    (app, doc)
}

/// Each operation's security requirement and the sentence of its
/// description that says who may call it, from the permission table (the
/// one place it is declared), and the scopes in the security scheme. An
/// operation missing from the table gets a requirement no caller meets, so
/// the drift test and every call of it fail until it has a row.
fn apply_permissions(doc: &mut OpenApiDoc) {
    use crate::kernel::access::permissions;
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, op) in operations_mut(item) {
            let security = match permissions::access(method, path) {
                Some(access) => {
                    let who = permissions::who(access);
                    op.description = Some(match op.description.take() {
                        Some(d) if !d.is_empty() => format!("{d}\n\n{who}"),
                        _ => who,
                    });
                    permissions::security(access)
                }
                None => serde_json::json!([{ "bearer": ["not-in-the-permission-table"] }]),
            };
            op.security = serde_json::from_value(security).ok();
        }
    }
    if let Some(components) = doc.components.as_mut() {
        if let Some(SecurityScheme::Http(http)) = components.security_schemes.get_mut("bearer") {
            http.description = Some(permissions::scopes_described());
        }
    }
}

/// What generators read plainly: a file download (a `.qdpx`, a CSV, an
/// iCalendar feed) is a string of bytes with its media type, not a list of
/// numbers; a header is an optional string, never a `null`.
fn plain_types(doc: &mut OpenApiDoc) {
    use utoipa::openapi::{
        path::ParameterIn,
        schema::{ObjectBuilder, SchemaFormat, Type},
    };
    let string = || ObjectBuilder::new().schema_type(Type::String);
    for item in doc.paths.paths.values_mut() {
        for (_, op) in operations_mut(item) {
            for p in op.parameters.iter_mut().flatten() {
                if p.parameter_in == ParameterIn::Header {
                    p.schema = Some(string().build().into());
                }
            }
            for r in op.responses.responses.values_mut() {
                let RefOr::T(r) = r else { continue };
                for (media, c) in r.content.iter_mut() {
                    if !media.contains("json") {
                        c.schema = Some(
                            string()
                                .format(Some(SchemaFormat::Custom("binary".into())))
                                .content_media_type(media.clone())
                                .build()
                                .into(),
                        );
                    }
                }
            }
        }
    }
}

/// The operations of one path of the document, with their methods.
pub(crate) fn operations(
    item: &utoipa::openapi::path::PathItem,
) -> impl Iterator<Item = (&'static str, &utoipa::openapi::path::Operation)> {
    [
        ("GET", &item.get),
        ("POST", &item.post),
        ("PUT", &item.put),
        ("PATCH", &item.patch),
        ("DELETE", &item.delete),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.as_ref().map(|op| (m, op)))
}

/// [`operations`], to change them.
fn operations_mut(
    item: &mut utoipa::openapi::path::PathItem,
) -> impl Iterator<Item = (&'static str, &mut utoipa::openapi::path::Operation)> {
    [
        ("GET", &mut item.get),
        ("POST", &mut item.post),
        ("PUT", &mut item.put),
        ("PATCH", &mut item.patch),
        ("DELETE", &mut item.delete),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.as_mut().map(|op| (m, op)))
}

/// The policy of the API docs page: Swagger UI's own scripts and styles
/// from this server only (it sets style attributes from script).
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// API answers carry participant data and tokens: no cache (the browser's,
/// a proxy's) may keep them. The docs page gets its content policy.
fn private_headers(path: &str, headers: &mut actix_web::http::header::HeaderMap) {
    use actix_web::http::header::{HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY};
    if path.starts_with("/api/") && !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if path.starts_with("/docs") && !headers.contains_key(CONTENT_SECURITY_POLICY) {
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOCS_CSP));
    }
}

/// Cross-origin calls from the configured origins only
/// (`FIELDNOTES_CORS_ORIGINS`): a preflight from one of them is answered
/// with that exact origin, the methods and the request headers the API
/// reads; `ETag` and `Location` are readable by its script. Another origin
/// gets no CORS header (a preflight of it is refused), so its browser keeps
/// the answer from it. No cookies are used, so no credentials are allowed.
fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut c = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::ACCEPT_LANGUAGE,
        ])
        .expose_headers([header::ETAG, header::LOCATION, header::RETRY_AFTER])
        .max_age(3600);
    for o in origins {
        c = c.allowed_origin(o);
    }
    c
}

/// The document served at `/api/v1/openapi.json`.
#[derive(Clone)]
struct OpenApiJson(Arc<String>);

async fn serve_openapi(doc: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.0.as_str().to_string())
}

/// The OpenAPI document, exactly as the server serves it.
pub fn api_doc() -> OpenApiDoc {
    build_app_parts().1
}

/// The OpenAPI document as committed in `openapi/openapi.json`.
pub fn api_doc_json() -> String {
    let mut s = api_doc().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}

/// The lists of the OpenAPI document (every string enum among its schemas,
/// which are the service's Rust enums) and the codes of field errors, as an
/// ES module for the web client: `web/app/js/lists.js`, written by
/// `cargo run -p openapi` and drift-checked like the document. The client
/// takes its lists from here, so a new variant reaches it with no edit
/// beyond its words.
pub fn client_lists_js() -> String {
    use std::collections::BTreeMap;
    let doc = serde_json::to_value(api_doc()).unwrap_or_default();
    let strings = |v: &serde_json::Value| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|x| x.as_str().map(String::from))
            .collect()
    };
    let mut lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            if let Some(values) = strings(&schema["enum"]) {
                lists.insert(name.clone(), values);
            }
        }
    }
    let pretty = |v: serde_json::Value| serde_json::to_string_pretty(&v).unwrap_or_default();
    format!(
        "// Generated by `cargo run -p openapi` from the OpenAPI document: every\n\
         // list (string enum) of its schemas, and the codes of field errors. Do\n\
         // not edit; the test `client_lists_are_committed` fails when it is stale.\n\
         export const LISTS = {};\n\nexport const FIELD_CODES = LISTS.FieldCode;\n",
        pretty(serde_json::json!(lists))
    )
}

/// Path templates and their methods, to answer 405 (with `Allow`) instead of 404.
#[derive(Clone)]
pub(crate) struct RouteTable(Arc<Vec<(Vec<String>, Vec<&'static str>)>>);

impl RouteTable {
    fn from_doc(doc: &OpenApiDoc) -> Self {
        let mut out = Vec::new();
        for (path, item) in &doc.paths.paths {
            let segs = path.split('/').map(str::to_string).collect();
            let methods = operations(item).map(|(m, _)| m).collect();
            out.push((segs, methods));
        }
        RouteTable(Arc::new(out))
    }

    /// The methods of a template that matches `path` with no placeholder,
    /// e.g. `/notes/sync` (which a request could also reach as `/notes/{id}`).
    pub(crate) fn literal(&self, path: &str) -> Option<String> {
        let segs: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .find(|(tpl, _)| tpl.len() == segs.len() && tpl.iter().zip(&segs).all(|(t, s)| t == s))
            .map(|(_, m)| m.join(", "))
    }

    fn allowed(&self, path: &str) -> Option<String> {
        let segs: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .find(|(tpl, _)| {
                tpl.len() == segs.len()
                    && tpl
                        .iter()
                        .zip(&segs)
                        .all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
            })
            .map(|(_, m)| m.join(", "))
    }
}

async fn not_found(req: HttpRequest, table: web::Data<RouteTable>) -> HttpResponse {
    if let Some(res) = crate::http::assets::asset(&req) {
        return res;
    }
    if let Some(allow) = table.allowed(req.path()) {
        if req.method() == Method::OPTIONS {
            return HttpResponse::NoContent()
                .insert_header((header::ALLOW, allow))
                .finish();
        }
        return ApiError::MethodNotAllowed { allow }.error_response();
    }
    ApiError::status(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("There is nothing at {}.", req.path()),
    )
    .error_response()
}

fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        408 => "request_timeout",
        411 => "length_required",
        413 => "payload_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        431 => "headers_too_large",
        s if s >= 500 => "internal_error",
        _ => "bad_request",
    }
}

/// The safety net: any error response not already a problem document (from
/// actix itself, e.g. a malformed header) is rewritten as one.
fn problemize<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let detail = if status.is_server_error() {
        "Something went wrong on our side. It has been logged; please try again.".to_string()
    } else {
        status.canonical_reason().unwrap_or("Error").to_string()
    };
    let (req, _) = res.into_parts();
    let new: HttpResponse<BoxBody> =
        ApiError::status(status, code_for(status), detail).error_response();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new)
            .map_into_right_body::<B>()
            .map_body(|_, b| match b {
                EitherBody::Left { body } => EitherBody::Left { body },
                EitherBody::Right { body } => EitherBody::Right { body },
            }),
    ))
}

pub struct Application {
    server: Server,
    /// `FIELDNOTES_METRICS_BIND`'s listener, when set.
    metrics_server: Option<Server>,
    port: u16,
    pub state: AppState,
    /// The background jobs: the outbox worker and the feed's sequencer.
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Connects, migrates, starts the outbox worker and binds the listener.
    /// Binding port 0 picks a free port (tests do this).
    pub async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        settings
            .ensure_jwt_secret()
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        let db = crate::app::db::connect(&settings).await?;
        crate::app::db::migrate(&db).await?;
        let read = crate::app::db::connect_reader(&settings, &db).await?;
        let exports_db = crate::app::db::connect_exports(&settings, &read).await?;
        let settings = Arc::new(settings);
        if settings.is_sqlite() {
            crate::app::db::spawn_checkpointer(&settings).await?;
        }
        let group = Some(crate::notes::group_commit::NotesWriter::spawn(db.clone())?);
        let state = AppState {
            writer: crate::kernel::writer::Writer {
                db: db.clone(),
                group,
            },
            db,
            read,
            jwt: Arc::new(JwtKeys::new(&settings.jwt_secret)),
            settings: settings.clone(),
            outbox_wake: Arc::new(Notify::new()),
            known_sites: Default::default(),
            exports: crate::analysis::exports::ExportSlots::new(settings.max_exports, exports_db),
        };
        let workers = if settings.run_workers {
            vec![
                crate::app::jobs::spawn_worker(
                    state.db.clone(),
                    settings.clone(),
                    state.outbox_wake.clone(),
                )?,
                crate::app::jobs::spawn_sequencer(state.db.clone()),
                crate::integrations::delivery::spawn_sender(state.db.clone(), settings.clone())?,
            ]
        } else {
            Vec::new()
        };
        crate::http::metrics::handle();
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("FIELDNOTES_BIND: cannot listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let server = Self::server(listener, state.clone())?;
        let metrics_server = match settings.metrics_bind {
            Some(addr) => {
                let listener = TcpListener::bind(addr)
                    .with_context(|| format!("FIELDNOTES_METRICS_BIND: cannot listen on {addr}"))?;
                let data = web::Data::new(state.clone());
                Some(
                    HttpServer::new(move || {
                        App::new().app_data(data.clone()).route(
                            "/metrics",
                            web::get().to(crate::http::metrics::on_metrics_port),
                        )
                    })
                    .workers(1)
                    .listen(listener)?
                    .shutdown_timeout(2)
                    .run(),
                )
            }
            None => None,
        };
        Ok(Application {
            server,
            metrics_server,
            port,
            state,
            workers,
        })
    }

    fn server(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
        let limit = BodyLimit(state.settings.max_body_bytes);
        let proxies =
            crate::http::caller::TrustedProxies(Arc::new(state.settings.trusted_proxies.clone()));
        let origins = state.settings.cors_origins.clone();
        let data = web::Data::new(state);
        let server = HttpServer::new(move || {
            let (app, doc) = build_app_parts();
            let table = web::Data::new(RouteTable::from_doc(&doc));
            let json = web::Data::new(OpenApiJson(Arc::new(
                doc.to_pretty_json().unwrap_or_default() + "\n",
            )));
            app.app_data(data.clone())
                .app_data(limit)
                .app_data(proxies.clone())
                .app_data(table)
                .app_data(json)
                .app_data(
                    web::PathConfig::default().error_handler(crate::http::extract::path_error),
                )
                .route(
                    "/metrics",
                    web::get().to(crate::http::metrics::on_main_port),
                )
                .service(web::redirect("/docs", "/docs/"))
                .service(SwaggerUi::new("/docs/{_:.*}").url("/api/v1/openapi.json", doc))
                .default_service(web::to(not_found))
                .wrap(actix_web::middleware::from_fn(
                    crate::http::extract::resolve_caller,
                ))
                // Outside the caller check, so a preflight needs no token.
                .wrap(actix_web::middleware::Condition::new(
                    !origins.is_empty(),
                    cors(&origins),
                ))
                .wrap(ErrorHandlers::new().default_handler(problemize))
                .wrap(actix_web::middleware::Compress::default())
                .wrap_fn(|req, srv| {
                    use actix_web::dev::Service;
                    let path = req.path().to_string();
                    let fut = srv.call(req);
                    async move {
                        let mut res = fut.await?;
                        private_headers(&path, res.headers_mut());
                        Ok(res)
                    }
                })
                .wrap(
                    DefaultHeaders::new()
                        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                        .add((header::REFERRER_POLICY, "no-referrer"))
                        .add((header::X_FRAME_OPTIONS, "DENY")),
                )
                .wrap(actix_web::middleware::from_fn(crate::http::metrics::record))
                .wrap(tracing_actix_web::TracingLogger::<RedactedRootSpan>::new())
        })
        .listen(listener)?
        .shutdown_timeout(10)
        .run();
        Ok(server)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics_server.map(|m| {
            let handle = m.handle();
            (tokio::spawn(m), handle)
        });
        let res = self.server.await;
        if let Some((task, handle)) = metrics {
            handle.stop(true).await;
            let _ = task.await;
        }
        for w in self.workers {
            w.abort();
        }
        res
    }
}

/// The request span of every log line: the default fields, but a target
/// with no secrets. A calendar feed's path is its password and a query
/// string holds search words, so neither reaches the log.
pub struct RedactedRootSpan;

impl tracing_actix_web::RootSpanBuilder for RedactedRootSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.target = %redacted_target(request.path(), request.query_string()),
            http.client_ip = %request.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default(),
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// A request's path as the log shows it: a calendar feed's secret replaced,
/// and a query string reduced to its parameter names.
pub fn redacted_target(path: &str, query: &str) -> String {
    let path = match path.strip_prefix("/api/v1/calendar/") {
        Some(rest) if rest.ends_with(".ics") => "/api/v1/calendar/{token}.ics".to_string(),
        Some(_) => "/api/v1/calendar/{token}".to_string(),
        None => path.to_string(),
    };
    if query.is_empty() {
        return path;
    }
    let names: Vec<String> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, _)| {
            k.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect();
    format!("{path}?{}", names.join("&"))
}

#[cfg(test)]
mod tests {
    use super::redacted_target;

    /// Every operation lists its own error answers (issue 31): a 4XX for
    /// anything a caller can get wrong, and 5XX.
    #[test]
    fn every_operation_lists_its_own_problems() {
        let doc = super::api_doc();
        let mut checked = 0;
        for (path, item) in &doc.paths.paths {
            for (method, op) in super::operations(item) {
                let codes: Vec<&str> = op.responses.responses.keys().map(String::as_str).collect();
                assert!(codes.contains(&"5XX"), "{method} {path}: {codes:?}");
                if path.starts_with("/health") {
                    continue;
                }
                assert!(
                    codes.iter().any(|c| c.starts_with('4')),
                    "{method} {path} declares no 4XX: {codes:?}"
                );
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                if secured {
                    assert!(codes.contains(&"401"), "{method} {path}: {codes:?}");
                }
                if path.contains('{') {
                    assert!(codes.contains(&"404"), "{method} {path}: {codes:?}");
                }
                checked += 1;
            }
        }
        assert!(checked > 90, "{checked}");
    }

    #[test]
    fn the_log_never_shows_a_feed_secret_or_query_values() {
        assert_eq!(
            redacted_target("/api/v1/calendar/s3cr3t-t0ken.ics", ""),
            "/api/v1/calendar/{token}.ics"
        );
        assert_eq!(
            redacted_target("/api/v1/notes", "q=Ola%20Nordmann&limit=5"),
            "/api/v1/notes?q&limit"
        );
        assert_eq!(redacted_target("/api/v1/me", ""), "/api/v1/me");
        assert!(!redacted_target("/api/v1/calendar/abc", "").contains("abc"));
    }
}

/// No two types may give the OpenAPI document the same schema name: utoipa
/// keeps the last one registered, silently, and a client generated from
/// the document then sends or reads the wrong shape (issue 31).
#[cfg(test)]
mod schema_names {
    use std::collections::BTreeMap;

    /// The schema name of every type deriving `ToSchema` in `files`
    /// (`#[schema(as = Name)]` when it gives one), with where it is.
    fn names(files: &[(String, String)]) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (path, text) in files {
            let (mut pending, mut alias) = (false, None::<String>);
            // A derive may run over several lines.
            let mut derive: Option<String> = None;
            for (i, line) in text.lines().enumerate() {
                let t = line.trim();
                if t.starts_with("#[derive(") || derive.is_some() {
                    let d = derive.get_or_insert_with(String::new);
                    d.push_str(t);
                    if t.ends_with(")]") {
                        if d.contains("ToSchema") {
                            (pending, alias) = (true, None);
                        }
                        derive = None;
                    }
                    continue;
                }
                if !pending {
                    continue;
                }
                if let Some(rest) = t.split("schema(as = ").nth(1) {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                        .collect();
                    alias = name.rsplit("::").next().map(str::to_string);
                }
                let item = [
                    "pub struct ",
                    "pub enum ",
                    "pub(crate) struct ",
                    "pub(crate) enum ",
                    "struct ",
                    "enum ",
                ]
                .iter()
                .find_map(|k| t.strip_prefix(k));
                if let Some(rest) = item {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    out.entry(alias.take().unwrap_or(name))
                        .or_default()
                        .push(format!("{path}:{}", i + 1));
                    pending = false;
                }
            }
        }
        out
    }

    fn sources() -> Vec<(String, String)> {
        let mut files = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("source dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).expect("source");
                    files.push((path.display().to_string(), text));
                }
            }
        }
        files
    }

    #[test]
    fn no_two_types_share_a_schema_name() {
        let all = names(&sources());
        assert!(
            all.len() > 100,
            "the scan found the schemas ({})",
            all.len()
        );
        let clashes: Vec<_> = all.iter().filter(|(_, at)| at.len() > 1).collect();
        assert!(clashes.is_empty(), "schema names given twice: {clashes:?}");
    }

    #[test]
    fn a_clash_is_found() {
        let a = "#[derive(Debug, ToSchema)]\npub struct CodeIn {\n}\n".to_string();
        let b = "#[derive(Deserialize, ToSchema)]\n#[schema(as = CodeIn)]\npub struct SecondFactorCodeIn {\n}\n".to_string();
        let c = "#[derive(\n    Debug,\n    ToSchema,\n)]\npub enum CodeIn {\n}\n".to_string();
        let found = names(&[("a.rs".into(), a), ("b.rs".into(), b), ("c.rs".into(), c)]);
        assert_eq!(found["CodeIn"], ["a.rs:2", "b.rs:3", "c.rs:5"]);
    }
}
