use std::path::PathBuf;

use fieldnotes::{
    access::{
        password,
        users::{self, NewUser},
    },
    app::{startup::Application, state::AppState},
    kernel::{
        access::Role,
        config::{Settings, Source},
    },
};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use uuid::Uuid;

pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
pub const PASSWORD: &str = "a long enough passphrase";

/// Runs a test body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! db_test {
    ($name:ident, env = $env:expr, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app($crate::helpers::Db::Sqlite, &$env).await;
                ($body)(app).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = $crate::helpers::Db::postgres().await else {
                    return;
                };
                let app = $crate::helpers::spawn_app(db, &$env).await;
                ($body)(app).await
            }
        }
    };
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app($crate::helpers::Db::Sqlite, &[]).await;
                ($body)(app).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = $crate::helpers::Db::postgres().await else {
                    return;
                };
                let app = $crate::helpers::spawn_app(db, &[]).await;
                ($body)(app).await
            }
        }
    };
}

pub enum Db {
    Sqlite,
    Postgres(String),
}

impl Db {
    /// A fresh PostgreSQL database, or `None` (skip) when none is configured.
    /// Under `CI=true` a missing PostgreSQL fails the test instead.
    pub async fn postgres() -> Option<Db> {
        let Ok(base) = std::env::var("FIELDNOTES_TEST_POSTGRES_URL") else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but FIELDNOTES_TEST_POSTGRES_URL is not set: PostgreSQL tests must run");
            }
            eprintln!("skipping PostgreSQL: FIELDNOTES_TEST_POSTGRES_URL is not set");
            return None;
        };
        let base = base.trim_end_matches('/').to_string();
        let name = format!("fieldnotes_test_{}", Uuid::new_v4().simple());
        let admin = sea_orm::Database::connect(format!("{base}/postgres"))
            .await
            .expect("connect to PostgreSQL (FIELDNOTES_TEST_POSTGRES_URL)");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        Some(Db::Postgres(format!("{base}/{name}")))
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub data_dir: PathBuf,
    pub admin_token: String,
    /// The settings it was started with, for [`TestApp::another_instance`].
    pub vars: Vec<(String, String)>,
}

