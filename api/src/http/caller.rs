//! The caller as HTTP tells it: the bearer token, the language asked for,
//! the browser or app, and the client's address behind trusted proxies.
use actix_web::{dev::Payload, http::header, FromRequest, HttpRequest};

use crate::kernel::{access::RequestMeta, error::ApiError, lang::Lang};

pub fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

impl FromRequest for RequestMeta {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        use actix_web::HttpMessage;
        let request_id = req
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(|id| id.to_string());
        let ip = client_ip(req).map(|a| a.to_string());
        std::future::ready(Ok(RequestMeta {
            request_id,
            ip,
            lang: lang(req),
            user_agent: user_agent(req),
        }))
    }
}

fn user_agent(req: &HttpRequest) -> Option<String> {
    let ua: String = req
        .headers()
        .get(header::USER_AGENT)?
        .to_str()
        .ok()?
        .chars()
        .filter(|c| !c.is_control())
        .take(512)
        .collect();
    Some(ua.trim().to_string()).filter(|s| !s.is_empty())
}

/// The language people read messages in: Norwegian when `Accept-Language`
/// prefers `nb`, `no` or `nn`, English otherwise.
pub fn lang(req: &HttpRequest) -> Lang {
    let first = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
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

/// The load balancers whose `X-Forwarded-For` is believed (app data).
#[derive(Clone, Default)]
pub struct TrustedProxies(pub std::sync::Arc<Vec<ipnet::IpNet>>);

/// The client's address: the TCP peer, unless the peer is a trusted load
/// balancer (`FIELDNOTES_TRUSTED_PROXIES`); then the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy. A client cannot
/// choose its address by sending the header: only a trusted peer's is read.
pub fn client_ip(req: &HttpRequest) -> Option<std::net::IpAddr> {
    let peer = req.peer_addr()?.ip();
    let trusted = req
        .app_data::<TrustedProxies>()
        .map(|t| t.0.clone())
        .unwrap_or_default();
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<std::net::IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !is_trusted(ip))
            .unwrap_or(peer),
    )
}
