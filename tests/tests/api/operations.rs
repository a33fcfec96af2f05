//! What an operator runs the service with (issue 16): health checks for a
//! load balancer, and Prometheus metrics, read back with a Prometheus text
//! parser.
use serde_json::{json, Value};

use crate::db_test;
use crate::helpers::TestApp;
use crate::interviews::s;

const TOKEN: &str = "metrics-token-0123456789";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

db_test!(live_and_ready_answer, |app: TestApp| async move {
    for path in ["/health", "/health/live", "/health/ready"] {
        let r = app
            .send(app.client.get(format!("{}{path}", app.base)))
            .await;
        assert_eq!(
            (r.status, s(&r.body["status"])),
            (200, "ok".into()),
            "{path}"
        );
    }
});

/// The Prometheus project's own parser (`prometheus_client`, from
/// `.ci/requirements.txt`) reads the text; it answers the samples as JSON.
fn parse(text: &str) -> Value {
    use std::io::Write;
    let python = crate::helpers::python();
    let script = [
        "import sys, json",
        "from prometheus_client.parser import text_string_to_metric_families",
        "out = {'families': {}, 'samples': []}",
        "for f in text_string_to_metric_families(sys.stdin.read()):",
        "    out['families'][f.name] = {'type': f.type, 'help': f.documentation}",
        "    for s in f.samples:",
        "        out['samples'].append({'name': s.name, 'labels': s.labels, 'value': s.value})",
        "print(json.dumps(out))",
    ]
    .join("\n");
    let mut child = std::process::Command::new(&python)
        .args(["-c", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python}: {e}; run `bash .ci/venv` first"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("parser");
    assert!(
        out.status.success(),
        "the Prometheus parser refused the text: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("parser output")
}

/// The values of the samples named `name` whose labels include `labels`.
fn values(scrape: &Value, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
    scrape["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .filter(|x| x["name"] == name)
        .filter(|x| labels.iter().all(|(k, v)| x["labels"][*k] == *v))
        .filter_map(|x| x["value"].as_f64())
        .collect()
}

db_test!(
    metrics_answer_the_token_on_the_main_port,
    env = [("FIELDNOTES_METRICS_TOKEN", TOKEN.to_string())],
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, fw) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let note = json!({"id": uuid::Uuid::new_v4(), "site_id": a, "observed_at": "2026-11-20T10:00:00Z", "location": "waiting_room", "body": "a quiet morning"});
        assert_eq!(app.post("/notes", &fw, note).await.status, 201);
        let r = app
            .post(
                "/auth/login",
                "",
                json!({"email": "fw@example.org", "password": "wrong wrong wrong"}),
            )
            .await;
        assert_eq!(r.status, 401);
        let feed = app.post("/calendar-feeds", &fw, json!({})).await;
        let path = s(&feed.body["url"])
            .trim_start_matches("http://fieldnotes.test")
            .to_string();
        let secret = path
            .trim_start_matches("/api/v1/calendar/")
            .trim_end_matches(".ics")
            .to_string();
        assert!(secret.len() > 20, "{path}");
        let ics = app.client.get(app.url(&path)).send().await.expect("feed");
        assert_eq!(ics.status(), 200);

        let get = |token: Option<&str>| {
            let mut req = app.client.get(format!("{}/metrics", app.base));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req.send()
        };
        assert_eq!(get(None).await.expect("metrics").status(), 401);
        let wrong = get(Some("not-the-token-at-all")).await.expect("metrics");
        assert_eq!(wrong.status(), 401);
        let res = get(Some(TOKEN)).await.expect("metrics");
        assert_eq!(res.status(), 200);
        let ct = res.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .to_string();
        assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
        let text = res.text().await.expect("body");
        assert!(!text.contains(&secret), "a feed secret in the metrics");

        let scrape = parse(&text);
        let total =
            |name: &str, labels: &[(&str, &str)]| values(&scrape, name, labels).iter().sum::<f64>();
        let notes = [
            ("route", "/api/v1/notes"),
            ("method", "POST"),
            ("status", "201"),
        ];
        assert!(
            total("fieldnotes_http_requests_total", &notes) >= 1.0,
            "{text}"
        );
        let feeds = [("route", "/api/v1/calendar/{token}.ics"), ("status", "200")];
        assert!(
            total("fieldnotes_http_requests_total", &feeds) >= 1.0,
            "counted by route template: {text}"
        );
        assert_eq!(
            scrape["families"]["fieldnotes_http_request_duration_seconds"]["type"],
            "histogram"
        );
        let by_route = [("route", "/api/v1/notes")];
        assert!(total("fieldnotes_http_request_duration_seconds_count", &by_route) >= 1.0);
        let inf = [("route", "/api/v1/notes"), ("le", "+Inf")];
        assert!(!values(
            &scrape,
            "fieldnotes_http_request_duration_seconds_bucket",
            &inf
        )
        .is_empty());
        let in_use = [("pool", "write"), ("state", "in_use")];
        assert_eq!(
            values(&scrape, "fieldnotes_db_pool_connections", &in_use).len(),
            1
        );
        assert!(
            total(
                "fieldnotes_db_pool_wait_seconds_count",
                &[("pool", "write")]
            ) >= 1.0
        );
        assert_eq!(values(&scrape, "fieldnotes_outbox_unsent", &[]).len(), 1);
        let oldest = values(&scrape, "fieldnotes_outbox_oldest_unsent_age_seconds", &[]);
        assert_eq!(oldest.len(), 1);
        assert_eq!(
            values(&scrape, "fieldnotes_reminders_queued_total", &[]).len(),
            1
        );
        assert!(
            total("fieldnotes_failed_logins_total", &[]) >= 1.0,
            "{text}"
        );
        if app.state.settings.is_sqlite() {
            assert!(
                total("fieldnotes_notes_writer_group_size_count", &[]) >= 1.0,
                "{text}"
            );
        }
        let requests = &scrape["families"]["fieldnotes_http_requests"];
        assert_eq!(requests["type"], "counter", "{}", scrape["families"]);
        assert!(requests["help"].as_str().is_some_and(|h| !h.is_empty()));
    }
);

db_test!(
    metrics_are_not_on_the_main_port_without_a_token,
    |app: TestApp| async move {
        let r = app
            .client
            .get(format!("{}/metrics", app.base))
            .send()
            .await
            .expect("metrics");
        assert_eq!(r.status(), 404);
    }
);

db_test!(
    metrics_have_their_own_listener,
    env = [(
        "FIELDNOTES_METRICS_BIND",
        format!("127.0.0.1:{}", free_port())
    )],
    |app: TestApp| async move {
        let addr = app.state.settings.metrics_bind.expect("metrics bind");
        let mut text = String::new();
        for _ in 0..50 {
            if let Ok(r) = app
                .client
                .get(format!("http://{addr}/metrics"))
                .send()
                .await
            {
                assert_eq!(r.status(), 200);
                text = r.text().await.expect("body");
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let scrape = parse(&text);
        assert_eq!(
            values(&scrape, "fieldnotes_outbox_unsent", &[]).len(),
            1,
            "{text}"
        );
        // Only metrics there: the API is not.
        let r = app
            .client
            .get(format!("http://{addr}/api/v1/me"))
            .send()
            .await
            .expect("api");
        assert_eq!(r.status(), 404);
    }
);

/// The real binary with `FIELDNOTES_LOG_FORMAT=json` (built by `cargo build
/// -p fieldnotes-api`, as `.ci/test` does first): every line of its log is
/// one JSON object; each request has a line with its id, route template,
/// status and latency; no password, token, search word, query string or
/// note text appears anywhere.
#[tokio::test]
async fn json_logs_are_one_object_a_line_and_keep_no_secrets() {
    use bench::server::{self, ServerConfig};
    let binary = server::default_server(false);
    server::check_server_binary(&binary).expect("the debug server binary");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = ServerConfig::new(binary, dir.path(), None, true).expect("config");
    cfg.env
        .push(("FIELDNOTES_LOG_FORMAT".into(), "json".into()));
    cfg.create_admin().expect("admin");
    let mut srv = cfg.spawn().expect("server");
    srv.wait_healthy(std::time::Duration::from_secs(30))
        .await
        .expect("healthy");
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}/api/v1{p}", cfg.base_url());
    let login: serde_json::Value = http
        .post(url("/auth/login"))
        .json(&json!({"email": server::ADMIN_EMAIL, "password": server::ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("tokens");
    let token = s(&login["access_token"]);
    let refresh = s(&login["refresh_token"]);
    let site: serde_json::Value = http
        .post(url("/sites"))
        .bearer_auth(&token)
        .json(&json!({"name": "Clinic A", "timezone": "Europe/Oslo", "opening_hours": []}))
        .send()
        .await
        .expect("site")
        .json()
        .await
        .expect("site body");
    let note_text = "Kari-Secret-Observation by the counter";
    let id = uuid::Uuid::new_v4();
    let r = http
        .post(url("/notes"))
        .bearer_auth(&token)
        .json(&json!({"id": id, "site_id": site["id"], "observed_at": "2026-11-20T10:00:00Z", "location": "waiting_room", "body": note_text}))
        .send()
        .await
        .expect("note");
    assert_eq!(r.status(), 201);
    // A stale edit: the 412 carries the current note, text and all.
    let r = http
        .patch(url(&format!("/notes/{id}")))
        .bearer_auth(&token)
        .header("If-Match", "\"7\"")
        .json(&json!({"body": "another Kari-Secret-Observation"}))
        .send()
        .await
        .expect("edit");
    assert_eq!(r.status(), 412);
    let r = http
        .get(url("/notes?q=Zebrafinchword"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("search");
    assert_eq!(r.status(), 200);
    let r = http
        .post(url("/auth/login"))
        .json(&json!({"email": server::ADMIN_EMAIL, "password": "Wrong-Horse-Battery"}))
        .send()
        .await
        .expect("bad login");
    assert_eq!(r.status(), 401);
    let feed: serde_json::Value = http
        .post(url("/calendar-feeds"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .expect("feed")
        .json()
        .await
        .expect("feed body");
    let feed_url = s(&feed["url"]);
    let feed_secret = feed_url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .trim_end_matches(".ics")
        .to_string();
    let feed_path = feed_url
        .split("/api/v1")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let r = http.get(url(&feed_path)).send().await.expect("ics");
    assert_eq!(r.status(), 200);
    // Let the last lines reach the file, then stop the server.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(srv);
    let log = std::fs::read_to_string(&cfg.log_path).expect("log");
    let mut access = Vec::new();
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}"));
        assert!(v.is_object(), "{line}");
        for secret in [
            server::ADMIN_PASSWORD,
            "Wrong-Horse-Battery",
            token.as_str(),
            refresh.as_str(),
            feed_secret.as_str(),
            "Zebrafinchword",
            "Kari-Secret-Observation",
            "?q=",
        ] {
            assert!(!line.contains(secret), "{secret:?} in the log: {line}");
        }
        if v["target"] == "fieldnotes::access" {
            access.push(v["fields"].clone());
        }
    }
    let created = access
        .iter()
        .find(|f| f["route"] == "/api/v1/notes" && f["method"] == "POST")
        .unwrap_or_else(|| panic!("no access line for POST /notes: {log}"));
    assert_eq!(created["status"], 201);
    assert!(created["latency_ms"].as_f64().is_some(), "{created}");
    assert!(
        created["request_id"]
            .as_str()
            .is_some_and(|id| id.len() >= 32),
        "{created}"
    );
    assert!(access
        .iter()
        .any(|f| f["route"] == "/api/v1/calendar/{token}.ics" && f["status"] == 200));
    assert!(access.iter().any(|f| f["status"] == 412));
}

/// The service sets two planner settings on its own PostgreSQL connections
/// where nobody set them: `random_page_cost` 1.1 (SSDs, or data in memory;
/// PostgreSQL's 4 made searches walk thousands of notes) and no parallel
/// workers per query (they took CPU from the other requests). A value the
/// operator set stands: here one in the URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_connections_get_the_planner_settings_unless_told_otherwise() {
    use sea_orm::{ConnectionTrait, Statement};
    let Some(crate::helpers::Db::Postgres(url)) = crate::helpers::Db::postgres().await else {
        return;
    };
    // (name, the service's value, PostgreSQL's default), in name order
    const OURS: [(&str, &str, &str); 2] = [
        ("max_parallel_workers_per_gather", "0", "2"),
        ("random_page_cost", "1.1", "4"),
    ];
    // each setting's value and where it came from, in the order of OURS
    async fn settings(db: &sea_orm::DatabaseConnection) -> Vec<(String, String)> {
        db.query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT setting, source FROM pg_settings \
             WHERE name IN ('max_parallel_workers_per_gather', 'random_page_cost') ORDER BY name",
        ))
        .await
        .expect("query")
        .iter()
        .map(|r| {
            (
                r.try_get("", "setting").expect("setting"),
                r.try_get("", "source").expect("source"),
            )
        })
        .collect()
    }
    // what the server gives a connection of our own
    let own = sea_orm::Database::connect(&url).await.expect("connect");
    let server = settings(&own).await;
    own.close().await.ok();
    let app = crate::helpers::spawn_app(crate::helpers::Db::Postgres(url.clone()), &[]).await;
    let service = settings(&app.state.db).await;
    assert_eq!((server.len(), service.len()), (2, 2));
    for ((name, ours, default), ((value, source), (got, _))) in
        OURS.iter().zip(server.iter().zip(&service))
    {
        if source == "default" {
            assert_eq!(value, default, "{name}");
            assert_eq!(got, ours, "{name}");
        } else {
            assert_eq!(got, value, "a {name} set on the server ({source}) stands");
        }
    }
    let Some(crate::helpers::Db::Postgres(other)) = crate::helpers::Db::postgres().await else {
        panic!("a second database");
    };
    let told = crate::helpers::spawn_app(
        crate::helpers::Db::Postgres(format!("{other}?options=-c%20random_page_cost%3D2.5")),
        &[],
    )
    .await;
    let told_settings = settings(&told.state.db).await;
    assert_eq!(told_settings[1].0, "2.5");
    assert_eq!(told_settings[0].0, service[0].0);
    let r = told.get("/notes?q=even", &told.admin_token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The service finds a note by a word's start.
    let site = app.create_site("Clinic A").await;
    let (_, fw) = app.user("fw@example.org", "fieldworker", &[site]).await;
    let id = uuid::Uuid::new_v4();
    let note = json!({
        "id": id,
        "site_id": site,
        "observed_at": chrono::Utc::now().to_rfc3339(),
        "location": "outside",
        "body": "Waited for the evening dose",
        "participant_ids": [],
        "code_ids": []
    });
    assert_eq!(app.post("/notes", &fw, note).await.status, 201);
    let r = app.get("/notes?q=even", &fw).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["items"][0]["id"], json!(id), "{}", r.body);
}

/// The PostgreSQL pool no longer pings a connection before every statement
/// (only one idle for 10 s or more). When PostgreSQL drops every connection
/// of the pool (a restart, a firewall), the broken ones must still leave the
/// pool: sqlx's check when a connection comes back retires those the
/// background jobs find broken, and the idle ping the rest. Requests made a
/// little later, as many at once as the pool has connections, are all
/// answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_recovers_when_postgresql_drops_its_connections() {
    use sea_orm::{ConnectionTrait, Statement};
    let Some(db) = crate::helpers::Db::postgres().await else {
        return;
    };
    let app = crate::helpers::spawn_app(db, &[]).await;
    let site = app.create_site("Clinic A").await;
    let (_, fw) = app.user("fw@example.org", "fieldworker", &[site]).await;
    // Use many connections, so the pool holds several.
    let many = |n: usize| {
        let (app, fw) = (&app, &fw);
        futures_util::future::join_all((0..n).map(move |_| app.get("/notes?limit=5", fw)))
    };
    assert!(many(16).await.iter().all(|r| r.status == 200));
    let killed = app
        .state
        .db
        .query_one(Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        ))
        .await
        .expect("terminate")
        .expect("a row")
        .try_get::<i64>("", "n")
        .expect("n");
    assert!(killed >= 1, "the pool had other connections to lose");
    tokio::time::sleep(std::time::Duration::from_secs(11)).await;
    let answers = many(16).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let note = json!({
        "id": uuid::Uuid::new_v4(),
        "site_id": site,
        "observed_at": chrono::Utc::now().to_rfc3339(),
        "location": "outside",
        "body": "After the database came back",
        "participant_ids": [],
        "code_ids": []
    });
    let r = app.post("/notes", &fw, note).await;
    assert_eq!(r.status, 201, "{}", r.body);
}

db_test!(
    odd_methods_and_paths_add_no_series_to_the_metrics,
    env = [("FIELDNOTES_METRICS_TOKEN", TOKEN.to_string())],
    |app: TestApp| async move {
        // A thousand requests with made-up method names and paths, without
        // signing in: each could have become a series of its own.
        let sends = (0..1000).map(|i| {
            let method = reqwest::Method::from_bytes(format!("ODD{i}").as_bytes()).expect("method");
            let path = if i % 2 == 0 {
                format!("/odd-path-{i}")
            } else {
                "/api/v1/notes".to_string()
            };
            app.client
                .request(method, format!("{}{path}", app.base))
                .send()
        });
        for r in futures_util::future::join_all(sends).await {
            assert!(r.expect("answer").status().is_client_error());
        }
        let text = app
            .client
            .get(format!("{}/metrics", app.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("body");
        assert!(!text.contains("ODD"), "a method name became a label value");
        assert!(!text.contains("odd-path"), "a path became a label value");
        let scrape = parse(&text);
        let known = [
            "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER",
        ];
        let odd: Vec<&Value> = scrape["samples"]
            .as_array()
            .expect("samples")
            .iter()
            .filter(|x| {
                x["labels"]["method"]
                    .as_str()
                    .is_some_and(|m| !known.contains(&m))
            })
            .collect();
        assert!(odd.is_empty(), "{odd:?}");
        assert!(
            !values(
                &scrape,
                "fieldnotes_http_requests_total",
                &[("method", "OTHER")]
            )
            .is_empty(),
            "the odd requests are counted under OTHER"
        );
    }
);
