//! What external apps rely on (issue 31): safe concurrent edits with ETags
//! (`If-Match`, `*`, 412 with the current tag, `If-None-Match` 304, no new
//! version for a change that changes nothing), CORS for configured origins
//! only, and clear answers for what does not exist.
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::{spawn_app, Db, Resp, TestApp};
use crate::interviews::{book, oslo, participant, s};

fn etag(r: &Resp) -> String {
    r.headers
        .get("etag")
        .unwrap_or_else(|| panic!("no ETag: {} {}", r.status, r.body))
        .to_str()
        .expect("ascii")
        .to_string()
}

async fn send_with(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    header: (&str, &str),
    body: Option<Value>,
) -> Resp {
    let mut req = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .header(header.0, header.1);
    if let Some(b) = body {
        req = req.json(&b);
    }
    app.send(req).await
}

/// How many audit entries of `action` there are about `object`.
async fn audited(app: &TestApp, action: &str, object: &str) -> usize {
    let r = app
        .get(
            &format!("/audit?action={action}&object_id={object}&limit=200"),
            &app.admin_token,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"].as_array().expect("items").len()
}

db_test!(
    notes_honour_if_match_star_and_if_none_match,
    |app: TestApp| async move {
        let site = app.create_site("Clinic A").await;
        let (_, fw) = app.user("fw@example.org", "fieldworker", &[site]).await;
        let id = Uuid::new_v4();
        let body = "Queue at the door before opening.";
        let r = app
        .post(
            "/notes",
            &fw,
            json!({"id": id, "site_id": site, "observed_at": (Utc::now() - Duration::hours(1)).to_rfc3339(),
                   "location": "waiting_room", "body": body, "participant_ids": [], "code_ids": []}),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let path = format!("/notes/{id}");
        use reqwest::Method;

        // A change that changes nothing: the same text, or nothing at all.
        for same in [
            json!({"body": body}),
            json!({}),
            json!({"location": "waiting_room", "participant_ids": []}),
        ] {
            let r = send_with(
                &app,
                Method::PATCH,
                &path,
                &fw,
                ("If-Match", "\"1\""),
                Some(same),
            )
            .await;
            assert_eq!(
                (r.status, r.body["version"].as_i64()),
                (200, Some(1)),
                "{}",
                r.body
            );
            assert_eq!(etag(&r), "\"1\"");
        }
        let history = app.get(&format!("{path}/history"), &fw).await;
        assert_eq!(
            history.body["items"].as_array().map(Vec::len),
            Some(1),
            "{}",
            history.body
        );
        assert_eq!(audited(&app, "note.update", &id.to_string()).await, 0);

        // `*` changes whatever is current.
        let r = send_with(
            &app,
            Method::PATCH,
            &path,
            &fw,
            ("If-Match", "*"),
            Some(json!({"body": "Queue, then rain."})),
        )
        .await;
        assert_eq!(
            (r.status, r.body["version"].as_i64()),
            (200, Some(2)),
            "{}",
            r.body
        );
        assert_eq!(audited(&app, "note.update", &id.to_string()).await, 1);

        // A stale tag: 412 with the current note and its ETag, nothing changed.
        let r = send_with(
            &app,
            Method::PATCH,
            &path,
            &fw,
            ("If-Match", "\"1\""),
            Some(json!({"body": "Overwrite"})),
        )
        .await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (412, Some("version_mismatch"))
        );
        assert_eq!(etag(&r), "\"2\"");
        assert_eq!(r.body["current"]["body"], "Queue, then rain.");
        assert_eq!(r.body["etag"], "\"2\"");
        // One of several tags may match; a weak one never does.
        let r = send_with(
            &app,
            Method::PATCH,
            &path,
            &fw,
            ("If-Match", "W/\"2\""),
            Some(json!({"body": "x"})),
        )
        .await;
        assert_eq!(r.status, 412);
        let r = send_with(
            &app,
            Method::PATCH,
            &path,
            &fw,
            ("If-Match", "\"9\", \"2\""),
            Some(json!({"body": "Queue, then sun."})),
        )
        .await;
        assert_eq!(
            (r.status, r.body["version"].as_i64()),
            (200, Some(3)),
            "{}",
            r.body
        );

        // A reader who has the current version gets 304 and no body.
        let r = send_with(
            &app,
            Method::GET,
            &path,
            &fw,
            ("If-None-Match", "\"3\""),
            None,
        )
        .await;
        assert_eq!((r.status, &r.body), (304, &Value::Null));
        assert_eq!(etag(&r), "\"3\"");
        let r = send_with(
            &app,
            Method::GET,
            &path,
            &fw,
            ("If-None-Match", "\"2\""),
            None,
        )
        .await;
        assert_eq!((r.status, r.body["version"].as_i64()), (200, Some(3)));
        // 304 is no way around access: another site's note is still not found.
        let other = app.create_site("Clinic B").await;
        let (_, fw_b) = app.user("fwb@example.org", "fieldworker", &[other]).await;
        let r = send_with(
            &app,
            Method::GET,
            &path,
            &fw_b,
            ("If-None-Match", "*"),
            None,
        )
        .await;
        assert_eq!(r.status, 404);
    }
);

db_test!(
    interviews_and_participants_carry_etags,
    |app: TestApp| async move {
        use reqwest::Method;
        let site = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[site]).await;
        let (fw_id, _) = app.user("fw@example.org", "fieldworker", &[site]).await;
        let pid = participant(&app, &co, site, "Heron", 30).await;
        let booked = book(&app, &co, &pid, oslo(3, 10, 0), &[fw_id]).await;
        assert_eq!(booked.status, 201, "{}", booked.body);
        let iid = s(&booked.body["id"]);
        let path = format!("/interviews/{iid}");
        let first = app.get(&path, &co).await;
        let tag1 = etag(&first);
        assert_eq!(
            tag1,
            etag(&booked),
            "the booking answer carries the same tag"
        );

        // 304 while unchanged.
        let r = send_with(
            &app,
            Method::GET,
            &path,
            &co,
            ("If-None-Match", &tag1),
            None,
        )
        .await;
        assert_eq!(r.status, 304);

        // Two coordinators reschedule from the same view: the second is refused.
        let a = send_with(
            &app,
            Method::PATCH,
            &path,
            &co,
            ("If-Match", &tag1),
            Some(json!({"scheduled_at": oslo(4, 10, 0).to_rfc3339()})),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
        let tag2 = etag(&a);
        assert_ne!(tag1, tag2);
        let b = send_with(
            &app,
            Method::PATCH,
            &path,
            &co,
            ("If-Match", &tag1),
            Some(json!({"scheduled_at": oslo(5, 10, 0).to_rfc3339()})),
        )
        .await;
        assert_eq!(
            (b.status, b.body["code"].as_str()),
            (412, Some("version_mismatch")),
            "{}",
            b.body
        );
        assert_eq!(etag(&b), tag2);
        assert_eq!(b.body["current"]["scheduled_at"], a.body["scheduled_at"]);
        let now = app.get(&path, &co).await;
        assert_eq!(
            now.body["scheduled_at"], a.body["scheduled_at"],
            "the first change stands"
        );
        assert_eq!(now.body["reschedules"].as_array().map(Vec::len), Some(1));
        // With the current tag it goes through.
        let c = send_with(
            &app,
            Method::PATCH,
            &path,
            &co,
            ("If-Match", &etag(&b)),
            Some(json!({"location": "Room 3"})),
        )
        .await;
        assert_eq!(
            (c.status, c.body["location"].as_str()),
            (200, Some("Room 3")),
            "{}",
            c.body
        );

        // A change that changes nothing: same tag, no audit row, no sequence.
        let before = audited(&app, "interview.update", &iid).await;
        let same = send_with(
            &app,
            Method::PATCH,
            &path,
            &co,
            ("If-Match", "*"),
            Some(json!({"location": "Room 3", "interviewer_ids": [fw_id]})),
        )
        .await;
        assert_eq!(same.status, 200, "{}", same.body);
        assert_eq!(etag(&same), etag(&c));
        assert_eq!(same.body["sequence"], c.body["sequence"]);
        assert_eq!(audited(&app, "interview.update", &iid).await, before);

        // Participants: the same contract.
        let ppath = format!("/participants/{pid}");
        let p1 = app.get(&ppath, &co).await;
        let ptag = etag(&p1);
        let r = send_with(
            &app,
            Method::GET,
            &ppath,
            &co,
            ("If-None-Match", &ptag),
            None,
        )
        .await;
        assert_eq!(r.status, 304);
        let r = send_with(
            &app,
            Method::PATCH,
            &ppath,
            &co,
            ("If-Match", &ptag),
            Some(json!({"age_band": "30-39"})),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_ne!(etag(&r), ptag);
        let r2 = send_with(
            &app,
            Method::PATCH,
            &ppath,
            &co,
            ("If-Match", &ptag),
            Some(json!({"gender": "woman"})),
        )
        .await;
        assert_eq!(
            (r2.status, r2.body["code"].as_str()),
            (412, Some("version_mismatch"))
        );
        assert_eq!(r2.body["current"]["age_band"], "30-39");
        assert_eq!(etag(&r2), etag(&r));
        let before = audited(&app, "participant.update", &pid).await;
        let same = send_with(
            &app,
            Method::PATCH,
            &ppath,
            &co,
            ("If-Match", &etag(&r)),
            Some(json!({"age_band": "30-39", "pseudonym": "Heron"})),
        )
        .await;
        assert_eq!(same.status, 200, "{}", same.body);
        assert_eq!(etag(&same), etag(&r));
        assert_eq!(audited(&app, "participant.update", &pid).await, before);
        // Without If-Match, a change still goes through (last write wins, as before).
        let r = app.patch(&ppath, &co, json!({"gender": "woman"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
);

db_test!(
    a_transcript_sent_again_makes_no_version,
    |app: TestApp| async move {
        use reqwest::Method;
        let site = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[site]).await;
        let (fw_id, _) = app.user("fw@example.org", "fieldworker", &[site]).await;
        let pid = participant(&app, &co, site, "Wren", 30).await;
        let iid = s(&book(&app, &co, &pid, oslo(3, 10, 0), &[fw_id]).await.body["id"]);
        let t = app
            .post(
                &format!("/interviews/{iid}/transcripts"),
                &co,
                json!({"language": "nb", "body": "I: Hei.\nD: Hei."}),
            )
            .await;
        assert_eq!(t.status, 201, "{}", t.body);
        let path = format!("/transcripts/{}", s(&t.body["id"]));
        let again = send_with(
            &app,
            Method::PUT,
            &path,
            &co,
            ("If-Match", "\"1\""),
            Some(json!({"language": "nb", "body": "I: Hei.\nD: Hei."})),
        )
        .await;
        assert_eq!(
            (again.status, again.body["version"].as_i64()),
            (200, Some(1)),
            "{}",
            again.body
        );
        let r = send_with(
            &app,
            Method::GET,
            &path,
            &co,
            ("If-None-Match", "\"1\""),
            None,
        )
        .await;
        assert_eq!(r.status, 304);
        let changed = send_with(
            &app,
            Method::PUT,
            &path,
            &co,
            ("If-Match", "*"),
            Some(json!({"language": "nb", "body": "I: Hei igjen."})),
        )
        .await;
        assert_eq!(changed.body["version"], 2, "{}", changed.body);
        let stale = send_with(
            &app,
            Method::PUT,
            &path,
            &co,
            ("If-Match", "\"1\""),
            Some(json!({"language": "nb", "body": "x"})),
        )
        .await;
        assert_eq!((stale.status, etag(&stale)), (412, "\"2\"".to_string()));
        assert_eq!(stale.body["current"]["version"], 2);
    }
);

db_test!(
    an_unknown_export_is_not_found_by_name,
    |app: TestApp| async move {
        let r = app.get("/exports/nope.csv", &app.admin_token).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (404, Some("not_found")),
            "{}",
            r.body
        );
        let detail = r.body["detail"].as_str().expect("detail");
        assert!(
            detail.contains("nope.csv") && detail.contains("interviews.csv"),
            "{detail}"
        );
        assert!(!detail.contains("UUID"), "{detail}");
        let ok = app
            .client
            .get(app.url("/exports/sessions.csv"))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .expect("send");
        assert_eq!(ok.status(), 200);
    }
);

const PARTNER: &str = "https://partner.example.org";

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(
            reqwest::Method::OPTIONS,
            app.url("/notes/0190a0a0-0000-7000-8000-000000000000"),
        )
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "PATCH")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type, if-match",
        )
        .send()
        .await
        .expect("preflight")
}

fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().expect("ascii").to_lowercase())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_answers_configured_origins_only() {
    let app = spawn_app(
        Db::Sqlite,
        &[(
            "FIELDNOTES_CORS_ORIGINS",
            format!("{PARTNER}, http://localhost:5173"),
        )],
    )
    .await;
    let ok = preflight(&app, PARTNER).await;
    assert!(ok.status().is_success(), "{}", ok.status());
    assert_eq!(
        header(&ok, "access-control-allow-origin").as_deref(),
        Some(PARTNER)
    );
    let methods = header(&ok, "access-control-allow-methods").expect("methods");
    for m in ["get", "post", "put", "patch", "delete"] {
        assert!(methods.contains(m), "{methods}");
    }
    let allowed = header(&ok, "access-control-allow-headers").expect("headers");
    for h in ["authorization", "content-type", "if-match"] {
        assert!(allowed.contains(h), "{allowed}");
    }
    // A real call from the partner: its script may read ETag and Location.
    let me = app
        .client
        .get(app.url("/me"))
        .bearer_auth(&app.admin_token)
        .header("Origin", PARTNER)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), 200);
    assert_eq!(
        header(&me, "access-control-allow-origin").as_deref(),
        Some(PARTNER)
    );
    let exposed = header(&me, "access-control-expose-headers").expect("exposed");
    assert!(
        exposed.contains("etag") && exposed.contains("location"),
        "{exposed}"
    );
    // Another origin gets no CORS header, on a preflight or a call.
    let evil = preflight(&app, "https://evil.example.com").await;
    assert!(header(&evil, "access-control-allow-origin").is_none());
    assert!(evil.status().is_client_error(), "{}", evil.status());
    let call = app
        .client
        .get(app.url("/me"))
        .bearer_auth(&app.admin_token)
        .header("Origin", "https://evil.example.com")
        .send()
        .await
        .expect("me");
    assert!(header(&call, "access-control-allow-origin").is_none());
    // The web client's own origin works as before.
    let own = app
        .client
        .post(app.url("/auth/login"))
        .header("Origin", app.base.clone())
        .json(&json!({"email": "nobody@example.org", "password": "wrong password here"}))
        .send()
        .await
        .expect("login");
    assert_eq!(own.status(), 401);

    // Off by default: nobody gets CORS headers.
    let plain = spawn_app(Db::Sqlite, &[]).await;
    let r = preflight(&plain, PARTNER).await;
    assert!(header(&r, "access-control-allow-origin").is_none());
}

