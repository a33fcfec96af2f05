//! Holes a security review found (issue 17), each closed with a test that
//! failed before, on SQLite and PostgreSQL.
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::TestApp;
use crate::interviews::{iso, oslo, participant, s};

const FAR: &str = "+262142-12-31T23:59:59.0000000000000000000000Z";

async fn key(app: &TestApp, token: &str, scopes: &[&str]) -> String {
    let r = app
        .post(
            "/api-keys",
            token,
            json!({"name": "a tool", "scopes": scopes}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    s(&r.body["secret"])
}

db_test!(
    dates_with_long_fractions_are_refused_not_panicked_on,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, fw_t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let pid = participant(&app, &co, a, "P41", 30).await;
        let r = app
            .post(
                "/interviews",
                &co,
                json!({"participant_id": pid, "wave": 1, "scheduled_at": FAR, "duration_minutes": 60, "interviewer_ids": [fw]}),
            )
            .await;
        assert_eq!(r.errors_pointer(), "/scheduled_at", "{}", r.body);
        let r = app
            .get(
                &format!("/me/interviews?from={}", FAR.replace('+', "%2B")),
                &fw_t,
            )
            .await;
        assert_eq!(r.errors_pointer(), "/from", "{}", r.body);
        let r = app
            .post(
                "/notes",
                &fw_t,
                json!({"id": Uuid::new_v4(), "site_id": a, "observed_at": FAR, "location": "waiting_room", "body": "x"}),
            )
            .await;
        assert_eq!(r.errors_pointer(), "/observed_at", "{}", r.body);
        let r = app
            .post(
                &format!("/participants/{pid}/screenings"),
                &fw_t,
                json!({"instrument_id": "01900000-0000-7000-8000-000000000001", "performed_at": FAR, "responses": {"sedation": "1"}}),
            )
            .await;
        assert_eq!(r.errors_pointer(), "/performed_at", "{}", r.body);
        let booked = app
            .post(
                "/interviews",
                &co,
                json!({"participant_id": pid, "wave": 1, "scheduled_at": iso(oslo(2, 9, 0)), "duration_minutes": 60, "interviewer_ids": [fw]}),
            )
            .await;
        assert_eq!(booked.status, 201, "{}", booked.body);
        let r = app
            .post(
                &format!("/interviews/{}/postponements", s(&booked.body["id"])),
                &co,
                json!({"reason": "participant_absent", "new_scheduled_at": FAR}),
            )
            .await;
        assert_eq!(r.errors_pointer(), "/new_scheduled_at", "{}", r.body);
        // The server is still there.
        assert_eq!(app.get("/health", "").await.status, 200);
    }
);

db_test!(
    api_keys_cannot_reach_past_their_scopes,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (_, other) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let others_key = key(&app, &other, &["notes:read"]).await;
        let others_id = s(&app.get("/api-keys", &other).await.body[0]["id"]);
        let reports = key(&app, &co, &["reports:read"]).await;
        // A reports:read key lists no users and no keys, and deletes none.
        assert_eq!(app.get("/users", &reports).await.status, 403);
        assert_eq!(app.get("/api-keys", &reports).await.status, 403);
        assert_eq!(
            app.delete(&format!("/api-keys/{others_id}"), &reports)
                .await
                .status,
            403
        );
        let admin_key = key(&app, &app.admin_token, &["reports:read"]).await;
        assert_eq!(
            app.delete(&format!("/api-keys/{others_id}"), &admin_key)
                .await
                .status,
            403
        );
        assert_eq!(app.get("/sites", &others_key).await.status, 403);
        assert_eq!(
            app.get("/me", &others_key).await.status,
            200,
            "the key still works"
        );
        // A sites:read key does not sign its user out everywhere.
        let sites = key(&app, &co, &["sites:read"]).await;
        let r = app
            .send(
                app.client
                    .post(app.url("/auth/logout?everywhere=true"))
                    .bearer_auth(&sites),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert_eq!(s(&r.body["code"]), "not_for_api_keys");
        assert_eq!(app.get("/me", &co).await.status, 200, "still signed in");
        // An admin's schedule:read key does not revoke another's calendar feed.
        let feed = app.post("/calendar-feeds", &co, json!({})).await;
        assert_eq!(feed.status, 201, "{}", feed.body);
        let schedule = key(&app, &app.admin_token, &["schedule:read"]).await;
        assert_eq!(
            app.delete(
                &format!("/calendar-feeds/{}", s(&feed.body["id"])),
                &schedule
            )
            .await
            .status,
            403
        );
        let url = s(&feed.body["url"]);
        let path = url.trim_start_matches("http://fieldnotes.test");
        let ics = app.client.get(app.url(path)).send().await.expect("feed");
        assert_eq!(ics.status(), 200, "the feed still works");
        // A key with the admin scope may read the team, as the admin may.
        let admin_scope = key(&app, &app.admin_token, &["admin"]).await;
        assert_eq!(app.get("/users", &admin_scope).await.status, 200);
    }
);

/// Changes the body of note `id`, still at its first version.
async fn edit_first_version(app: &TestApp, token: &str, id: &str, body: &str) {
    let r = app
        .send(
            app.client
                .patch(app.url(&format!("/notes/{id}")))
                .bearer_auth(token)
                .header("If-Match", "\"1\"")
                .json(&json!({ "body": body })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

db_test!(
    a_retry_never_shows_more_than_the_caller_may_now_read,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (fw, fw_t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let note = json!({"id": Uuid::new_v4(), "site_id": a, "observed_at": iso(Utc::now() - Duration::hours(1)), "location": "waiting_room", "body": "Queue before opening"});
        assert_eq!(app.post("/notes", &fw_t, note.clone()).await.status, 201);
        // Someone else edits it; then the fieldworker moves to another clinic.
        let id = s(&note["id"]);
        edit_first_version(&app, &co, &id, "Edited by the coordinator").await;
        let r = app
            .patch(
                &format!("/users/{fw}"),
                &app.admin_token,
                json!({"site_ids": [b]}),
            )
            .await;
        assert_eq!(r.status, 200);
        let fw_t = app.login("fw@example.org", crate::helpers::PASSWORD).await["access_token"]
            .as_str()
            .expect("token")
            .to_string();
        let r = app.post("/notes", &fw_t, note.clone()).await;
        assert_eq!(r.status, 404, "{}", r.body);
        assert!(!r.body.to_string().contains("Edited by"));
        let r = app
            .post("/notes/sync", &fw_t, json!({"notes": [note]}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["results"][0]["status"], "unchanged", "{}", r.body);
        assert_eq!(r.body["results"][0]["note"], Value::Null);
        assert!(!r.body.to_string().contains("Edited by"));
    }
);

db_test!(
    a_booking_refusal_names_no_one_from_another_site,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let r = app
            .post(
                "/users",
                &app.admin_token,
                json!({"email": "kari@example.org", "display_name": "Kari Secret", "role": "fieldworker", "site_ids": [b], "password": crate::helpers::PASSWORD}),
            )
            .await;
        let kari = s(&r.body["id"]);
        let pid = participant(&app, &co, a, "P42", 30).await;
        let book = |who: String| json!({"participant_id": pid, "wave": 1, "scheduled_at": iso(oslo(2, 9, 0)), "duration_minutes": 60, "interviewer_ids": [who]});
        let other_site = app.post("/interviews", &co, book(kari)).await;
        let unknown = app
            .post("/interviews", &co, book(Uuid::new_v4().to_string()))
            .await;
        assert_eq!(other_site.errors_pointer(), "/interviewer_ids/0");
        assert_eq!(other_site.body["errors"], unknown.body["errors"]);
        assert!(!other_site.body.to_string().contains("Kari"));
        // 40 000 ids are a field error, not a database error.
        let many: Vec<String> = (0..40_000).map(|_| Uuid::new_v4().to_string()).collect();
        let r = app
            .post(
                "/interviews",
                &co,
                json!({"participant_id": pid, "wave": 1, "scheduled_at": iso(oslo(2, 9, 0)), "duration_minutes": 60, "interviewer_ids": many}),
            )
            .await;
        assert_eq!(r.errors_pointer(), "/interviewer_ids", "{}", r.body);
    }
);

db_test!(
    api_answers_are_not_cached_and_the_docs_have_a_policy,
    |app: TestApp| async move {
        let r = app.get("/me", &app.admin_token).await;
        assert_eq!(
            r.headers.get("cache-control").and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
        let login = app
            .send(
                app.client.post(app.url("/auth/login")).json(
                    &json!({"email": "admin@example.org", "password": "wrong password here"}),
                ),
            )
            .await;
        assert_eq!(
            login
                .headers
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
        let docs = app
            .client
            .get(format!("{}/docs/", app.base))
            .send()
            .await
            .expect("docs");
        assert_eq!(docs.status(), 200);
        let csp = docs
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(csp.contains("default-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    }
);

db_test!(
    single_line_fields_refuse_control_characters,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        for pseudonym in ["P43\r\nBcc: x@example.org", "P4\u{0}3"] {
            let r = app
                .post(
                    "/participants",
                    &co,
                    json!({"pseudonym": pseudonym, "site_id": a, "treatment_started_on": "2026-10-01"}),
                )
                .await;
            assert_eq!(r.errors_pointer(), "/pseudonym", "{}", r.body);
        }
        let r = app
            .patch(
                &format!("/sites/{a}"),
                &app.admin_token,
                json!({"name": "Clinic\nA"}),
            )
            .await;
        assert_eq!(r.errors_pointer(), "/name", "{}", r.body);
        let (fw, _) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let r = app
            .patch(
                &format!("/users/{fw}"),
                &app.admin_token,
                json!({"display_name": "Ola\r\nDahl"}),
            )
            .await;
        assert_eq!(r.errors_pointer(), "/display_name", "{}", r.body);
        let pid = participant(&app, &co, a, "P44", 30).await;
        let r = app
            .post(
                "/interviews",
                &co,
                json!({"participant_id": pid, "wave": 1, "scheduled_at": iso(oslo(2, 9, 0)), "duration_minutes": 60, "interviewer_ids": [fw], "location": "Room 2\r\nSubject: x"}),
            )
            .await;
        assert_eq!(r.errors_pointer(), "/location", "{}", r.body);
    }
);

db_test!(
    single_line_fields_refuse_line_separators_and_feeds_are_not_cached,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (fw, fw_token) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        // A code's dimension is one line: CR, LF, ESC are refused as in a name.
        for dimension in [
            "medical\r\nX",
            "a\nb",
            "\u{1b}[31mred",
            "rel\u{2028}ational",
        ] {
            let r = app
                .post(
                    "/codes",
                    &co,
                    json!({"name": "Benefits", "dimension": dimension}),
                )
                .await;
            assert_eq!(
                r.errors_pointer(),
                "/dimension",
                "{dimension:?}: {}",
                r.body
            );
        }
        // U+2028 and U+2029 break lines in mail and calendar clients.
        for sep in ["\u{2028}", "\u{2029}"] {
            let r = app
                .post(
                    "/sites",
                    &app.admin_token,
                    json!({"name": format!("Clinic{sep}B"), "timezone": "Europe/Oslo", "opening_hours": [{"start": "08:00", "end": "12:00"}]}),
                )
                .await;
            assert_eq!(r.errors_pointer(), "/name", "{}", r.body);
            let r = app
                .post("/codes", &co, json!({"name": format!("Be{sep}nefits")}))
                .await;
            assert_eq!(r.errors_pointer(), "/name", "{}", r.body);
            let r = app
                .post(
                    "/api-keys",
                    &co,
                    json!({"name": format!("a{sep}tool"), "scopes": ["sites:read"]}),
                )
                .await;
            assert_eq!(r.errors_pointer(), "/name", "{}", r.body);
            let r = app
                .patch(
                    &format!("/users/{fw}"),
                    &app.admin_token,
                    json!({"display_name": format!("Ola{sep}Dahl")}),
                )
                .await;
            assert_eq!(r.errors_pointer(), "/display_name", "{}", r.body);
        }
        let pid = participant(&app, &co, a, "P45", 30).await;
        let r = app
            .post(
                "/interviews",
                &co,
                json!({"participant_id": pid, "wave": 1, "scheduled_at": iso(oslo(2, 9, 0)), "duration_minutes": 60, "interviewer_ids": [fw], "location": "Room 2\u{2028}DESCRIPTION:x"}),
            )
            .await;
        assert_eq!(r.errors_pointer(), "/location", "{}", r.body);
        // The calendar feed, like every answer with participant data, is
        // kept by no cache.
        let path = app.new_feed(&fw_token).await;
        let ics = app.client.get(app.url(&path)).send().await.expect("feed");
        assert_eq!(ics.status(), 200);
        assert_eq!(ics.headers()["cache-control"], "no-store");
    }
);

/// The messages to `to` whose subject has `subject`, once there are at
/// least `n` (reset links are queued after the answer).
pub(crate) async fn mail_to(
    app: &TestApp,
    to: &str,
    subject: &str,
    n: usize,
) -> Vec<entity::outbox::Model> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let mut found = Vec::new();
    for _ in 0..50 {
        found = entity::outbox::Entity::find()
            .filter(entity::outbox::Column::ToAddr.eq(to))
            .filter(entity::outbox::Column::Subject.contains(subject))
            .order_by_asc(entity::outbox::Column::Id)
            .all(&app.state.db)
            .await
            .expect("outbox");
        if found.len() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    found
}

/// The link token of the newest message to `to` whose subject has `subject`.
pub(crate) async fn token_in_mail(app: &TestApp, to: &str, subject: &str) -> String {
    let mail = mail_to(app, to, subject, 1)
        .await
        .pop()
        .expect("the message");
    let start = mail.body_text.find("token=").expect("a link") + "token=".len();
    mail.body_text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

db_test!(
    password_reset_links_are_limited_per_account,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        app.user("fw@example.org", "fieldworker", &[a]).await;
        for _ in 0..6 {
            let r = app
                .send(
                    app.client
                        .post(app.url("/auth/password-reset"))
                        .json(&json!({"email": "fw@example.org"})),
                )
                .await;
            assert_eq!(r.status, 202);
            // One at a time: each request's count sees the ones before.
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let sent = mail_to(&app, "fw@example.org", "Reset your", 3).await;
        assert_eq!(sent.len(), 3, "at most three links an hour");
    }
);

db_test!(
    password_reset_links_are_limited_per_address,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        for i in 0..12 {
            app.user(&format!("fw{i}@example.org"), "fieldworker", &[a])
                .await;
        }
        for i in 0..12 {
            let r = app
                .send(
                    app.client
                        .post(app.url("/auth/password-reset"))
                        .json(&json!({"email": format!("fw{i}@example.org")})),
                )
                .await;
            assert_eq!(r.status, 202);
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let sent = entity::outbox::Entity::find()
            .filter(entity::outbox::Column::Subject.contains("Reset your"))
            .count(&app.state.db)
            .await
            .expect("outbox");
        assert_eq!(sent, 10, "one address mails at most ten links an hour");
    }
);

db_test!(
    a_password_reset_ends_keys_and_feeds_and_tells_the_user,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, fw) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let secret = key(&app, &fw, &["notes:read"]).await;
        let feed = app.post("/calendar-feeds", &fw, json!({})).await;
        assert_eq!(feed.status, 201);
        let feed_path = s(&feed.body["url"])
            .trim_start_matches("http://fieldnotes.test")
            .to_string();
        let r = app
            .send(
                app.client
                    .post(app.url("/auth/password-reset"))
                    .json(&json!({"email": "fw@example.org"})),
            )
            .await;
        assert_eq!(r.status, 202);
        let token = token_in_mail(&app, "fw@example.org", "Reset your").await;
        let r = app
            .send(
                app.client
                    .post(app.url("/auth/password-reset/confirm"))
                    .json(&json!({"token": token, "password": "a brand new passphrase"})),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(app.get("/me", &secret).await.status, 401, "the key ended");
        let ics = app
            .client
            .get(app.url(&feed_path))
            .send()
            .await
            .expect("feed");
        assert_eq!(ics.status(), 404, "the feed ended");
        let told = mail_to(&app, "fw@example.org", "was reset", 1)
            .await
            .pop()
            .expect("the user is told");
        assert!(
            told.body_text
                .contains("1 API key(s) and 1 calendar feed(s)"),
            "{}",
            told.body_text
        );
    }
);

db_test!(
    an_api_key_records_when_it_was_last_used,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, fw) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let secret = key(&app, &fw, &["sites:read"]).await;
        let before = app.get("/api-keys", &fw).await;
        assert_eq!(before.body[0]["last_used_at"], Value::Null);
        assert_eq!(app.get("/sites", &secret).await.status, 200);
        let mut seen = Value::Null;
        for _ in 0..50 {
            seen = app.get("/api-keys", &fw).await.body[0]["last_used_at"].clone();
            if !seen.is_null() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(seen.is_string(), "last_used_at stays null");
    }
);

/// The database, its log, the mail folder and each message are the service
/// user's alone.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let app = crate::helpers::spawn_app(crate::helpers::Db::Sqlite, &[]).await;
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&app.data_dir), 0o700);
    assert_eq!(mode(&app.data_dir.join("test.db")), 0o600);
    assert_eq!(mode(&app.data_dir.join("test.db-wal")), 0o600);
    let r = app
        .send(
            app.client
                .post(app.url("/auth/password-reset"))
                .json(&json!({"email": "admin@example.org"})),
        )
        .await;
    assert_eq!(r.status, 202);
    let mail = app.data_dir.join("mail");
    let mut eml = None;
    for _ in 0..100 {
        eml = std::fs::read_dir(&mail).ok().and_then(|d| {
            d.flatten()
                .map(|f| f.path())
                .find(|p| p.extension().is_some_and(|e| e == "eml"))
        });
        if eml.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let eml = eml.expect("an .eml file");
    assert_eq!(mode(&mail), 0o700);
    // lettre writes the file, then the worker narrows it (the folder is
    // private meanwhile).
    for _ in 0..50 {
        if mode(&eml) == 0o600 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(mode(&eml), 0o600);
}

db_test!(
    long_lists_of_ids_are_field_errors_not_database_errors,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, fw) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let ids =
            |n: usize| -> Vec<String> { (0..n).map(|_| Uuid::new_v4().to_string()).collect() };
        let r = app
            .post(
                "/notes",
                &fw,
                json!({"id": Uuid::new_v4(), "site_id": a, "observed_at": iso(Utc::now()), "location": "outside", "body": "x", "participant_ids": ids(40_000)}),
            )
            .await;
        assert_eq!(r.errors_pointer(), "/participant_ids", "{}", r.body);
        // 700 notes with 50 ids each: inside the documented limits.
        let notes: Vec<Value> = (0..700)
            .map(|_| json!({"id": Uuid::new_v4(), "site_id": a, "observed_at": iso(Utc::now()), "location": "outside", "body": "x", "code_ids": ids(50)}))
            .collect();
        let r = app.post("/notes/sync", &fw, json!({"notes": notes})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["results"][699]["status"], "invalid");
        let r = app
            .post(
                "/users",
                &app.admin_token,
                json!({"email": "x@example.org", "display_name": "X", "role": "fieldworker", "site_ids": ids(40_000)}),
            )
            .await;
        assert_eq!(r.errors_pointer(), "/site_ids", "{}", r.body);
    }
);

db_test!(
    a_code_used_at_another_site_is_not_merged_from_here,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co_a) = app.user("co-a@example.org", "coordinator", &[a]).await;
        let (_, co_b) = app.user("co-b@example.org", "coordinator", &[b]).await;
        let code = |name: &str| json!({"name": name});
        let used = s(&app.post("/codes", &co_a, code("Clinic rules")).await.body["id"]);
        let other = s(&app.post("/codes", &co_a, code("Rules")).await.body["id"]);
        let note = json!({"id": Uuid::new_v4(), "site_id": a, "observed_at": iso(Utc::now()), "location": "outside", "body": "x", "code_ids": [used]});
        assert_eq!(app.post("/notes", &co_a, note.clone()).await.status, 201);
        // Site B's coordinator cannot recode site A's notes, nor learn how many.
        for path in [
            format!("/codes/{used}?move_to={other}"),
            format!("/codes/{used}"),
        ] {
            let r = app.delete(&path, &co_b).await;
            assert_eq!(r.status, 409, "{}", r.body);
            assert_eq!(r.body["code"], "code_used_elsewhere");
            assert!(r.body.get("count").is_none(), "{}", r.body);
        }
        // Nor rename, describe or re-parent it: the change would show in
        // every analysis of site A. Who may: an admin, or a coordinator of
        // every site that uses it.
        for patch in [
            json!({"name": "Rules of the clinic"}),
            json!({"parent_id": other}),
            json!({"dimension": "configurational"}),
        ] {
            let r = app
                .patch(&format!("/codes/{used}"), &co_b, patch.clone())
                .await;
            assert_eq!(r.status, 409, "{patch}: {}", r.body);
            assert_eq!(r.body["code"], "code_used_elsewhere");
        }
        // A code nobody uses yet is anyone's to change.
        let fresh = s(&app.post("/codes", &co_b, code("Waiting")).await.body["id"]);
        let r = app
            .patch(
                &format!("/codes/{fresh}"),
                &co_b,
                json!({"name": "Waiting time"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = app
            .patch(
                &format!("/codes/{used}"),
                &co_a,
                json!({"dimension": "configurational"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = app
            .patch(
                &format!("/codes/{used}"),
                &app.admin_token,
                json!({"name": "Clinic rules"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let n = app.get(&format!("/notes/{}", s(&note["id"])), &co_a).await;
        assert_eq!(n.body["code_ids"], json!([used]));
        // A coordinator of the site that uses it may merge it.
        let r = app
            .delete(&format!("/codes/{used}?move_to={other}"), &co_a)
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
    }
);

async fn login_from(app: &TestApp, from: &str, email: &str, password: &str) -> u16 {
    app.send(
        app.client
            .post(app.url("/auth/login"))
            .header("X-Forwarded-For", from)
            .json(&json!({"email": email, "password": password})),
    )
    .await
    .status
}

db_test!(
    login_throttling_sees_clients_behind_the_balancer,
    env = [("FIELDNOTES_TRUSTED_PROXIES", "127.0.0.1/32".to_string())],
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        app.user("fw@example.org", "fieldworker", &[a]).await;
        let fw_from =
            |from: &'static str| login_from(&app, from, "fw@example.org", crate::helpers::PASSWORD);
        // One client guesses 31 accounts' passwords through the balancer...
        for i in 0..31 {
            let email = format!("u{i}@example.org");
            let status = login_from(&app, "203.0.113.7", &email, "not the password").await;
            assert!(status == 401 || status == 429, "{status}");
        }
        assert_eq!(fw_from("203.0.113.7").await, 429);
        // ...and everyone else still signs in.
        assert_eq!(fw_from("198.51.100.9").await, 200);
        // Someone guessing this user's password elsewhere locks out their own
        // addresses, not the device the user signs in from.
        for _ in 0..6 {
            login_from(&app, "192.0.2.66", "fw@example.org", "not the password").await;
        }
        assert_eq!(fw_from("192.0.2.66").await, 429);
        assert_eq!(fw_from("198.51.100.9").await, 200);
        assert_eq!(fw_from("192.0.2.99").await, 429);
    }
);

db_test!(
    a_client_cannot_choose_its_address,
    |app: TestApp| async move {
        // No trusted proxy: X-Forwarded-For is the client's own claim.
        for i in 0..31 {
            login_from(
                &app,
                &format!("203.0.113.{i}"),
                &format!("u{i}@example.org"),
                "not the password",
            )
            .await;
        }
        assert_eq!(
            login_from(
                &app,
                "198.51.100.9",
                "admin@example.org",
                crate::helpers::PASSWORD
            )
            .await,
            429
        );
    }
);

db_test!(
    a_slip_is_redacted_for_good_and_history_is_for_author_and_coordinators,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (_, author) = app.user("fw1@example.org", "fieldworker", &[a]).await;
        let (_, other) = app.user("fw2@example.org", "fieldworker", &[a]).await;
        let id = Uuid::new_v4();
        let original = json!({"id": id, "site_id": a, "observed_at": iso(Utc::now() - Duration::hours(1)), "location": "waiting_room", "body": "Met Ola Nordmann by the window, talked about the queue"});
        assert_eq!(
            app.post("/notes", &author, original.clone()).await.status,
            201
        );
        use sea_orm::ConnectionTrait;
        let sqlite = app.state.db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite;
        edit_first_version(
            &app,
            &author,
            &id.to_string(),
            "Met a patient by the window, talked about the queue",
        )
        .await;
        // The history is the author's and the coordinators' to read.
        assert_eq!(
            app.get(&format!("/notes/{id}/history"), &other)
                .await
                .status,
            403
        );
        assert_eq!(
            app.get(&format!("/notes/{id}/history"), &author)
                .await
                .status,
            200
        );
        assert_eq!(
            app.post(
                &format!("/notes/{id}/redact"),
                &author,
                json!({"reason": "a real name"})
            )
            .await
            .status,
            403
        );
        let r = app
            .post(
                &format!("/notes/{id}/redact"),
                &co,
                json!({"reason": "a participant's real name"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            (
                r.body["versions_erased"].clone(),
                r.body["current_erased"].clone()
            ),
            (json!(1), json!(false))
        );
        let h = app.get(&format!("/notes/{id}/history"), &co).await;
        assert_eq!(h.body["items"][0]["body"], "");
        assert_eq!(h.body["items"][0]["redacted"], true);
        assert_eq!(
            h.body["items"][1]["body"],
            "Met a patient by the window, talked about the queue"
        );
        assert!(!h.body.to_string().contains("Nordmann"));
        let found = app.get("/notes?q=Nordmann", &co).await;
        assert_eq!(found.body["items"], json!([]));
        // The audit log says who, when and why, never the words.
        let audit = app.get("/audit?action=note.redact", &app.admin_token).await;
        assert!(
            audit.body.to_string().contains("real name"),
            "{}",
            audit.body
        );
        assert!(!audit.body.to_string().contains("Nordmann"));
        // As soon as the redaction answers, no file of the data directory
        // holds the words (SQLite: the write-ahead log is checkpointed).
        if sqlite {
            let left = files_holding(&app.data_dir, b"Nordmann");
            assert!(left.is_empty(), "Nordmann is still in {left:?}");
        }
        // A retry of the original text cannot confirm a guess of it: 409,
        // like any other text.
        let r = app.post("/notes", &author, original.clone()).await;
        assert_eq!(r.status, 409, "{}", r.body);
        // A deleted note: its own text goes too, and other fieldworkers no
        // longer see it.
        assert_eq!(
            app.delete(&format!("/notes/{id}"), &author).await.status,
            204
        );
        assert_eq!(app.get(&format!("/notes/{id}"), &other).await.status, 404);
        let mine = app.get("/notes?include_deleted=true", &other).await;
        assert_eq!(mine.body["items"], json!([]));
        let r = app
            .post(
                &format!("/notes/{id}/redact"),
                &co,
                json!({"reason": "the rest of it"}),
            )
            .await;
        assert_eq!(r.body["current_erased"], true, "{}", r.body);
        assert_eq!(
            app.get("/notes?q=patient&include_deleted=true", &co)
                .await
                .body["items"],
            json!([])
        );
        let n = app.get(&format!("/notes/{id}"), &author).await;
        assert_eq!((n.status, n.body["body"].clone()), (200, json!("")));
        // Its erased text cannot come back as an empty note.
        let r = app
            .post(&format!("/notes/{id}/restore"), &co, json!({}))
            .await;
        assert_eq!(
            (r.status, r.body["code"].clone()),
            (409, json!("note_redacted")),
            "{}",
            r.body
        );
        // On SQLite the erased words are gone from the files as well (freed
        // pages and the full-text index are overwritten, the write-ahead log
        // checkpointed) as soon as the redaction answers.
        if sqlite {
            for word in ["Nordmann", "nordmann", "window"] {
                let left = files_holding(&app.data_dir, word.as_bytes());
                assert!(left.is_empty(), "{word:?} is still in {left:?}");
            }
        }
    }
);

/// The files under `dir` whose bytes contain `needle`.
fn files_holding(dir: &std::path::Path, needle: &[u8]) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("data dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_holding(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path) {
            if bytes.windows(needle.len()).any(|w| w == needle) {
                found.push(path);
            }
        }
    }
    found
}

async fn register(app: &TestApp, token: &str, site: Uuid, pseudonym: &str) -> crate::helpers::Resp {
    app.post(
        "/participants",
        token,
        json!({"pseudonym": pseudonym, "site_id": site, "treatment_started_on": "2026-10-01"}),
    )
    .await
}

db_test!(
    a_pseudonym_used_only_at_another_site_reads_as_unused,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co_a) = app.user("coa@example.org", "coordinator", &[a]).await;
        let (_, co_b) = app.user("cob@example.org", "coordinator", &[b]).await;
        assert_eq!(register(&app, &co_a, a, "Anna").await.status, 201);
        // At site B, "Anna" answers as an unused pseudonym does.
        let used_elsewhere = register(&app, &co_b, b, "Anna").await;
        let unused = register(&app, &co_b, b, "Berit").await;
        assert_eq!(used_elsewhere.status, 201, "{}", used_elsewhere.body);
        assert_eq!(unused.status, 201);
        // Within a site it is still taken, and the answer names only that site.
        let again = register(&app, &co_b, b, "anna").await;
        assert_eq!(again.status, 409, "{}", again.body);
        assert_eq!(s(&again.body["code"]), "pseudonym_taken");
        // The two Annas stay apart: each is listed with its own site.
        let all = app
            .get("/participants?pseudonym_prefix=ann", &app.admin_token)
            .await;
        let sites: Vec<String> = all.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|p| s(&p["site_id"]))
            .collect();
        assert_eq!(sites.len(), 2, "{}", all.body);
        assert!(sites.contains(&a.to_string()) && sites.contains(&b.to_string()));
        let only_b = app.get("/participants?pseudonym_prefix=ANN", &co_b).await;
        assert_eq!(only_b.body["items"].as_array().map(Vec::len), Some(1));
    }
);

db_test!(
    pseudonyms_that_look_alike_are_one_participant,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let anna = register(&app, &co, a, "Anna").await;
        assert_eq!(anna.status, 201);
        assert_eq!(register(&app, &co, a, "Åse").await.status, 201);
        // The same name written differently is taken.
        for same in [
            "\u{ff21}\u{ff4e}\u{ff4e}\u{ff41}",
            "ANNA",
            " anna ",
            "A\u{30a}se",
        ] {
            let r = register(&app, &co, a, same).await;
            assert_eq!(r.status, 409, "{same:?}: {}", r.body);
        }
        // Invisible, control and mixed-alphabet characters are refused.
        for bad in [
            "An\u{200b}na",
            "\u{200b}",
            "An\u{ad}na",
            "\u{202e}annA",
            "An\u{0}na",
            "\u{410}nna",
        ] {
            let r = register(&app, &co, a, bad).await;
            assert_eq!(r.errors_pointer(), "/pseudonym", "{bad:?}: {}", r.body);
        }
        // A fullwidth pseudonym is stored as its plain form.
        let r = register(&app, &co, a, "\u{ff22}\u{ff45}\u{ff52}\u{ff49}\u{ff54}").await;
        assert_eq!(s(&r.body["pseudonym"]), "Berit", "{}", r.body);
        // Renaming into a look-alike is refused too.
        let r = app
            .patch(
                &format!("/participants/{}", s(&r.body["id"])),
                &co,
                json!({"pseudonym": "ANNA"}),
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.body);
        let list = app.get("/participants", &co).await;
        assert_eq!(list.body["items"].as_array().map(Vec::len), Some(3));
    }
);
