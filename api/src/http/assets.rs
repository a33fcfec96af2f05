//! The mobile web client, embedded in the binary: one file deploys it. It is
//! served at `/` and calls the same `/api/v1` as any other client.
use actix_web::{
    http::{header, Method},
    HttpRequest, HttpResponse,
};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../web/app"]
struct Assets;

/// Everything the client may load comes from this server.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; manifest-src 'self'; worker-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The asset for a request path, or `None` when the client has no such file.
pub fn asset(req: &HttpRequest) -> Option<HttpResponse> {
    if !(req.method() == Method::GET || req.method() == Method::HEAD) {
        return None;
    }
    let path = req.path();
    if path.starts_with("/api/") || path.starts_with("/docs") {
        return None;
    }
    let name = match path.trim_start_matches('/') {
        "" => "index.html",
        other => other,
    };
    let file = Assets::get(name)?;
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return Some(
            HttpResponse::NotModified()
                .insert_header((header::ETAG, etag))
                .finish(),
        );
    }
    // The service worker decides what is cached on the phone; the browser's
    // own cache must always ask again.
    let mut res = HttpResponse::Ok();
    res.content_type(file.metadata.mimetype())
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP));
    if name == "sw.js" {
        res.insert_header(("Service-Worker-Allowed", "/"));
    }
    Some(res.body(file.data.into_owned()))
}