db_test!(interviews_page_with_a_cursor, |app: TestApp| async move {
    let site = app.create_site("Clinic A").await;
    let (_, co) = app.user("co@example.org", "coordinator", &[site]).await;
    let (fw_id, _) = app.user("fw@example.org", "fieldworker", &[site]).await;
    let mut booked = Vec::new();
    for (i, name) in ["Ash", "Birch", "Cedar", "Dogwood", "Elm"]
        .iter()
        .enumerate()
    {
        let pid = participant(&app, &co, site, name, 30).await;
        // Two at the same time share a sort time; the id breaks the tie.
        let hour = 9 + (i as u32 / 2);
        let r = book(&app, &co, &pid, oslo(3, hour, 0), &[fw_id]).await;
        if r.status == 409 {
            // The interviewer is busy then: another hour.
            let r = book(&app, &co, &pid, oslo(4, hour, 0), &[fw_id]).await;
            assert_eq!(r.status, 201, "{}", r.body);
            booked.push(s(&r.body["id"]));
        } else {
            assert_eq!(r.status, 201, "{}", r.body);
            booked.push(s(&r.body["id"]));
        }
    }
    let whole = app.get("/interviews?limit=200", &co).await;
    let all: Vec<String> = whole.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| s(&i["id"]))
        .collect();
    assert_eq!(all.len(), 5);
    assert_eq!(whole.body["next_cursor"], Value::Null);
    let mut seen = Vec::new();
    let mut path = "/interviews?limit=2".to_string();
    let mut pages = 0;
    loop {
        let page = app.get(&path, &co).await;
        assert_eq!(page.status, 200, "{}", page.body);
        pages += 1;
        seen.extend(
            page.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| s(&i["id"])),
        );
        match page.body["next_cursor"].as_str() {
            Some(c) => path = format!("/interviews?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!((pages, &seen), (3, &all), "every interview once, in order");
    let mut sorted = booked.clone();
    sorted.sort();
    seen.sort();
    assert_eq!(seen, sorted);
    let r = app.get("/interviews?cursor=not-a-cursor", &co).await;
    assert_eq!(
        (r.status, r.body["errors"][0]["pointer"].as_str()),
        (422, Some("/cursor")),
        "{}",
        r.body
    );
});
