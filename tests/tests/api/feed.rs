//! The change feed (`GET /changes`, issue 31): what changed, by id, in the
//! order it became visible, on the caller's sites only; and it never skips
//! a committed change, even one whose transaction commits after later ones,
//! with three instances writing at once.
use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::TestApp;
use crate::interviews::s;

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

async fn key(app: &TestApp, token: &str, scopes: &[&str]) -> String {
    let r = app
        .post(
            "/api-keys",
            token,
            json!({"name": "feed reader", "scopes": scopes}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    s(&r.body["secret"])
}

/// Every change after `after` that `token` may see, page by page.
async fn follow(app: &TestApp, token: &str, after: Option<String>) -> (Vec<Value>, Option<String>) {
    let mut items = Vec::new();
    let mut cursor = after;
    loop {
        let path = match &cursor {
            Some(c) => format!("/changes?limit=7&after={c}"),
            None => "/changes?limit=7".to_string(),
        };
        let r = app.get(&path, token).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let page = r.body["items"].as_array().expect("items").clone();
        cursor = r.body["next_cursor"].as_str().map(str::to_string);
        let more = r.body["has_more"].as_bool().expect("has_more");
        items.extend(page);
        if !more {
            return (items, cursor);
        }
    }
}

fn kinds(items: &[Value]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|i| (s(&i["type"]), s(&i["object_id"])))
        .collect()
}

db_test!(
    the_feed_names_each_change_once_on_the_callers_sites,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (_, other) = app.user("co-b@example.org", "coordinator", &[b]).await;
        let reader = key(&app, &co, &["changes:read"]).await;
        let (empty, none) = follow(&app, &reader, None).await;
        assert!(empty.is_empty() && none.is_none(), "{empty:?} {none:?}");

        let p = app
            .post(
                "/participants",
                &co,
                json!({"pseudonym": "Heron", "site_id": a, "treatment_started_on": "2024-05-01"}),
            )
            .await;
        assert_eq!(p.status, 201, "{}", p.body);
        let pid = s(&p.body["id"]);
        let n = note(a, "A private sentence that must never reach the feed.");
        let nid = s(&n["id"]);
        assert_eq!(app.post("/notes", &co, n.clone()).await.status, 201);
        // a retry is the same note: no second change
        assert_eq!(app.post("/notes", &co, n.clone()).await.status, 200);
        // a read is not a change
        assert_eq!(app.get(&format!("/notes/{nid}"), &co).await.status, 200);
        let r = app
            .send(
                app.client
                    .patch(app.url(&format!("/notes/{nid}")))
                    .bearer_auth(&co)
                    .header("If-Match", "*")
                    .json(&json!({"body": "Changed."})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        // another site's work stays out of this caller's feed
        let hidden = note(b, "Clinic B's note.");
        assert_eq!(app.post("/notes", &other, hidden.clone()).await.status, 201);
        let r = app
            .send(
                app.client
                    .delete(app.url(&format!("/notes/{nid}")))
                    .bearer_auth(&co)
                    .header("If-Match", "*"),
            )
            .await;
        assert!(r.status < 300, "{}", r.body);

        let (items, last) = follow(&app, &reader, None).await;
        assert_eq!(
            kinds(&items),
            vec![
                ("participant.created".into(), pid.clone()),
                ("note.created".into(), nid.clone()),
                ("note.updated".into(), nid.clone()),
                ("note.deleted".into(), nid.clone()),
            ]
        );
        for i in &items {
            assert_eq!(i["site_id"], json!(a));
            let keys: BTreeSet<&str> = i
                .as_object()
                .expect("item")
                .keys()
                .map(|k| k.as_str())
                .collect();
            assert_eq!(
                keys,
                BTreeSet::from([
                    "cursor",
                    "type",
                    "object_type",
                    "object_id",
                    "site_id",
                    "at"
                ])
            );
        }
        assert!(!items.iter().any(|i| i.to_string().contains("private")));
        let cursors: Vec<u64> = items
            .iter()
            .map(|i| s(&i["cursor"]).parse().expect("number"))
            .collect();
        assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");
        assert_eq!(last.as_deref(), Some(s(&items[3]["cursor"]).as_str()));

        // resuming from a cursor gives only what came after it
        let (rest, _) = follow(&app, &reader, Some(s(&items[1]["cursor"]))).await;
        assert_eq!(kinds(&rest), kinds(&items[2..]));
        // nothing new: the same cursor comes back, to poll with later
        let r = app
            .get(
                &format!("/changes?after={}", last.clone().unwrap_or_default()),
                &reader,
            )
            .await;
        assert_eq!(r.body["items"], json!([]));
        assert_eq!(r.body["next_cursor"].as_str(), last.as_deref());

        // the admin sees both sites
        let (all, _) = follow(&app, &app.admin_token, None).await;
        assert!(kinds(&all).contains(&("note.created".into(), s(&hidden["id"]))));
        assert_eq!(all.len(), 5, "{all:?}");

        // a key without the scope, and a bad cursor
        let notes_only = key(&app, &co, &["notes:read"]).await;
        let r = app.get("/changes", &notes_only).await;
        assert_eq!(
            (r.status, s(&r.body["code"])),
            (403, "missing_scope".into())
        );
        for bad in ["abc", "-1", "1e3", "99999999999999999999"] {
            let r = app.get(&format!("/changes?after={bad}"), &reader).await;
            assert_eq!(r.status, 422, "{bad}: {}", r.body);
            assert_eq!(r.body["errors"][0]["pointer"], "/after", "{}", r.body);
        }
    }
);

db_test!(
    the_feed_never_skips_a_late_commit_with_three_instances_writing,
    |app: TestApp| async move {
        let site = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[site]).await;
        let postgres = app.state.db.get_database_backend() == sea_orm::DbBackend::Postgres;
        // SQLite is one instance by design; PostgreSQL is how users scale out.
        let mut bases = vec![app.base.clone()];
        if postgres {
            bases.push(app.another_instance().await);
            bases.push(app.another_instance().await);
        }
        // A change whose transaction stays open while everything below is
        // written, read and numbered: it commits last, long after changes
        // that were written after it.
        let late = Uuid::now_v7();
        let held = if postgres {
            let txn = app.state.db.begin().await.expect("begin");
            let row = fieldnotes::kernel::audit::row(
                &fieldnotes::kernel::audit::Actor::system(),
                fieldnotes::kernel::audit::Entry::new("note.update", "note", late).site(Some(site)),
            );
            entity::audit_log::Entity::insert(row)
                .exec_without_returning(&txn)
                .await
                .expect("insert");
            Some(txn)
        } else {
            None
        };
        let writers: Vec<_> = bases
            .iter()
            .enumerate()
            .map(|(w, base)| {
                let (client, base, co) = (app.client.clone(), base.clone(), co.clone());
                tokio::spawn(async move {
                    let mut ids = Vec::new();
                    for i in 0..25 {
                        let n = note(site, &format!("writer {w} note {i}"));
                        let r = client
                            .post(format!("{base}/api/v1/notes"))
                            .bearer_auth(&co)
                            .json(&n)
                            .send()
                            .await
                            .expect("post");
                        assert_eq!(r.status().as_u16(), 201);
                        ids.push(s(&n["id"]));
                    }
                    ids
                })
            })
            .collect();
        // The reader follows the feed while they write, through each
        // instance in turn.
        let mut seen: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut turn = 0;
        let mut done = false;
        let mut committed = held.is_none();
        let mut held = held;
        loop {
            let base = &bases[turn % bases.len()];
            turn += 1;
            let mut url = format!("{base}/api/v1/changes?limit=10");
            if let Some(c) = &cursor {
                url.push_str(&format!("&after={c}"));
            }
            let r: Value = app
                .client
                .get(url)
                .bearer_auth(&co)
                .send()
                .await
                .expect("feed")
                .json()
                .await
                .expect("json");
            let items = r["items"].as_array().expect("items").clone();
            cursor = r["next_cursor"].as_str().map(str::to_string).or(cursor);
            let more = r["has_more"].as_bool().expect("has_more");
            seen.extend(items);
            if !more && done && committed {
                break;
            }
            if !done && writers.iter().all(|w| w.is_finished()) {
                done = true;
                // the reader has read past everything the writers did: now
                // the held change commits, and must still come through
                if let Some(txn) = held.take() {
                    txn.commit().await.expect("commit");
                }
                committed = true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let mut written = BTreeSet::new();
        for w in writers {
            written.extend(w.await.expect("writer"));
        }
        let created: BTreeSet<String> = seen
            .iter()
            .filter(|i| i["type"] == "note.created")
            .map(|i| s(&i["object_id"]))
            .collect();
        assert_eq!(created, written, "every note written is in the feed");
        if postgres {
            assert!(
                seen.iter()
                    .any(|i| i["object_id"] == json!(late.to_string())),
                "the change that committed last was skipped"
            );
        }
        let cursors: Vec<u64> = seen
            .iter()
            .map(|i| s(&i["cursor"]).parse().expect("n"))
            .collect();
        assert!(
            cursors.windows(2).all(|w| w[0] < w[1]),
            "out of order or twice"
        );
        // and the feed is the audit log: one item per change entry
        use entity::audit_log::{Column, Entity};
        use sea_orm::ColumnTrait;
        let entries = Entity::find()
            .filter(Column::ChangeType.is_not_null())
            .all(&app.state.db)
            .await
            .expect("audit");
        assert_eq!(entries.len(), seen.len(), "{seen:?}");
    }
);
