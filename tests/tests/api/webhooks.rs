//! Signed webhooks (issue 31): deliveries as the Standard Webhooks
//! specification makes them, verified by its own Python library; retries
//! under the same `webhook-id`, also across a SIGKILL of the server; no
//! redirects; refusals of private targets; turned off after failing for
//! the give-up time, with the admin mailed; audited.
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::{python, TestApp};
use crate::interviews::s;

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Got {
    headers: BTreeMap<String, String>,
    body: String,
    at: Instant,
}

/// How the receiver answers: the queued statuses first, then `then`,
/// each after `delay`.
#[derive(Default)]
struct Script {
    answers: VecDeque<u16>,
    then: u16,
    delay: Duration,
}

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Got>>>,
    script: Arc<Mutex<Script>>,
}

impl Receiver {
    fn got(&self) -> Vec<Got> {
        self.got.lock().expect("lock").clone()
    }
    fn answer(&self, answers: &[u16], then: u16, delay: Duration) {
        *self.script.lock().expect("lock") = Script {
            answers: answers.iter().copied().collect(),
            then,
            delay,
        };
    }
    /// Waits until it has got `n` requests.
    async fn wait_for(&self, n: usize, within: Duration) -> Vec<Got> {
        let start = Instant::now();
        loop {
            let got = self.got();
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < within,
                "the receiver got {} of {n} requests within {within:?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn receive(rx: web::Data<Receiver>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    rx.got.lock().expect("lock").push(Got {
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
        at: Instant::now(),
    });
    let (status, delay) = {
        let mut sc = rx.script.lock().expect("lock");
        let status = sc.answers.pop_front().unwrap_or(sc.then);
        (status, sc.delay)
    };
    tokio::time::sleep(delay).await;
    let status = actix_web::http::StatusCode::from_u16(status).expect("status");
    HttpResponse::build(status)
        .insert_header(("Location", "https://example.org/elsewhere"))
        .finish()
}

/// A receiver on a free port: its URL.
async fn receiver(rx: &Receiver) -> String {
    let data = web::Data::new(rx.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(receive))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .expect("bind");
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    format!("http://127.0.0.1:{port}/hooks/fieldnotes?token=receiver-secret")
}

/// Verifies `got` with the Standard Webhooks Python library: the
/// payloads it verified.
fn verified(secret: &str, got: &[Got]) -> Vec<Value> {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("deliveries.json");
    let deliveries: Vec<Value> = got
        .iter()
        .map(|g| json!({"headers": g.headers, "body": g.body}))
        .collect();
    std::fs::write(
        &file,
        json!({"secret": secret, "deliveries": deliveries}).to_string(),
    )
    .expect("write");
    let script = format!("{}/readers/verify_webhooks.py", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(python())
        .args([script.as_str(), file.to_str().expect("path")])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}; run `bash .ci/venv` first", python()));
    assert!(
        out.status.success(),
        "verify_webhooks.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
    let (real, tampered) = results.split_at(got.len());
    for r in real {
        assert_eq!(r["ok"], true, "not verified: {r}");
    }
    for r in tampered {
        assert_eq!(r["ok"], false, "a tampered body verified: {r}");
    }
    real.iter().map(|r| r["payload"].clone()).collect()
}

fn note(site: Uuid) -> Value {
    json!({
        "id": Uuid::new_v4(),
        "site_id": site,
        "observed_at": chrono::Utc::now().to_rfc3339(),
        "location": "waiting_room",
        "body": "Words that never leave in a webhook.",
    })
}

async fn deliveries(app: &TestApp, hook: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/webhooks/{hook}/deliveries"), &app.admin_token)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"].as_array().expect("items").clone()
}

/// Waits until every delivery of the webhook has left `pending`.
async fn settled(app: &TestApp, hook: &str, within: Duration) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let items = deliveries(app, hook).await;
        if !items.is_empty() && items.iter().all(|d| d["status"] != "pending") {
            return items;
        }
        assert!(start.elapsed() < within, "still pending: {items:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn private() -> [(&'static str, String); 1] {
    [("FIELDNOTES_WEBHOOKS_ALLOW_PRIVATE", "true".to_string())]
}