pub async fn spawn_app(db: Db, extra: &[(&str, String)]) -> TestApp {
    // Server errors show in a failing test's output (RUST_LOG=debug for more).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
        )
        .with_test_writer()
        .try_init();
    let data_dir = std::env::temp_dir().join(format!("fieldnotes-test-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&data_dir).expect("temp dir");
    let url = match db {
        Db::Sqlite => format!("sqlite://{}?mode=rwc", data_dir.join("test.db").display()),
        Db::Postgres(url) => url,
    };
    let mut vars: Vec<(String, String)> = vec![
        ("FIELDNOTES_DATABASE_URL".into(), url),
        ("FIELDNOTES_BIND".into(), "127.0.0.1:0".into()),
        ("FIELDNOTES_DATA_DIR".into(), data_dir.display().to_string()),
        ("FIELDNOTES_JWT_SECRET".into(), TEST_SECRET.into()),
        ("FIELDNOTES_OUTBOX_POLL_MS".into(), "100".into()),
        (
            "FIELDNOTES_PUBLIC_URL".into(),
            "http://fieldnotes.test".into(),
        ),
        ("FIELDNOTES_DB_MAX_CONNECTIONS".into(), "5".into()),
    ];
    for (k, v) in extra {
        vars.retain(|(n, _)| n != k);
        vars.push((k.to_string(), v.clone()));
    }
    let app = start(vars.clone()).await;
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state.clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    users::create(
        &state.db,
        NewUser {
            email: "admin@example.org".into(),
            display_name: "Admin".into(),
            role: Role::Admin,
            peer_researcher: false,
            site_ids: vec![],
            password_hash: Some(password::hash(PASSWORD.into()).await.expect("hash")),
            language: Default::default(),
        },
    )
    .await
    .expect("admin");
    let mut app = TestApp {
        base,
        client,
        state,
        data_dir,
        admin_token: String::new(),
        vars,
    };
    app.admin_token = app.login("admin@example.org", PASSWORD).await["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    app
}

/// Builds a server from these settings (it serves once run).
async fn start(vars: Vec<(String, String)>) -> Application {
    let lookup = move |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let settings = Settings::from_source(&Source(&lookup)).expect("test settings");
    Application::build(settings).await.expect("build app")
}

impl TestApp {
    /// One more server on the same database, as a second instance behind a
    /// load balancer would be: its base URL.
    pub async fn another_instance(&self) -> String {
        let app = start(self.vars.clone()).await;
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        base
    }
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        if path.starts_with('/')
            && !path.starts_with("/api/")
            && path != "/health"
            && !path.starts_with("/docs")
        {
            format!("{}/api/v1{}", self.base, path)
        } else {
            format!("{}{}", self.base, path)
        }
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if status >= 400 {
            let ct = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            assert_eq!(
                ct, "application/problem+json",
                "error without problem+json: {status} {body}"
            );
            assert!(body["code"].is_string(), "problem without code: {body}");
        }
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.send(self.client.get(self.url(path)).bearer_auth(token))
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.send(
            self.client
                .patch(self.url(path))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.send(self.client.delete(self.url(path)).bearer_auth(token))
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Value {
        let r = self
            .send(
                self.client
                    .post(self.url("/auth/login"))
                    .json(&json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(r.status, 200, "login failed: {}", r.body);
        r.body
    }

    /// A new calendar feed of the holder of `token`: the feed's path here.
    pub async fn new_feed(&self, token: &str) -> String {
        let r = self.post("/calendar-feeds", token, json!({})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["url"]
            .as_str()
            .expect("url")
            .trim_start_matches("http://fieldnotes.test")
            .to_string()
    }

    pub async fn create_site(&self, name: &str) -> Uuid {
        let r = self
            .post(
                "/sites",
                &self.admin_token,
                json!({"name": name, "timezone": "Europe/Oslo", "opening_hours": [{"start": "08:00", "end": "12:00"}, {"start": "14:00", "end": "17:00"}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().expect("id").parse().expect("uuid")
    }

    /// Creates a user with a password and returns (id, access token).
    pub async fn user(&self, email: &str, role: &str, sites: &[Uuid]) -> (Uuid, String) {
        let r = self
            .post(
                "/users",
                &self.admin_token,
                json!({"email": email, "display_name": email, "role": role, "site_ids": sites, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().expect("id").parse().expect("uuid");
        let token = self.login(email, PASSWORD).await["access_token"]
            .as_str()
            .expect("token")
            .to_string();
        (id, token)
    }
}

impl Resp {
    pub fn errors_pointer(&self) -> String {
        assert!(
            self.status == 422,
            "expected 422, got {} {}",
            self.status,
            self.body
        );
        self.body["errors"][0]["pointer"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// The Python of the test tools (`.ci/venv`), or `FIELDNOTES_TEST_PYTHON`.
pub fn python() -> String {
    std::env::var("FIELDNOTES_TEST_PYTHON")
        .unwrap_or_else(|_| format!("{}/../.ci/.venv/bin/python", env!("CARGO_MANIFEST_DIR")))
}

/// Runs the independent reader `tests/readers/<reader>` on `bytes` written
/// to a file ending in `suffix`; answers the JSON it prints.
pub fn read_with(reader: &str, bytes: &[u8], suffix: &str) -> Value {
    let dir = std::env::temp_dir().join(format!("fieldnotes-read-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join(format!("input{suffix}"));
    std::fs::write(&file, bytes).expect("write");
    let script = format!("{}/readers/{reader}", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(python())
        .args([script.as_str(), file.to_str().expect("path")])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}; run `bash .ci/venv` first", python()));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{reader} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}
