//! Field notes and the codebook over HTTP.
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::{Resp, TestApp};

fn note(site: Uuid, body: &str) -> Value {
    json!({
        "id": Uuid::new_v4(),
        "site_id": site,
        "observed_at": (Utc::now() - Duration::hours(3)).to_rfc3339(),
        "location": "waiting_room",
        "body": body,
        "participant_ids": [],
        "code_ids": []
    })
}

async fn with_if_match(
    app: &TestApp,
    path: &str,
    token: &str,
    etag: Option<&str>,
    body: Value,
) -> Resp {
    let mut req = app
        .client
        .patch(app.url(path))
        .bearer_auth(token)
        .json(&body);
    if let Some(e) = etag {
        req = req.header("If-Match", e);
    }
    app.send(req).await
}

/// The ids of every page of `path` (a query string with a `limit`), in order,
/// following `next_cursor` until there is none.
async fn all_pages(app: &TestApp, path: &str, token: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut next = path.to_string();
    loop {
        let page = app.get(&next, token).await;
        seen.extend(ids(&page));
        match page.body["next_cursor"].as_str() {
            Some(c) => next = format!("{path}&cursor={c}"),
            None => return seen,
        }
    }
}

fn ids(r: &Resp) -> Vec<String> {
    r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {} {}", r.status, r.body))
        .iter()
        .filter_map(|n| n["id"].as_str().map(String::from))
        .collect()
}

db_test!(a_retried_note_is_stored_once, |app: TestApp| async move {
    let site = app.create_site("Clinic A").await;
    let (_, fw) = app.user("fw@example.org", "fieldworker", &[site]).await;
    let (_, fw2) = app.user("fw2@example.org", "fieldworker", &[site]).await;
    let n = note(site, "Two patients joked about the new queue system.");
    let first = app.post("/notes", &fw, n.clone()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.headers["etag"], "\"1\"");
    assert_eq!(first.body["version"], 1);
    // the phone did not hear the answer and sends it again
    let again = app.post("/notes", &fw, n.clone()).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body, first.body);
    // the same id with other content, or from someone else, is a conflict
    let mut other = n.clone();
    other["body"] = json!("Something else entirely");
    let r = app.post("/notes", &fw, other).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("note_id_conflict"))
    );
    assert_eq!(app.post("/notes", &fw2, n.clone()).await.status, 409);
    let list = app.get("/notes", &fw).await;
    assert_eq!(ids(&list), vec![n["id"].as_str().expect("id").to_string()]);
    // concurrent retries of one new note: one row
    let n = note(site, "Concurrent retries");
    let sends = (0..8).map(|_| app.post("/notes", &fw, n.clone()));
    let statuses: Vec<u16> = futures_util::future::join_all(sends)
        .await
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "{statuses:?}"
    );
    assert_eq!(ids(&app.get("/notes", &fw).await).len(), 2);
});