db_test!(
    deliveries_are_signed_retried_with_the_same_id_and_logged,
    env = private(),
    |app: TestApp| async move {
        let rx = Receiver::default();
        // the first attempt fails; the retry must come within 10 s
        rx.answer(&[503], 204, Duration::ZERO);
        let url = receiver(&rx).await;
        let site = app.create_site("Clinic A").await;
        let r = app
            .post(
                "/webhooks",
                &app.admin_token,
                json!({"url": url, "events": ["note.created"], "description": "The clinic's system"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let hook = s(&r.body["id"]);
        let secret = s(&r.body["secret"]);
        assert!(secret.starts_with("whsec_"), "{secret}");
        assert_eq!(r.body["active"], true);
        // the secret is shown once
        let listed = app.get("/webhooks", &app.admin_token).await;
        assert_eq!(listed.body.as_array().map(Vec::len), Some(1));
        assert!(!listed.body.to_string().contains(&secret));
        let one = app
            .get(&format!("/webhooks/{hook}"), &app.admin_token)
            .await;
        assert!(one.body.get("secret").is_none(), "{}", one.body);

        // a change it does not subscribe to is not sent
        let p = app
            .post(
                "/participants",
                &app.admin_token,
                json!({"pseudonym": "Heron", "site_id": site, "treatment_started_on": "2024-05-01"}),
            )
            .await;
        assert_eq!(p.status, 201, "{}", p.body);
        let n = note(site);
        assert_eq!(
            app.post("/notes", &app.admin_token, n.clone()).await.status,
            201
        );
        let got = rx.wait_for(2, Duration::from_secs(20)).await;
        let (first, retry) = (&got[0], &got[1]);
        assert_eq!(first.headers["webhook-id"], retry.headers["webhook-id"]);
        assert_eq!(first.body, retry.body, "every attempt sends the same body");
        assert!(
            retry.at - first.at < Duration::from_secs(10),
            "the first retry came after {:?}",
            retry.at - first.at
        );
        let payloads = verified(&secret, &got);
        let body = &payloads[0];
        assert_eq!(body["type"], "note.created");
        assert_eq!(
            body["data"],
            json!({"object_type": "note", "object_id": n["id"], "site_id": site})
        );
        assert!(body["timestamp"].is_string());
        assert!(!first.body.contains("never leave"), "{}", first.body);
        assert_eq!(first.headers["content-type"], "application/json");

        let log = settled(&app, &hook, Duration::from_secs(10)).await;
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!(log[0]["status"], "delivered");
        assert_eq!(log[0]["attempts"], 2);
        assert_eq!(log[0]["last_status"], 204);
        assert_eq!(
            format!("msg_{}", s(&log[0]["id"]).replace('-', "")),
            first.headers["webhook-id"]
        );

        // a test event, sent now
        let t = app
            .post(
                &format!("/webhooks/{hook}/test"),
                &app.admin_token,
                json!({}),
            )
            .await;
        assert_eq!(t.status, 202, "{}", t.body);
        let got = rx.wait_for(3, Duration::from_secs(10)).await;
        let test = verified(&secret, &got[2..]);
        assert_eq!(test[0]["type"], "webhook.test");

        // a redirect is not followed
        rx.answer(&[], 302, Duration::ZERO);
        let t = app
            .post(
                &format!("/webhooks/{hook}/test"),
                &app.admin_token,
                json!({}),
            )
            .await;
        let id = s(&t.body["id"]);
        let start = Instant::now();
        let failed = loop {
            let d = deliveries(&app, &hook).await;
            let d = d
                .into_iter()
                .find(|d| d["id"] == json!(id))
                .expect("listed");
            if d["attempts"].as_i64() >= Some(1) {
                break d;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "{d}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(failed["status"], "pending");
        assert_eq!(failed["last_status"], 302);
        assert!(s(&failed["last_error"]).contains("redirects are not followed"));
        assert!(!s(&failed["last_error"]).contains("receiver-secret"));

        // changed and deleted, all audited
        let r = app
            .patch(
                &format!("/webhooks/{hook}"),
                &app.admin_token,
                json!({"events": ["note.created", "interview.postponed"]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            app.delete(&format!("/webhooks/{hook}"), &app.admin_token)
                .await
                .status,
            204
        );
        assert_eq!(
            app.get(&format!("/webhooks/{hook}"), &app.admin_token)
                .await
                .status,
            404
        );
        for action in [
            "webhook.create",
            "webhook.test",
            "webhook.update",
            "webhook.delete",
        ] {
            let a = app
                .get(
                    &format!("/audit?action={action}&object_id={hook}"),
                    &app.admin_token,
                )
                .await;
            assert!(
                !a.body["items"].as_array().expect("items").is_empty(),
                "{action} not audited"
            );
            // the receiver's token (in the URL's query) stays out of the log
            assert!(
                !a.body.to_string().contains("receiver-secret"),
                "{}",
                a.body
            );
        }
    }
);

db_test!(
    a_webhook_failing_past_the_give_up_time_is_turned_off_and_its_admin_mailed,
    env = [
        ("FIELDNOTES_WEBHOOKS_ALLOW_PRIVATE", "true".to_string()),
        ("FIELDNOTES_WEBHOOKS_GIVE_UP_SECS", "10".to_string()),
    ],
    |app: TestApp| async move {
        let rx = Receiver::default();
        rx.answer(&[], 500, Duration::ZERO);
        let url = receiver(&rx).await;
        let r = app
            .post(
                "/webhooks",
                &app.admin_token,
                json!({"url": url, "events": ["note.created"]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let hook = s(&r.body["id"]);
        let test = format!("/webhooks/{hook}/test");
        assert_eq!(
            app.post(&test, &app.admin_token, json!({})).await.status,
            202
        );
        rx.wait_for(1, Duration::from_secs(10)).await;
        // failing, not yet for the give-up time
        let start = Instant::now();
        let failing = loop {
            let h = app
                .get(&format!("/webhooks/{hook}"), &app.admin_token)
                .await;
            if h.body["failing_since"].is_string() {
                break h.body;
            }
            assert!(start.elapsed() < Duration::from_secs(10));
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(failing["active"], true);
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(
            app.post(&test, &app.admin_token, json!({})).await.status,
            202
        );
        let start = Instant::now();
        let off = loop {
            let h = app
                .get(&format!("/webhooks/{hook}"), &app.admin_token)
                .await;
            if h.body["active"] == false {
                break h.body;
            }
            assert!(start.elapsed() < Duration::from_secs(15), "{}", h.body);
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(off["disabled_at"].is_string());
        let mail = entity::outbox::Entity::find()
            .filter(entity::outbox::Column::ToAddr.eq("admin@example.org"))
            .all(&app.state.db)
            .await
            .expect("outbox");
        // the mail names the receiver by its origin, never its token
        let origin = url.split("/hooks").next().expect("origin").to_string();
        assert!(
            mail.iter()
                .any(|m| m.subject.contains("webhook") && m.body_text.contains(&origin)),
            "{mail:?}"
        );
        assert!(!mail.iter().any(|m| m.body_text.contains("receiver-secret")));
        let a = app
            .get(
                &format!("/audit?action=webhook.turned_off&object_id={hook}"),
                &app.admin_token,
            )
            .await;
        assert_eq!(
            a.body["items"].as_array().map(Vec::len),
            Some(1),
            "{}",
            a.body
        );
        // nothing more is queued for it while it is off
        let site = app.create_site("Clinic A").await;
        let before = deliveries(&app, &hook).await.len();
        assert_eq!(
            app.post("/notes", &app.admin_token, note(site))
                .await
                .status,
            201
        );
        assert_eq!(app.get("/changes", &app.admin_token).await.status, 200);
        assert_eq!(deliveries(&app, &hook).await.len(), before);
        // turned on again, it starts afresh
        let r = app
            .patch(
                &format!("/webhooks/{hook}"),
                &app.admin_token,
                json!({"active": true}),
            )
            .await;
        assert_eq!(
            (r.body["active"].clone(), r.body["failing_since"].clone()),
            (json!(true), Value::Null)
        );
    }
);

db_test!(
    webhooks_only_go_to_public_https_receivers,
    |app: TestApp| async move {
        for (url, code) in [
            ("http://hooks.example.org/x", "webhook_url"),
            ("https://user:pw@hooks.example.org/x", "webhook_url"),
            ("not a url", "webhook_url"),
            ("https://127.0.0.1/x", "private_target"),
            ("https://[::1]:8443/x", "private_target"),
            (
                "https://169.254.169.254/latest/meta-data/",
                "private_target",
            ),
            ("https://10.0.0.7/x", "private_target"),
            ("https://localhost/x", "private_target"),
            ("https://2130706433/x", "private_target"),
            ("https://no-such-host.invalid/x", "unresolvable"),
        ] {
            let r = app
                .post(
                    "/webhooks",
                    &app.admin_token,
                    json!({"url": url, "events": ["note.created"]}),
                )
                .await;
            assert_eq!(r.status, 422, "{url}: {}", r.body);
            assert_eq!(r.body["errors"][0]["pointer"], "/url", "{url}");
            assert_eq!(r.body["errors"][0]["code"], code, "{url}: {}", r.body);
        }
        let r = app
            .post(
                "/webhooks",
                &app.admin_token,
                json!({"url": "https://127.0.0.1/x", "events": ["note.made", "note.created", "note.created"]}),
            )
            .await;
        let pointers: Vec<&str> = r.body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["pointer"].as_str())
            .collect();
        assert_eq!(pointers, ["/events/0", "/events/2", "/url"], "{}", r.body);
        assert!(app.get("/webhooks", &app.admin_token).await.body == json!([]));
    }
);

/// The real binary, SIGKILLed while a delivery is in flight: after the
/// restart the same delivery (same `webhook-id`, same body) is sent again
/// and logged as delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_in_flight_when_the_server_is_killed_is_sent_again() {
    use bench::server::{self, ServerConfig};
    let binary = server::default_server(false);
    server::check_server_binary(&binary).expect("the debug server binary");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = ServerConfig::new(binary, dir.path(), None, true).expect("config");
    cfg.env.extend([
        (
            "FIELDNOTES_WEBHOOKS_ALLOW_PRIVATE".to_string(),
            "true".to_string(),
        ),
        ("FIELDNOTES_OUTBOX_LEASE_SECS".to_string(), "4".to_string()),
    ]);
    cfg.create_admin().expect("admin");
    let mut srv = cfg.spawn().expect("server");
    srv.wait_healthy(Duration::from_secs(30))
        .await
        .expect("healthy");
    let rx = Receiver::default();
    // the first attempt hangs until the server is gone
    rx.answer(&[], 200, Duration::from_secs(60));
    let hook_url = receiver(&rx).await;
    let http = reqwest::Client::new();
    let base = cfg.base_url();
    // One call of the API: its status and JSON body.
    let call = |method: reqwest::Method, path: &str, token: Option<&str>, body: Value| {
        let mut req = http.request(method, format!("{base}/api/v1{path}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if !body.is_null() {
            req = req.json(&body);
        }
        async move {
            let r = req.send().await.expect("request");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    use reqwest::Method;
    let (_, login) = call(
        Method::POST,
        "/auth/login",
        None,
        json!({"email": server::ADMIN_EMAIL, "password": server::ADMIN_PASSWORD}),
    )
    .await;
    let token = s(&login["access_token"]);
    let t = Some(token.as_str());
    // site.created is no change type: refused
    let (status, refused) = call(
        Method::POST,
        "/webhooks",
        t,
        json!({"url": hook_url, "events": ["site.created", "note.created"]}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    let (_, hook) = call(
        Method::POST,
        "/webhooks",
        t,
        json!({"url": hook_url, "events": ["note.created"]}),
    )
    .await;
    let secret = s(&hook["secret"]);
    let (_, site) = call(
        Method::POST,
        "/sites",
        t,
        json!({"name": "Clinic A", "timezone": "Europe/Oslo"}),
    )
    .await;
    let site_id: Uuid = s(&site["id"]).parse().expect("uuid");
    let (status, _) = call(Method::POST, "/notes", t, note(site_id)).await;
    assert_eq!(status, 201);
    rx.wait_for(1, Duration::from_secs(20)).await;
    srv.kill().expect("SIGKILL");
    rx.answer(&[], 200, Duration::ZERO);
    let mut srv = cfg.spawn().expect("server again");
    srv.wait_healthy(Duration::from_secs(30))
        .await
        .expect("healthy");
    // sent again once the dead instance's lease has run out
    let got = rx.wait_for(2, Duration::from_secs(40)).await;
    assert_eq!(got[0].headers["webhook-id"], got[1].headers["webhook-id"]);
    assert_eq!(got[0].body, got[1].body);
    let payloads = verified(&secret, &got);
    assert_eq!(payloads[1]["type"], "note.created");
    let start = Instant::now();
    loop {
        let path = format!("/webhooks/{}/deliveries", s(&hook["id"]));
        let (_, log) = call(Method::GET, &path, t, Value::Null).await;
        if log["items"][0]["status"] == "delivered" {
            assert_eq!(log["items"].as_array().map(Vec::len), Some(1));
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{log}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    srv.stop(Duration::from_secs(5)).await.expect("stop");
}
