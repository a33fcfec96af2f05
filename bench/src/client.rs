//! The few API calls the tools make besides the notes themselves.
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;
use uuid::Uuid;

/// One keep-alive HTTP/1.1 connection per client, as a phone would have.
pub fn http_client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .timeout(timeout)
        .build()?)
}

#[derive(Deserialize)]
struct TokenOut {
    access_token: String,
}

#[derive(Deserialize)]
struct IdOut {
    id: Uuid,
}

/// `POST /api/v1/auth/login`; returns the access token.
pub async fn login(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let r = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .context("POST /api/v1/auth/login")?;
    let status = r.status();
    if !status.is_success() {
        bail!(
            "login: HTTP {status}: {}",
            r.text().await.unwrap_or_default()
        );
    }
    Ok(r.json::<TokenOut>().await?.access_token)
}

/// `POST /api/v1/sites` with opening hours 08:00-16:00; returns the site id.
pub async fn create_site(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    name: &str,
) -> anyhow::Result<Uuid> {
    let r = http
        .post(format!("{base}/api/v1/sites"))
        .bearer_auth(token)
        .json(&serde_json::json!({
            "name": name,
            "timezone": "Europe/Oslo",
            "opening_hours": [{"start": "08:00", "end": "16:00"}],
        }))
        .send()
        .await
        .context("POST /api/v1/sites")?;
    let status = r.status();
    if status.as_u16() != 201 {
        bail!(
            "create site: HTTP {status}: {}",
            r.text().await.unwrap_or_default()
        );
    }
    Ok(r.json::<IdOut>().await?.id)
}

/// A short description of a failed answer, for error samples.
pub async fn describe(r: reqwest::Response) -> String {
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    let text: String = text.chars().take(200).collect();
    format!("HTTP {}: {text}", status.as_u16())
}