/// SQLite's group writer runs its own transaction on the write connection.
/// A group that fails half-way (here a link to a participant that does not
/// exist, which validation would have refused) must commit nothing of it,
/// must not cost the request written with it, and must not leave the
/// connection inside a transaction for the next borrower.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_group_commits_nothing_and_the_writer_goes_on() {
    use fieldnotes::{
        kernel::audit::Actor,
        notes::{Applied, NoteIn},
    };
    let app = crate::helpers::spawn_app(crate::helpers::Db::Sqlite, &[]).await;
    let site = app.create_site("Clinic A").await;
    let (fw_id, fw) = app.user("fw@example.org", "fieldworker", &[site]).await;
    let writer = app
        .state
        .writer
        .group
        .clone()
        .expect("SQLite has a notes writer");
    let mut bad = note(site, "Linked to a participant who does not exist");
    bad["participant_ids"] = json!([Uuid::new_v4()]);
    let good = note(site, "An ordinary note");
    let blocker = note(site, "Written first");
    let parse = |v: &Value| -> NoteIn { serde_json::from_value(v.clone()).expect("a note") };
    // Hold the write connection so the writer waits with the blocker's group,
    // while the bad and the good request queue up behind it: they then make
    // one group of their own.
    let pool = app.state.db.get_sqlite_connection_pool().clone();
    let held = pool.acquire().await.expect("the write connection");
    let first = tokio::spawn({
        let (w, n) = (writer.clone(), parse(&blocker));
        async move { w.submit(fw_id, Actor::system(), vec![Ok(n)]).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let both = tokio::spawn({
        let w = writer.clone();
        let (bad, good) = (parse(&bad), parse(&good));
        async move {
            futures_util::future::join(
                w.submit(fw_id, Actor::system(), vec![Ok(bad)]),
                w.submit(fw_id, Actor::system(), vec![Ok(good)]),
            )
            .await
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    drop(held);
    assert!(matches!(
        first.await.expect("join").as_deref(),
        Ok([Applied::Created(_)])
    ));
    let (bad_result, good_result) = both.await.expect("join");
    assert!(bad_result.is_err(), "a broken link must fail");
    assert!(
        matches!(good_result.as_deref(), Ok([Applied::Created(_)])),
        "the other request is written all the same"
    );
    // The connection is usable: the next notes go in, and nothing of the
    // failed group was committed along with them.
    let after = note(site, "Written after the failure");
    let r = app.post("/notes", &fw, after.clone()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let path = |n: &Value| format!("/notes/{}", n["id"].as_str().expect("id"));
    assert_eq!(app.get(&path(&good), &fw).await.status, 200);
    assert_eq!(app.get(&path(&after), &fw).await.status, 200);
    assert_eq!(app.get(&path(&bad), &fw).await.status, 404);
    let list = app.get("/notes?limit=10", &fw).await;
    assert_eq!(ids(&list).len(), 3, "{}", list.body);
    // the audit log has the notes that were written, once each, and not the other
    let created = |n: &Value| {
        let id = n["id"].as_str().expect("id").to_string();
        let db = app.state.db.clone();
        async move {
            use entity::audit_log::{Column, Entity};
            use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
            Entity::find()
                .filter(Column::Action.eq("note.create"))
                .filter(Column::ObjectId.eq(id))
                .count(&db)
                .await
                .expect("count")
        }
    };
    assert_eq!(created(&good).await, 1);
    assert_eq!(created(&after).await, 1);
    assert_eq!(created(&blocker).await, 1);
    assert_eq!(created(&bad).await, 0);
}

// The writer's group on either database (on PostgreSQL one statement of
// data-modifying CTEs): a group that fails commits none of its notes,
// links, versions or audit entries; a group that goes in writes each note
// once with its links, its first version and one `note.create` entry, and
// a second copy of an id in the same group is answered as a retry.
db_test!(
    a_group_is_written_whole_or_not_at_all,
    |app: TestApp| async move {
        use fieldnotes::{
            kernel::audit::Actor,
            notes::{Applied, NoteIn},
        };
        let site = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[site]).await;
        let (fw_id, fw) = app.user("fw@example.org", "fieldworker", &[site]).await;
        let made = |r: Resp| {
            assert_eq!(r.status, 201, "{}", r.body);
            r.body["id"].as_str().expect("id").to_string()
        };
        let p1 = made(
            app.post(
                "/participants",
                &co,
                json!({"pseudonym": "P01", "site_id": site, "treatment_started_on": "2026-10-01"}),
            )
            .await,
        );
        let code = made(app.post("/codes", &co, json!({"name": "Queues"})).await);
        let parse = |v: &Value| -> NoteIn { serde_json::from_value(v.clone()).expect("a note") };
        let mut linked = note(site, "Linked to P01 and coded");
        linked["participant_ids"] = json!([p1, p1]);
        linked["code_ids"] = json!([code]);
        let plain = note(site, "No links");
        let mut bad = note(site, "Linked to a participant who does not exist");
        bad["participant_ids"] = json!([Uuid::new_v4()]);
        let rows = |id: String| {
            let db = app.state.db.clone();
            async move {
                use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
                let uuid: Uuid = id.parse().expect("uuid");
                let notes = entity::note::Entity::find_by_id(uuid).count(&db).await;
                let versions = entity::note_version::Entity::find()
                    .filter(entity::note_version::Column::NoteId.eq(uuid))
                    .count(&db)
                    .await;
                let links = entity::note_participant::Entity::find()
                    .filter(entity::note_participant::Column::NoteId.eq(uuid))
                    .count(&db)
                    .await;
                let codings = entity::note_code::Entity::find()
                    .filter(entity::note_code::Column::NoteId.eq(uuid))
                    .count(&db)
                    .await;
                let audit = entity::audit_log::Entity::find()
                    .filter(entity::audit_log::Column::Action.eq("note.create"))
                    .filter(entity::audit_log::Column::ObjectId.eq(id))
                    .count(&db)
                    .await;
                [notes, versions, links, codings, audit].map(|c| c.expect("count"))
            }
        };
        let id = |v: &Value| v["id"].as_str().expect("id").to_string();
        let writer = app.state.writer.clone();
        // the broken link fails the whole request: nothing of it is stored
        let failed = writer
            .notes(
                fw_id,
                Actor::system(),
                vec![Ok(parse(&linked)), Ok(parse(&plain)), Ok(parse(&bad))],
            )
            .await;
        assert!(failed.is_err(), "a broken link must fail the group");
        for n in [&linked, &plain, &bad] {
            assert_eq!(rows(id(n)).await, [0; 5], "{n}");
        }
        // without it the same notes go in, a second copy of one as a retry
        let applied = writer
            .notes(
                fw_id,
                Actor::system(),
                vec![Ok(parse(&linked)), Ok(parse(&plain)), Ok(parse(&linked))],
            )
            .await
            .expect("written");
        let what: Vec<&str> = applied
            .iter()
            .map(|a| match a {
                Applied::Created(_) => "created",
                Applied::Unchanged(_) => "unchanged",
                Applied::Rejected(_) => "rejected",
            })
            .collect();
        assert_eq!(what, ["created", "created", "unchanged"]);
        assert_eq!(rows(id(&linked)).await, [1, 1, 1, 1, 1]);
        assert_eq!(rows(id(&plain)).await, [1, 1, 0, 0, 1]);
        let got = app.get(&format!("/notes/{}", id(&linked)), &fw).await;
        assert_eq!(got.status, 200, "{}", got.body);
        assert_eq!(got.body["participant_ids"], json!([p1]));
        assert_eq!(got.body["code_ids"], json!([code]));
        assert_eq!(got.body["body"], linked["body"]);
        let history = app
            .get(&format!("/notes/{}/history", id(&linked)), &fw)
            .await;
        assert_eq!(history.status, 200, "{}", history.body);
        assert_eq!(history.body["items"][0]["action"], "create");
        assert_eq!(history.body["items"][0]["participant_ids"], json!([p1]));
        assert_eq!(history.body["items"][0]["code_ids"], json!([code]));
    }
);

db_test!(
    sync_answers_per_note_and_a_retry_changes_nothing,
    |app: TestApp| async move {
        let site = app.create_site("Clinic A").await;
        let (_, fw) = app.user("fw@example.org", "fieldworker", &[site]).await;
        let existing = note(site, "Already uploaded");
        assert_eq!(app.post("/notes", &fw, existing.clone()).await.status, 201);
        let mut notes: Vec<Value> = (0..500)
            .map(|i| note(site, &format!("Queued note {i} about waiting")))
            .collect();
        notes.push(existing.clone());
        let mut clash = existing.clone();
        clash["body"] = json!("changed offline and given the old id");
        notes.push(clash);
        let mut future = note(site, "from the future");
        future["observed_at"] = json!((Utc::now() + Duration::hours(2)).to_rfc3339());
        notes.push(future);
        let mut bad_location = note(site, "somewhere");
        bad_location["location"] = json!("kitchen");
        notes.push(bad_location);
        // a date no fieldwork can have refuses that note only
        let mut ancient = note(site, "from another century");
        ancient["observed_at"] = json!("1850-05-01T10:00:00Z");
        notes.push(ancient.clone());
        let batch = json!({"notes": notes});
        let r = app.post("/notes/sync", &fw, batch.clone()).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let statuses: Vec<&str> = r.body["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter_map(|x| x["status"].as_str())
            .collect();
        assert_eq!(statuses.len(), 505);
        assert!(statuses[..500].iter().all(|s| *s == "created"));
        assert_eq!(
            &statuses[500..],
            ["unchanged", "conflict", "invalid", "invalid", "invalid"]
        );
        let old = &r.body["results"][504];
        assert_eq!(old["id"], ancient["id"]);
        assert_eq!(
            old["problem"]["errors"][0]["pointer"],
            "/notes/504/observed_at"
        );
        assert_eq!(
            old["problem"]["errors"][0]["code"], "date_range",
            "{}",
            r.body
        );
        assert_eq!(
            old["problem"]["errors"][0]["params"],
            json!({"min": 1900, "max": 2200})
        );
        // sent alone, the whole request is refused, naming the field
        let r1 = app.post("/notes", &fw, ancient.clone()).await;
        assert_eq!(
            (r1.status, &r1.body["errors"][0]["pointer"]),
            (422, &json!("/observed_at")),
            "{}",
            r1.body
        );
        assert_eq!(
            r.body["results"][502]["problem"]["errors"][0]["pointer"],
            "/notes/502/observed_at"
        );
        assert_eq!(
            r.body["results"][503]["problem"]["errors"][0]["pointer"],
            "/notes/503/location"
        );
        assert_eq!(r.body["results"][503]["id"], bad_location_id(&batch));
        // the same batch again: nothing new
        let r = app.post("/notes/sync", &fw, batch).await;
        let statuses: Vec<&str> = r.body["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter_map(|x| x["status"].as_str())
            .collect();
        assert!(
            statuses[..501].iter().all(|s| *s == "unchanged"),
            "{statuses:?}"
        );
        assert_eq!(all_pages(&app, "/notes?limit=200", &fw).await.len(), 501);
        // a word in 500 notes (SQLite walks the notes in page order for it): every
        // match once, newest first, across pages
        let seen = all_pages(&app, "/notes?q=waiting&limit=150", &fw).await;
        let distinct: std::collections::HashSet<&String> = seen.iter().collect();
        assert_eq!((seen.len(), distinct.len()), (500, 500));
        assert_eq!(
            ids(&app.get("/notes?q=queued%20note%20417", &fw).await).len(),
            1
        );
        let too_many: Vec<Value> = (0..1001).map(|_| json!({})).collect();
        assert_eq!(
            app.post("/notes/sync", &fw, json!({"notes": too_many}))
                .await
                .errors_pointer(),
            "/notes"
        );
    }
);

fn bad_location_id(batch: &Value) -> Value {
    batch["notes"][503]["id"].clone()
}

db_test!(bad_notes_name_the_field, |app: TestApp| async move {
    let a = app.create_site("Clinic A").await;
    let b = app.create_site("Clinic B").await;
    let (_, co) = app.user("co@example.org", "coordinator", &[a, b]).await;
    let (_, fw) = app.user("fw@example.org", "fieldworker", &[a]).await;
    let pb = app
        .post(
            "/participants",
            &co,
            json!({"pseudonym": "PB", "site_id": b, "treatment_started_on": "2026-10-01"}),
        )
        .await
        .body["id"]
        .clone();
    let cases: Vec<(Value, &str)> = vec![
        (json!({"body": "   "}), "/body"),
        (json!({"body": "x".repeat(100_001)}), "/body"),
        (
            json!({"observed_at": (Utc::now() + Duration::hours(1)).to_rfc3339()}),
            "/observed_at",
        ),
        (json!({"location": "kitchen"}), "/location"),
        (
            json!({"participant_ids": [Uuid::now_v7()]}),
            "/participant_ids/0",
        ),
        (json!({"participant_ids": [pb]}), "/participant_ids/0"),
        (json!({"code_ids": [Uuid::now_v7()]}), "/code_ids/0"),
        (json!({"site_id": b}), "/site_id"),
        (json!({"id": "not-a-uuid"}), "/id"),
        (json!({"colour": "red"}), "/colour"),
    ];
    for (change, pointer) in cases {
        let mut n = note(a, "fine");
        for (k, v) in change.as_object().expect("object") {
            n[k] = v.clone();
        }
        let r = app.post("/notes", &fw, n).await;
        assert_eq!(r.errors_pointer(), pointer, "{}", r.body);
    }
    assert_eq!(app.get("/notes?q=%20%2C", &fw).await.errors_pointer(), "/q");
    assert_eq!(
        app.get("/notes?cursor=garbage", &fw).await.errors_pointer(),
        "/cursor"
    );
    assert_eq!(app.get("/notes", &fw).await.body["items"], json!([]));
});

db_test!(
    edits_need_the_current_version_and_keep_history,
    |app: TestApp| async move {
        let site = app.create_site("Clinic A").await;
        let (fw_id, fw) = app.user("fw@example.org", "fieldworker", &[site]).await;
        let (_, fw2) = app.user("fw2@example.org", "fieldworker", &[site]).await;
        let (_, co) = app.user("co@example.org", "coordinator", &[site]).await;
        let n = note(site, "First draft");
        let id = n["id"].as_str().expect("id").to_string();
        app.post("/notes", &fw, n).await;
        let path = format!("/notes/{id}");
        let r = with_if_match(&app, &path, &fw, None, json!({"body": "Second draft"})).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (428, Some("if_match_required"))
        );
        let r = with_if_match(
            &app,
            &path,
            &fw,
            Some("\"1\""),
            json!({"body": "Second draft"}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.headers["etag"], "\"2\"");
        // a second phone still holding version 1 is told, and sees both
        let r = with_if_match(
            &app,
            &path,
            &co,
            Some("\"1\""),
            json!({"body": "Coordinator's edit"}),
        )
        .await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (412, Some("version_mismatch"))
        );
        assert_eq!(r.body["current"]["body"], "Second draft");
        assert_eq!(r.body["current"]["version"], 2);
        // someone else's note: only coordinators may change it
        assert_eq!(
            with_if_match(&app, &path, &fw2, Some("\"2\""), json!({"body": "x"}))
                .await
                .status,
            403
        );
        // If-Match compares strongly (RFC 9110): a weak tag never matches.
        let weak = with_if_match(
            &app,
            &path,
            &co,
            Some("W/\"2\""),
            json!({"location": "outside"}),
        )
        .await;
        assert_eq!(weak.status, 412, "{}", weak.body);
        let r = with_if_match(
            &app,
            &path,
            &co,
            Some("\"2\""),
            json!({"location": "outside"}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            (r.body["body"].as_str(), r.body["author_id"].clone()),
            (Some("Second draft"), json!(fw_id))
        );
        // soft delete, restore
        assert_eq!(app.delete(&path, &fw2).await.status, 403);
        assert_eq!(app.delete(&path, &fw).await.status, 204);
        assert_eq!(app.delete(&path, &fw).await.status, 204);
        assert_eq!(app.get("/notes", &fw).await.body["items"], json!([]));
        assert_eq!(
            ids(&app.get("/notes?include_deleted=true", &fw).await),
            vec![id.clone()]
        );
        assert!(app.get(&path, &fw).await.body["deleted_at"].is_string());
        assert_eq!(
            with_if_match(&app, &path, &fw, Some("\"4\""), json!({"body": "x"}))
                .await
                .status,
            409
        );
        assert_eq!(
            app.post(&format!("{path}/restore"), &fw, json!({}))
                .await
                .status,
            403
        );
        let r = app.post(&format!("{path}/restore"), &co, json!({})).await;
        assert_eq!((r.status, r.body["version"].clone()), (200, json!(5)));
        assert_eq!(
            app.post(&format!("{path}/restore"), &co, json!({}))
                .await
                .status,
            409
        );
        let h = app.get(&format!("{path}/history"), &fw).await;
        let actions: Vec<&str> = h.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|v| v["action"].as_str())
            .collect();
        assert_eq!(actions, ["create", "update", "update", "delete", "restore"]);
        assert_eq!(h.body["items"][0]["body"], "First draft");
        let audit = app
            .get(
                &format!("/audit?object_id={id}&limit=200"),
                &app.admin_token,
            )
            .await;
        let actions: Vec<&str> = audit.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|v| v["action"].as_str())
            .collect();
        for a in [
            "note.create",
            "note.update",
            "note.delete",
            "note.restore",
            "note.read",
            "note.history",
        ] {
            assert!(actions.contains(&a), "{a} missing from {actions:?}");
        }
        assert!(
            !audit.body.to_string().contains("draft"),
            "the audit log never holds note text"
        );
    }
);

db_test!(
    search_filters_and_pages_stay_within_sites,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a, b]).await;
        let (fw_id, fw) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (_, fw_b) = app.user("fwb@example.org", "fieldworker", &[b]).await;
        let p1 = app
            .post(
                "/participants",
                &co,
                json!({"pseudonym": "P01", "site_id": a, "treatment_started_on": "2026-10-01"}),
            )
            .await
            .body["id"]
            .as_str()
            .expect("id")
            .to_string();
        let code = app
            .post(
                "/codes",
                &co,
                json!({"name": "Clinic rules", "dimension": "configurational"}),
            )
            .await;
        assert_eq!(code.status, 201, "{}", code.body);
        let code = code.body["id"].as_str().expect("id").to_string();
        let bodies = [
            "Nurses explained the new take-home rules; patients were sceptical.",
            "Long queue in the waiting room before the morning dose.",
            "P01 talked about stress and money, less pressure now.",
            "Stressful morning: the injection room was closed for cleaning.",
            "Ærlig talt var køen lang i dag.",
        ];
        let mut made = Vec::new();
        for (i, body) in bodies.iter().enumerate() {
            let mut n = note(a, body);
            n["observed_at"] = json!((Utc::now() - Duration::hours(10 - i as i64)).to_rfc3339());
            if i == 2 {
                n["participant_ids"] = json!([p1]);
                n["code_ids"] = json!([code]);
                n["location"] = json!("outside");
            }
            let r = app.post("/notes", &fw, n).await;
            assert_eq!(r.status, 201, "{}", r.body);
            made.push(r.body["id"].as_str().expect("id").to_string());
        }
        let secret = app
            .post(
                "/notes",
                &fw_b,
                note(b, "Queue and stress at the other clinic"),
            )
            .await;
        assert_eq!(secret.status, 201);
        let q = |s: &str| format!("/notes?q={s}");
        // words match whole or as prefixes, case-insensitively, all must match
        assert_eq!(ids(&app.get(&q("queue"), &fw).await), vec![made[1].clone()]);
        assert_eq!(
            ids(&app.get(&q("STRESS"), &fw).await),
            vec![made[3].clone(), made[2].clone()]
        );
        assert_eq!(
            ids(&app.get(&q("stress%20money"), &fw).await),
            vec![made[2].clone()]
        );
        assert_eq!(
            ids(&app.get(&q("take-home"), &fw).await),
            vec![made[0].clone()]
        );
        assert_eq!(
            ids(&app.get(&q("k%C3%B8en"), &fw).await),
            vec![made[4].clone()]
        );
        assert_eq!(
            ids(&app.get(&q("nothing-like-this"), &fw).await),
            Vec::<String>::new()
        );
        // filters
        let linked = app.get(&format!("/notes?participant_id={p1}"), &fw).await;
        assert_eq!(ids(&linked), vec![made[2].clone()]);
        // both kinds of link come back, in lists and alone
        let links = |n: &Value| (n["participant_ids"].clone(), n["code_ids"].clone());
        assert_eq!(
            links(&linked.body["items"][0]),
            (json!([p1]), json!([code]))
        );
        let one = app.get(&format!("/notes/{}", made[2]), &fw).await;
        assert_eq!(links(&one.body), (json!([p1]), json!([code])));
        let other = app.get(&format!("/notes/{}", made[1]), &fw).await;
        assert_eq!(links(&other.body), (json!([]), json!([])));
        // and each note of a page gets its own
        let page = app.get(&q("STRESS"), &fw).await;
        assert_eq!(links(&page.body["items"][0]), (json!([]), json!([])));
        assert_eq!(links(&page.body["items"][1]), (json!([p1]), json!([code])));
        assert_eq!(
            ids(&app.get(&format!("/notes?code_id={code}"), &fw).await),
            vec![made[2].clone()]
        );
        assert_eq!(
            ids(&app.get("/notes?location=outside", &fw).await),
            vec![made[2].clone()]
        );
        assert_eq!(
            ids(&app.get(&format!("/notes?author_id={fw_id}"), &fw).await).len(),
            5
        );
        let from = (Utc::now() - Duration::hours(8) - Duration::minutes(30)).to_rfc3339();
        let to = (Utc::now() - Duration::hours(6) - Duration::minutes(30)).to_rfc3339();
        let r = app
            .get(
                &format!("/notes?from={}&to={}", urlencode(&from), urlencode(&to)),
                &fw,
            )
            .await;
        assert_eq!(ids(&r), vec![made[3].clone(), made[2].clone()]);
        // pages of two, newest first, nothing twice or missing
        let seen = all_pages(&app, "/notes?limit=2", &fw).await;
        let mut expected = made.clone();
        expected.reverse();
        assert_eq!(seen, expected);
        // another site's note never shows, whatever the filter
        let secret_id = secret.body["id"].as_str().expect("id").to_string();
        assert!(!ids(&app.get(&q("stress"), &fw).await).contains(&secret_id));
        assert_eq!(
            app.get(&format!("/notes?site_id={b}"), &fw).await.body["items"],
            json!([])
        );
        assert_eq!(
            app.get(&format!("/notes/{secret_id}"), &fw).await.status,
            404
        );
        assert_eq!(
            app.get(&format!("/notes/{secret_id}/history"), &fw)
                .await
                .status,
            404
        );
        assert_eq!(
            with_if_match(
                &app,
                &format!("/notes/{secret_id}"),
                &fw,
                Some("\"1\""),
                json!({"body": "x"})
            )
            .await
            .status,
            404
        );
        assert_eq!(
            app.delete(&format!("/notes/{secret_id}"), &fw).await.status,
            404
        );
    }
);

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

db_test!(
    the_codebook_is_a_tree_that_keeps_its_codings,
    |app: TestApp| async move {
        let site = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[site]).await;
        let (_, fw) = app.user("fw@example.org", "fieldworker", &[site]).await;
        let post = |body: Value| app.post("/codes", &co, body);
        let benefits: Value = post(json!({"name": "Benefits"})).await.body["id"].clone();
        let access = post(json!({"name": "Access to medical heroin", "dimension": "medical", "parent_id": benefits})).await;
        assert_eq!(access.status, 201, "{}", access.body);
        let access = access.body["id"].clone();
        let stress: Value =
            post(json!({"name": "Reduced stress and financial pressure", "parent_id": access}))
                .await
                .body["id"]
                .clone();
        let challenges: Value = post(json!({"name": "Challenges"})).await.body["id"].clone();
        let rules: Value = post(json!({"name": "Clinic rules", "dimension": "configurational", "parent_id": challenges})).await.body["id"].clone();
        let unfounded: Value = post(json!({"name": "Unfounded rules", "parent_id": rules}))
            .await
            .body["id"]
            .clone();
        let [benefits_s, challenges_s, unfounded_s, rules_s] =
            [&benefits, &challenges, &unfounded, &rules]
                .map(|v| v.as_str().expect("id").to_string());
        assert_eq!(
            app.post("/codes", &fw, json!({"name": "Mine"}))
                .await
                .status,
            403
        );
        let dup = post(json!({"name": "clinic RULES", "parent_id": challenges})).await;
        assert_eq!(
            (dup.status, dup.body["code"].as_str()),
            (409, Some("code_name_taken"))
        );
        assert_eq!(
            post(json!({"name": "x", "parent_id": Uuid::now_v7()}))
                .await
                .errors_pointer(),
            "/parent_id"
        );
        let tree = app.get("/codes?tree=true", &fw).await;
        assert_eq!(tree.body["items"][0]["name"], "Benefits");
        assert_eq!(
            tree.body["items"][0]["children"][0]["children"][0]["name"],
            "Reduced stress and financial pressure"
        );
        assert_eq!(
            tree.body["items"][1]["children"][0]["children"][0]["name"],
            "Unfounded rules"
        );
        assert_eq!(
            app.get("/codes", &fw).await.body["items"]
                .as_array()
                .map(Vec::len),
            Some(6)
        );
        // no cycles
        let r = app
            .patch(
                &format!("/codes/{benefits_s}"),
                &co,
                json!({"parent_id": stress}),
            )
            .await;
        assert_eq!(r.errors_pointer(), "/parent_id");
        let r = app
            .patch(
                &format!("/codes/{unfounded_s}"),
                &co,
                json!({"parent_id": null, "description": "Rules seen as arbitrary"}),
            )
            .await;
        assert_eq!((r.status, r.body["parent_id"].clone()), (200, Value::Null));
        // a used code keeps its codings: refused, then moved
        let mut n = note(site, "Rules again");
        n["code_ids"] = json!([unfounded, rules]);
        let original = n.clone();
        let nid = app.post("/notes", &fw, n).await.body["id"]
            .as_str()
            .expect("id")
            .to_string();
        let r = app.delete(&format!("/codes/{unfounded_s}"), &co).await;
        assert_eq!(
            (r.status, r.body["code"].as_str(), r.body["count"].clone()),
            (409, Some("code_in_use"), json!(1))
        );
        let r = app.delete(&format!("/codes/{challenges_s}"), &co).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (409, Some("code_has_children"))
        );
        assert_eq!(
            app.delete(&format!("/codes/{unfounded_s}?move_to={rules_s}"), &co)
                .await
                .status,
            204
        );
        let n = app.get(&format!("/notes/{nid}"), &fw).await;
        assert_eq!(n.body["code_ids"], json!([rules]));
        assert_eq!(n.body["version"], 2);
        let h = app.get(&format!("/notes/{nid}/history"), &fw).await;
        assert_eq!(h.body["items"][1]["action"], "recode");
        // a phone that never heard the first answer retries the note as it
        // wrote it, with a code that is gone now: it was stored, so it is
        // `unchanged`, not refused
        let retry = app.post("/notes", &fw, original).await;
        assert_eq!(retry.status, 200, "{}", retry.body);
        assert_eq!(retry.body["code_ids"], json!([rules]));
        assert_eq!(
            app.get(&format!("/notes?code_id={rules_s}"), &fw)
                .await
                .body["items"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
    }
);

/// The notes of `corpus` (id, observed_at, body) that match every word of `q`
/// whole or as a prefix, newest first: what any search plan must return.
fn expected(corpus: &[(String, chrono::DateTime<Utc>, String)], q: &str) -> Vec<String> {
    let words: Vec<String> = q.split(' ').map(str::to_lowercase).collect();
    let mut hits: Vec<&(String, chrono::DateTime<Utc>, String)> = corpus
        .iter()
        .filter(|(_, _, body)| {
            let tokens: Vec<String> = body
                .split(|c: char| !c.is_alphanumeric())
                .map(str::to_lowercase)
                .collect();
            words
                .iter()
                .all(|w| tokens.iter().any(|t| t.starts_with(w.as_str())))
        })
        .collect();
    hits.sort_by_key(|h| std::cmp::Reverse(h.1));
    hits.into_iter().map(|(id, _, _)| id.clone()).collect()
}

// 8 000 notes, so that SQLite's search takes each of its plans: a word in
// every note (asks the index note by note), in every tenth (collects the
// matches and walks), in every hundredth (sorts the matches), a word that
// is also the start of another ("stress", "stressful"), and a prefix of more
// than 16 terms ("zeta": stays a prefix query). Every page of every search
// must be exactly what the notes say, in order, on both databases.
db_test!(
    search_finds_the_same_notes_whatever_the_plan,
    |app: TestApp| async move {
        let site = app.create_site("Clinic A").await;
        let (fw_id, fw) = app.user("fw@example.org", "fieldworker", &[site]).await;
        let start = Utc::now() - Duration::days(30);
        let mut corpus = Vec::new();
        for i in 0..8000usize {
            let mut words = vec!["Common".to_string(), format!("zeta{}", i % 20)];
            if i % 10 == 3 {
                words.push("walker".into());
            }
            if i % 100 == 7 {
                words.push("rarity".into());
            }
            if i % 7 == 0 {
                words.push("stress".into());
            }
            if i % 11 == 0 {
                words.push("stressful.".into());
            }
            // observed out of upload order, as phones sync late
            let observed = start + Duration::seconds(((i * 7919) % 8000) as i64 * 60);
            corpus.push((Uuid::new_v4().to_string(), observed, words.join(" ")));
        }
        for chunk in corpus.chunks(1000) {
            let notes: Vec<Value> = chunk
                .iter()
                .map(|(id, at, body)| {
                    json!({"id": id, "site_id": site, "observed_at": at.to_rfc3339(),
                       "location": "other", "body": body})
                })
                .collect();
            let r = app
                .post("/notes/sync", &fw, json!({ "notes": notes }))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        // On PostgreSQL, with the statistics autovacuum would gather, a
        // query's very common words are checked on the notes its rarest word
        // found (fieldnotes::notes::search::split): "common rarity", "walker
        // stress" and "stressful zeta3" take that path.
        use sea_orm::ConnectionTrait;
        if app.state.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            let db = &app.state.db;
            db.execute_unprepared("ANALYZE notes")
                .await
                .expect("analyze");
            let common = db
                .query_one(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    "SELECT count(*) AS n FROM pg_stats WHERE tablename = 'notes' \
                     AND attname = 'body_search' AND 'common' = ANY(most_common_elems::text::text[])",
                ))
                .await
                .expect("pg_stats")
                .expect("a row")
                .try_get::<i64>("", "n")
                .expect("n");
            assert_eq!(common, 1, "PostgreSQL knows the common words");
        }
        for q in [
            "common",
            "walker",
            "rarity",
            "stress",
            "zeta",
            "zeta1",
            "common rarity",
            "walker stress",
            "stressful zeta3",
            "nowhere",
        ] {
            let want = expected(&corpus, q);
            let got = all_pages(
                &app,
                &format!("/notes?q={}&limit=200", q.replace(' ', "%20")),
                &fw,
            )
            .await;
            assert_eq!(got.len(), want.len(), "{q}");
            assert!(got == want, "{q}: another order or other notes");
            // the first page of 50, as the phone asks for it
            let first = ids(&app
                .get(&format!("/notes?q={}&limit=50", q.replace(' ', "%20")), &fw)
                .await);
            assert_eq!(
                first,
                want.iter().take(50).cloned().collect::<Vec<_>>(),
                "{q}"
            );
        }
        assert_eq!(expected(&corpus, "common").len(), 8000);
        assert_eq!(expected(&corpus, "zeta").len(), 8000);
        // every page read went to the audit log, with the notes it showed
        let audit = app
            .get(
                &format!("/audit?action=note.list&actor_user_id={fw_id}&limit=1"),
                &app.admin_token,
            )
            .await;
        let last = &audit.body["items"][0];
        assert_eq!(last["detail"]["search"], true, "{}", audit.body);
        assert_eq!(
            last["detail"]["ids"],
            json!(expected(&corpus, "nowhere")),
            "the last page read was the empty one"
        );
        // someone at two sites, and a filter besides the words: other plans,
        // the same notes
        let other = app.create_site("Clinic B").await;
        let (_, both) = app
            .user("both@example.org", "fieldworker", &[site, other])
            .await;
        let want: Vec<String> = expected(&corpus, "common").into_iter().take(50).collect();
        assert_eq!(ids(&app.get("/notes?q=common&limit=50", &both).await), want);
        assert_eq!(
            ids(&app
                .get("/notes?q=common&limit=50&location=other", &fw)
                .await),
            want
        );
    }
);

/// A search's page query goes to PostgreSQL unnamed, so it is planned for
/// its own words every time. A named (cached) statement may fall back to a
/// generic plan after five searches on a connection, one that sorts every
/// match of a word in all notes. On one connection, six searches leave no
/// named statement behind; the same query through sea-orm's own `all` does
/// (which shows the check can see one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_plans_every_search_for_its_own_words() {
    use fieldnotes::notes::search;
    use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, Statement};
    let Some(crate::helpers::Db::Postgres(url)) = crate::helpers::Db::postgres().await else {
        return;
    };
    // the service creates the schema
    let _app = crate::helpers::spawn_app(crate::helpers::Db::Postgres(url.clone()), &[]).await;
    let mut opts = sea_orm::ConnectOptions::new(url);
    opts.max_connections(1).min_connections(1);
    let db = sea_orm::Database::connect(opts).await.expect("connect");
    let terms = search::terms("evening dose");
    let (db, terms) = (&db, &terms);
    let found = move || async move {
        let cond = search::condition(db, terms, 51, search::Scope::AllSites)
            .await
            .expect("condition")
            .condition;
        entity::note::Entity::find().filter(cond)
    };
    let named = move || async move {
        db.query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) AS n FROM pg_prepared_statements \
             WHERE statement LIKE '%body_search\" @@ to_tsquery%' \
             AND statement NOT LIKE '%pg_prepared_statements%'",
        ))
        .await
        .expect("pg_prepared_statements")
        .expect("a row")
        .try_get::<i64>("", "n")
        .expect("n")
    };
    for _ in 0..6 {
        let page = search::page(db, found().await).await.expect("page");
        assert!(page.is_empty());
    }
    assert_eq!(
        named().await,
        0,
        "the search was prepared as a named statement"
    );
    found().await.all(db).await.expect("all");
    assert_eq!(named().await, 1, "sea-orm's own query is a named statement");
}

