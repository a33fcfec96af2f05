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
        assert_eq!(r.status, 400, "{}", r.body);
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
        let r = app
            .send(
                app.client
                    .patch(app.url(&format!("/notes/{id}")))
                    .bearer_auth(&co)
                    .header("If-Match", "\"1\"")
                    .json(&json!({"body": "Edited by the coordinator"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
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
        let r = app
            .post(
                "/participants",
                &co,
                json!({"pseudonym": "P43\r\nBcc: x@example.org", "site_id": a, "treatment_started_on": "2026-10-01"}),
            )
            .await;
        assert_eq!(r.errors_pointer(), "/pseudonym", "{}", r.body);
        let r = app
            .post(
                "/participants",
                &co,
                json!({"pseudonym": "P4\u{0}3", "site_id": a, "treatment_started_on": "2026-10-01"}),
            )
            .await;
        assert_eq!(r.errors_pointer(), "/pseudonym", "{}", r.body);
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