/// `count` notes written straight into the database (PostgreSQL), not
/// through the service: `observed_at` and `body` are SQL expressions of the
/// note's number `i`.
async fn insert_behind(
    db: &sea_orm::DatabaseConnection,
    site: Uuid,
    author: Uuid,
    count: u32,
    observed_at: &str,
    body: &str,
) {
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(&format!(
        "INSERT INTO notes (id, site_id, author_id, observed_at, location, body, create_hash, \
         version, created_at, updated_at) \
         SELECT gen_random_uuid(), '{site}', '{author}', {observed_at}, 'other', {body}, \
         md5(i::text), 1, now(), now() FROM generate_series(1, {count}) i"
    ))
    .await
    .expect("notes behind the service's back");
}

/// Every search on PostgreSQL reads the whole pending list of the text
/// index, so the service merges it after every few hundred notes it writes
/// (`search::IndexUpkeep`). Notes written behind the service's back leave a
/// pending list the check can see (the control); notes written through the
/// service then have it merged, theirs and the others'.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_keeps_the_search_index_pending_list_short() {
    use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
    let Some(db) = crate::helpers::Db::postgres().await else {
        return;
    };
    let app = crate::helpers::spawn_app(db, &[]).await;
    let site = app.create_site("Clinic A").await;
    let (fw_id, fw) = app.user("fw@example.org", "fieldworker", &[site]).await;
    let db = &app.state.db;
    // pages of the index a search for an absent word reads
    let pages = || async move {
        let txn = db.begin().await.expect("begin");
        txn.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .expect("set");
        let row = txn
            .query_one(Statement::from_string(
                db.get_database_backend(),
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT count(*) FROM notes \
                 WHERE body_search @@ to_tsquery('simple', 'qqqabsent:*')",
            ))
            .await
            .expect("explain")
            .expect("a plan");
        txn.commit().await.expect("commit");
        let plan: serde_json::Value = row.try_get_by_index(0).expect("json");
        fn find(v: &serde_json::Value) -> Option<i64> {
            if v["Node Type"] == "Bitmap Index Scan" {
                return Some(v["Shared Hit Blocks"].as_i64()? + v["Shared Read Blocks"].as_i64()?);
            }
            v["Plans"].as_array()?.iter().find_map(find)
        }
        find(&plan[0]["Plan"]).expect("a bitmap index scan")
    };
    // 40 words no other note has, in each
    insert_behind(
        db,
        site,
        fw_id,
        400,
        "now()",
        "(SELECT string_agg(md5(i::text || '-' || w::text), ' ') FROM generate_series(1, 40) w)",
    )
    .await;
    let before = pages().await;
    assert!(
        before > 40,
        "400 notes of new words should leave a pending list ({before} pages read)"
    );
    let notes: Vec<Value> = (0..300)
        .map(|i| note(site, &format!("evening dose {i} waiting")))
        .collect();
    let r = app
        .post("/notes/sync", &fw, json!({ "notes": notes }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut after = before;
    for _ in 0..100 {
        after = pages().await;
        if after < 10 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        after < 10,
        "the pending list was not merged: {after} pages read (before: {before})"
    );
    let found = app.get("/notes?q=evening&limit=1", &fw).await;
    assert_eq!(found.body["items"].as_array().map(Vec::len), Some(1));
}

/// `search::newest_first` with `sort` keeps PostgreSQL from walking the time
/// index: for a word in every note the planner walks it (the control), and
/// with `sort` it collects the matches and sorts them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_sorts_the_matches_when_told() {
    use fieldnotes::notes::search;
    use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Statement};
    let Some(db) = crate::helpers::Db::postgres().await else {
        return;
    };
    let app = crate::helpers::spawn_app(db, &[]).await;
    let site = app.create_site("Clinic A").await;
    let (fw_id, _) = app.user("fw@example.org", "fieldworker", &[site]).await;
    let db = &app.state.db;
    insert_behind(
        db,
        site,
        fw_id,
        5000,
        "now() - i * interval '1 minute'",
        "'common words ' || md5(i::text)",
    )
    .await;
    db.execute_unprepared("ANALYZE notes")
        .await
        .expect("analyze");
    let terms = search::terms("common");
    let plan = |sort: bool| {
        let terms = &terms;
        async move {
            let found = search::condition(db, terms, 51, search::Scope::AllSites)
                .await
                .expect("condition");
            let sel = search::newest_first(
                entity::note::Entity::find()
                    .filter(found.condition)
                    .limit(51),
                sort,
            );
            let sql = sel.build(db.get_database_backend()).to_string();
            db.query_all(Statement::from_string(
                db.get_database_backend(),
                format!("EXPLAIN {sql}"),
            ))
            .await
            .expect("explain")
            .iter()
            .map(|r| r.try_get_by_index::<String>(0).expect("a line"))
            .collect::<Vec<_>>()
            .join("\n")
        }
    };
    let walk = plan(false).await;
    assert!(walk.contains("ix_notes_observed"), "{walk}");
    let sorted = plan(true).await;
    assert!(!sorted.contains("ix_notes_observed"), "{sorted}");
    assert!(sorted.contains("Sort"), "{sorted}");
}
