//! A study over years: interviews held before the study used Fieldnotes,
//! entered afterwards; participants registered in bulk; codebooks in and
//! out; and a whole longitudinal study replayed through the API.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::analysis::{download, read_csv};
use crate::db_test;
use crate::helpers::TestApp;
use crate::interviews::{iso, outbox, participant, s};

/// A sitting `days` ago from `hh`:00 UTC, `minutes` long.
fn sitting(days: i64, hh: u32, minutes: i64) -> Value {
    let start: DateTime<Utc> = (Utc::now() - Duration::days(days))
        .date_naive()
        .and_hms_opt(hh, 0, 0)
        .expect("time")
        .and_utc();
    json!({"started_at": iso(start), "ended_at": iso(start + Duration::minutes(minutes))})
}

async fn earlier(
    app: &TestApp,
    co: &str,
    pid: &str,
    wave: i32,
    who: &[uuid::Uuid],
    sessions: Value,
) -> crate::helpers::Resp {
    app.post(
        "/interviews/earlier",
        co,
        json!({"participant_id": pid, "wave": wave, "interviewer_ids": who,
               "sessions": sessions, "screening_note": "POSS on paper, 1"}),
    )
    .await
}

db_test!(
    an_interview_held_before_fieldnotes_is_entered_later_honestly,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (_, co_b) = app.user("cob@example.org", "coordinator", &[b]).await;
        let (fw, fw_t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (fw_b, _) = app.user("fwb@example.org", "fieldworker", &[b]).await;
        let p = participant(&app, &co, a, "L01", 800).await;

        // Only a coordinator enters one.
        let two = json!([sitting(600, 9, 60), sitting(599, 10, 40)]);
        let r = earlier(&app, &fw_t, &p, 1, &[fw], two.clone()).await;
        assert_eq!(r.status, 403, "{}", r.body);
        // Another site's coordinator cannot see the participant.
        let r = earlier(&app, &co_b, &p, 1, &[fw_b], two.clone()).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.errors_pointer(), "/participant_id");

        let r = earlier(&app, &co, &p, 1, &[fw], two.clone()).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = s(&r.body["id"]);
        assert_eq!(r.body["status"], "completed");
        assert_eq!(r.body["entered_later"], true);
        assert_eq!(r.body["screening_note"], "POSS on paper, 1");
        assert_eq!(r.body["total_minutes"], 100);
        let time = |v: &Value| s(v).parse::<DateTime<Utc>>().expect("a time");
        assert_eq!(time(&r.body["completed_at"]), time(&two[1]["ended_at"]));
        let sessions = r.body["sessions"].as_array().expect("sessions");
        assert_eq!(sessions.len(), 2);
        // No screening is invented for it.
        assert!(sessions.iter().all(|x| x["screening_ids"] == json!([])));
        assert_eq!(sessions[1]["n"], 2);
        // It is audited, and no one is mailed.
        let logged = entity::audit_log::Entity::find()
            .filter(entity::audit_log::Column::Action.eq("interview.enter_earlier"))
            .filter(entity::audit_log::Column::ObjectId.eq(id.clone()))
            .all(&app.state.db)
            .await
            .expect("audit");
        assert_eq!(logged.len(), 1);
        assert!(outbox(&app, &format!("interview:{id}")).await.is_empty());
        let r = app.get(&format!("/interviews/{id}"), &fw_t).await;
        assert_eq!(r.body["entered_later"], true, "{}", r.body);

        // One interview per wave.
        let r = earlier(&app, &co, &p, 1, &[fw], json!([sitting(500, 9, 60)])).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (409, Some("interview_exists")),
            "{}",
            r.body
        );

        // Said field by field: no note, a sitting in the future, an
        // interviewer of another site, a wave the study does not have.
        let r = app
            .post(
                "/interviews/earlier",
                &co,
                json!({"participant_id": p, "wave": 9, "interviewer_ids": [fw_b],
                       "sessions": [sitting(-1, 9, 60)], "screening_note": "  "}),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        let got: Vec<(String, String)> = r.body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| (s(&e["pointer"]), s(&e["code"])))
            .collect();
        for want in [
            ("/wave", "no_such_wave"),
            ("/screening_note", "required"),
            ("/interviewer_ids/0", "not_found"),
            ("/sessions/0/started_at", "in_future"),
            ("/sessions/0/ended_at", "in_future"),
        ] {
            assert!(
                got.contains(&(want.0.to_string(), want.1.to_string())),
                "{want:?} in {got:?}"
            );
        }

        // After the participant's first interview in Fieldnotes, nothing can
        // be entered later: it is recorded as it happens.
        let booked_at = Utc::now() - Duration::days(5);
        let r = app
            .post(
                "/interviews",
                &co,
                json!({"participant_id": p, "wave": 2, "scheduled_at": iso(booked_at),
                       "duration_minutes": 60, "interviewer_ids": [fw],
                       "allow_outside_opening_hours": true}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let booked = s(&r.body["id"]);
        let r = app
            .post(
                &format!("/interviews/{booked}/cancel"),
                &co,
                json!({"reason": "booked in error"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        // A cancelled booking that never happened draws no line...
        let r = earlier(&app, &co, &p, 2, &[fw], json!([sitting(3, 9, 60)])).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let mut settings = app.get("/settings/waves", &app.admin_token).await.body;
        settings["waves"]
            .as_array_mut()
            .expect("waves")
            .push(json!({"wave": 3, "opens_day": 700, "closes_day": 760}));
        let r = app
            .patch("/settings/waves", &app.admin_token, settings)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        // ...a booking that stands does.
        let q = participant(&app, &co, a, "L02", 800).await;
        let booked_q = booked_at + Duration::hours(3);
        let r = app
            .post(
                "/interviews",
                &co,
                json!({"participant_id": q, "wave": 3, "scheduled_at": iso(booked_q),
                       "duration_minutes": 60, "interviewer_ids": [fw],
                       "allow_outside_opening_hours": true}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = earlier(&app, &co, &q, 1, &[fw], json!([sitting(3, 9, 60)])).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.errors_pointer(), "/sessions/0/ended_at");
        assert_eq!(r.body["errors"][0]["code"], "not_before_fieldnotes");
        let line: DateTime<Utc> = s(&r.body["errors"][0]["params"]["at"]).parse().expect("at");
        assert_eq!(line.timestamp(), booked_q.timestamp());
        let r = earlier(&app, &co, &q, 1, &[fw], json!([sitting(9, 9, 60)])).await;
        assert_eq!(r.status, 201, "{}", r.body);

        // The interviews export says which were entered later, and how
        // readiness was checked then.
        let (status, _, bytes) = download(&app, "/exports/interviews.csv", &co).await;
        assert_eq!(status, 200);
        let rows = read_csv(&bytes);
        let col = |name: &str| {
            rows[0]
                .iter()
                .position(|c| c == name)
                .unwrap_or_else(|| panic!("{name} in {:?}", rows[0]))
        };
        let (later, note, wave) = (col("entered_later"), col("screening_note"), col("wave"));
        let row = rows.iter().find(|r| r[0] == id).expect("the row");
        assert_eq!(
            (row[later].as_str(), row[note].as_str(), row[wave].as_str()),
            ("true", "POSS on paper, 1", "1")
        );
        let booked_row = rows.iter().find(|r| r[0] == booked).expect("the booking");
        assert_eq!(
            (booked_row[later].as_str(), booked_row[note].as_str()),
            ("false", "")
        );
    }
);

/// Sends `bytes` as the whole body with `content_type`.
async fn upload(
    app: &TestApp,
    path: &str,
    token: &str,
    content_type: &str,
    bytes: &[u8],
) -> crate::helpers::Resp {
    let req = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes.to_vec());
    app.send(req).await
}

fn pointers_and_codes(body: &Value, key: &str) -> Vec<(String, String)> {
    body[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in {body}"))
        .iter()
        .map(|e| (s(&e["pointer"]), s(&e["code"])))
        .collect()
}

fn pairs(want: &[(&str, &str)]) -> Vec<(String, String)> {
    want.iter()
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect()
}

async fn participant_count(app: &TestApp) -> usize {
    entity::participant::Entity::find()
        .all(&app.state.db)
        .await
        .expect("participants")
        .len()
}

db_test!(
    participants_are_registered_from_a_csv_all_or_nothing,
    |app: TestApp| async move {
        let a = app.create_site("Oslo clinic").await;
        let _b = app.create_site("Bergen clinic").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (_, fw_t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        participant(&app, &co, a, "P01", 30).await;
        let before = participant_count(&app).await;

        // Every line's problem, with its line number; nothing written.
        let bad = "pseudonym,site,treatment_started_on,gender,age_band\n\
                   P02,Oslo clinic,2022-03-01,woman,30-39\n\
                   p01,Oslo clinic,2022-01-01,,\n\
                   P03,Bergen clinic,2022-01-01,,\n\
                   P04,oslo clinic,01/02/2022,,\n\
                   \n\
                   P02,Oslo clinic,2022-03-01,,\n\
                   P05 ☺,Oslo clinic,2022-03-01,,\n";
        let want = pairs(&[
            ("/lines/3/pseudonym", "pseudonym_taken"),
            // Another site's name reads as no site at all.
            ("/lines/4/site", "not_found"),
            ("/lines/5/treatment_started_on", "not_a_date"),
            ("/lines/7/pseudonym", "duplicate"),
            ("/lines/8/pseudonym", "pseudonym_characters"),
        ]);
        let r = upload(
            &app,
            "/participants/import?dry_run=true",
            &co,
            "text/csv",
            bad.as_bytes(),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["dry_run"], true);
        assert_eq!(r.body["lines"], 6);
        assert_eq!(pointers_and_codes(&r.body, "problems"), want);
        assert_eq!(r.body["participants"], json!([]));
        let r = upload(
            &app,
            "/participants/import",
            &co,
            "text/csv",
            bad.as_bytes(),
        )
        .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(pointers_and_codes(&r.body, "errors"), want);
        assert_eq!(participant_count(&app).await, before, "nothing written");

        // A column that would say who someone is refuses the whole file.
        let named = "pseudonym,site,treatment_started_on,name\nP09,Oslo clinic,2022-01-01,Kari\n";
        let r = upload(
            &app,
            "/participants/import?dry_run=true",
            &co,
            "text/csv",
            named.as_bytes(),
        )
        .await;
        assert_eq!(
            pointers_and_codes(&r.body, "problems"),
            pairs(&[("/header/3", "identifying")])
        );
        // Only coordinators; only CSV.
        let r = upload(
            &app,
            "/participants/import",
            &fw_t,
            "text/csv",
            named.as_bytes(),
        )
        .await;
        assert_eq!(r.status, 403, "{}", r.body);
        let r = upload(&app, "/participants/import", &co, "application/json", b"{}").await;
        assert_eq!(
            (r.status, s(&r.body["code"])),
            (415, "unsupported_media_type".into())
        );

        // As a Norwegian spreadsheet saves it: BOM, semicolons, CRLF, dates
        // as 15.04.2022. The dry run shows what would be registered.
        let good = "\u{feff}Pseudonym;Site;Treatment start;Gender;Age band\r\nP02;Oslo clinic;2022-03-01;woman;30-39\r\nP03;oslo clinic;15.04.2022;;\r\n";
        let r = upload(
            &app,
            "/participants/import?dry_run=true",
            &co,
            "text/csv",
            good.as_bytes(),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["problems"], json!([]));
        let rows = r.body["participants"].as_array().expect("rows");
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (
                rows[1]["line"].as_u64(),
                rows[1]["treatment_started_on"].as_str()
            ),
            (Some(3), Some("2022-04-15"))
        );
        assert!(rows.iter().all(|p| p["id"].is_null()));
        assert_eq!(
            participant_count(&app).await,
            before,
            "a dry run writes nothing"
        );

        let r = upload(
            &app,
            "/participants/import",
            &co,
            "text/csv; charset=utf-8",
            good.as_bytes(),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let ids: Vec<String> = r.body["participants"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|p| s(&p["id"]))
            .collect();
        assert_eq!(ids.len(), 2);
        assert_eq!(participant_count(&app).await, before + 2);
        let p = app
            .get(&format!("/participants/{}", ids[0]), &co)
            .await
            .body;
        assert_eq!(
            (s(&p["pseudonym"]), s(&p["gender"]), s(&p["age_band"])),
            ("P02".into(), "woman".into(), "30-39".into())
        );
        // Each is audited as registered (and so in the change feed).
        let created = entity::audit_log::Entity::find()
            .filter(entity::audit_log::Column::Action.eq("participant.create"))
            .filter(entity::audit_log::Column::ObjectId.is_in(ids.clone()))
            .all(&app.state.db)
            .await
            .expect("audit");
        assert_eq!(created.len(), 2);
        let feed = app.get("/changes?limit=100", &co).await.body;
        let in_feed = feed["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|i| i["type"] == "participant.created" && ids.contains(&s(&i["object_id"])))
            .count();
        assert_eq!(in_feed, 2, "{feed}");

        // Sent again (a retry), every line is taken: nothing doubles.
        let r = upload(
            &app,
            "/participants/import",
            &co,
            "text/csv",
            good.as_bytes(),
        )
        .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(
            pointers_and_codes(&r.body, "errors"),
            pairs(&[
                ("/lines/2/pseudonym", "pseudonym_taken"),
                ("/lines/3/pseudonym", "pseudonym_taken")
            ])
        );
        assert_eq!(participant_count(&app).await, before + 2);
    }
);

db_test!(
    the_participants_list_filters_by_wave_state,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, _) = app.user("fw@example.org", "fieldworker", &[a]).await;
        // Wave 1 is due from day 28 to day 56 of treatment.
        let due = participant(&app, &co, a, "Due", 40).await;
        let missed = participant(&app, &co, a, "Missed", 100).await;
        let missed_too = participant(&app, &co, a, "Missed too", 120).await;
        let done = participant(&app, &co, a, "Done", 100).await;
        let gone = participant(&app, &co, a, "Gone", 100).await;
        participant(&app, &co, a, "Early", 10).await;
        participant(&app, &app.admin_token, b, "Elsewhere", 100).await;
        let r = earlier(&app, &co, &done, 1, &[fw], json!([sitting(50, 9, 60)])).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = app
            .patch(
                &format!("/participants/{gone}"),
                &co,
                json!({"status": "withdrawn"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);

        let list = |q: &'static str| {
            let app = &app;
            let co = co.clone();
            async move {
                let r = app.get(&format!("/participants?wave=1&{q}"), &co).await;
                assert_eq!(r.status, 200, "{q}: {}", r.body);
                let mut ids: Vec<String> = r.body["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .map(|p| s(&p["id"]))
                    .collect();
                ids.sort();
                ids
            }
        };
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        assert_eq!(list("wave_state=due").await, vec![due.clone()]);
        assert_eq!(
            list("wave_state=missed").await,
            sorted(vec![missed.clone(), missed_too.clone()])
        );
        assert_eq!(list("wave_state=interviewed").await, vec![done.clone()]);
        assert_eq!(list("wave_state=withdrawn").await, vec![gone.clone()]);
        // With the other filters, and a page at a time.
        assert_eq!(
            list("wave_state=missed&pseudonym_prefix=missed%20t").await,
            vec![missed_too.clone()]
        );
        let r = app
            .get("/participants?wave=1&wave_state=missed&limit=1", &co)
            .await;
        assert_eq!(r.body["items"].as_array().map(Vec::len), Some(1));
        let next = s(&r.body["next_cursor"]);
        let r2 = app
            .get(
                &format!("/participants?wave=1&wave_state=missed&limit=1&cursor={next}"),
                &co,
            )
            .await;
        assert_eq!(r2.body["items"].as_array().map(Vec::len), Some(1));
        assert_ne!(r.body["items"][0]["id"], r2.body["items"][0]["id"]);
        assert_eq!(r2.body["next_cursor"], Value::Null);
        // An admin sees the other site's participant too.
        let r = app
            .get("/participants?wave=1&wave_state=missed", &app.admin_token)
            .await;
        assert_eq!(
            r.body["items"].as_array().map(Vec::len),
            Some(3),
            "{}",
            r.body
        );

        // Both or neither, and a wave the study has.
        let r = app.get("/participants?wave=1", &co).await;
        assert_eq!(
            (r.status, r.errors_pointer()),
            (422, "/wave_state".to_string())
        );
        let r = app.get("/participants?wave=7&wave_state=due", &co).await;
        assert_eq!((r.status, r.errors_pointer()), (422, "/wave".to_string()));
        assert_eq!(r.body["errors"][0]["code"], "no_such_wave");
    }
);

/// A second server on a new database of the same kind as `app`'s.
async fn second_database(app: &TestApp) -> TestApp {
    let url = app
        .vars
        .iter()
        .find(|(k, _)| k == "FIELDNOTES_DATABASE_URL")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let db = if url.starts_with("sqlite") {
        crate::helpers::Db::Sqlite
    } else {
        crate::helpers::Db::postgres().await.expect("PostgreSQL")
    };
    crate::helpers::spawn_app(db, &[]).await
}

/// Adds a code; its id.
async fn code(app: &TestApp, token: &str, body: Value) -> String {
    let r = app.post("/codes", token, body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    s(&r.body["id"])
}

/// The codebook as names, descriptions and dimensions, depth first.
async fn tree(app: &TestApp, token: &str) -> Vec<(usize, String, Value, Value)> {
    fn walk(nodes: &Value, depth: usize, out: &mut Vec<(usize, String, Value, Value)>) {
        for n in nodes.as_array().into_iter().flatten() {
            out.push((
                depth,
                s(&n["name"]),
                n["description"].clone(),
                n["dimension"].clone(),
            ));
            walk(&n["children"], depth + 1, out);
        }
    }
    let r = app.get("/codes?tree=true", token).await;
    let mut out = Vec::new();
    walk(&r.body["items"], 0, &mut out);
    out
}

db_test!(
    a_codebook_goes_out_as_qdc_and_comes_back_the_same_tree,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (_, fw_t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let r = app.get("/exports/codebook.qdc", &co).await;
        assert_eq!(
            (r.status, s(&r.body["code"])),
            (409, "codebook_empty".into())
        );

        // Table 1 of the source study: benefits and challenges, each theme
        // tied to a dimension of the treatment, with its sub-codes; then an
        // order the team chose rather than the order typed.
        let table = fieldnotes::app::demo::TABLE_1;
        let mut heard = String::new();
        for (root, about, themes) in table {
            let root = code(&app, &co, json!({"name": root, "description": about})).await;
            for (theme, dimension, subs) in themes {
                let theme = code(
                    &app,
                    &co,
                    json!({"name": theme, "parent_id": root, "dimension": dimension}),
                )
                .await;
                for sub in subs {
                    let id = code(
                        &app,
                        &co,
                        json!({"name": sub, "parent_id": theme, "dimension": dimension}),
                    )
                    .await;
                    if sub == "Being heard" {
                        heard = id;
                    }
                }
            }
        }
        let r = app
            .patch(&format!("/codes/{heard}"), &co, json!({"position": 0}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let want = tree(&app, &co).await;
        assert_eq!(want.len(), 20);
        assert_eq!(want[5].1, "Being heard", "the team's order: {want:?}");

        let (status, ct, first) = download(&app, "/exports/codebook.qdc", &co).await;
        assert_eq!(status, 200);
        assert!(ct.starts_with("application/xml"), "{ct}");
        // Read back by the official schema and a plain XML reader.
        let read = crate::helpers::read_with("qdc.py", &first, ".qdc");
        assert_eq!(read["root"], "{urn:QDA-XML:codebook:1.0}CodeBook");
        let names = |v: &Value| -> Vec<String> {
            v.as_array()
                .expect("codes")
                .iter()
                .map(|c| s(&c["name"]))
                .collect()
        };
        assert_eq!(names(&read["codes"]), vec!["Benefits", "Challenges"]);
        let relations = &read["codes"][0]["children"][1];
        assert_eq!(
            names(&relations["children"]),
            vec!["Being heard", "Respectful engagements"]
        );
        assert_eq!(relations["description"], "Dimension: relational");
        assert_eq!(
            read["codes"][0]["description"],
            "Experienced benefits of being in heroin-assisted treatment."
        );
        assert_eq!(app.get("/exports/codebook.qdc", &fw_t).await.status, 403);

        // Into a second database: a dry run says what would come, then the
        // import makes the same tree, and its export is the same file.
        let other = second_database(&app).await;
        let b = other.create_site("Clinic B").await;
        let (_, co2) = other.user("co2@example.org", "coordinator", &[b]).await;
        let r = upload(
            &other,
            "/codes/import?dry_run=true",
            &co2,
            "application/xml",
            &first,
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["created"].as_array().map(Vec::len), Some(20));
        assert_eq!(
            r.body["created"][5]["path"],
            "Benefits > Patient–clinician relations > Being heard"
        );
        assert!(
            tree(&other, &co2).await.is_empty(),
            "a dry run writes nothing"
        );
        let r = upload(&other, "/codes/import", &co2, "application/xml", &first).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(tree(&other, &co2).await, want);
        let (_, _, second) = download(&other, "/exports/codebook.qdc", &co2).await;
        assert_eq!(
            String::from_utf8_lossy(&second),
            String::from_utf8_lossy(&first),
            "byte for byte"
        );
        let logged = entity::audit_log::Entity::find()
            .filter(entity::audit_log::Column::Action.eq("code.import"))
            .all(&other.state.db)
            .await
            .expect("audit");
        assert_eq!(logged.len(), 1);

        // Again: every name is there already; nothing doubles.
        let r = upload(&other, "/codes/import", &co2, "application/xml", &first).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(
            (
                r.body["created"].as_array().map(Vec::len),
                r.body["existing"].as_array().map(Vec::len)
            ),
            (Some(0), Some(20))
        );
        assert_eq!(tree(&other, &co2).await, want);

        // Another tool's codebook, under a chosen code: what is there is
        // reported, the rest goes under it.
        let under = s(&other.get("/codes", &co2).await.body["items"]
            .as_array()
            .expect("codes")
            .iter()
            .find(|c| c["name"] == "Patient–clinician relations")
            .expect("code")["id"]);
        let theirs = br#"<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="QualCoder">
 <Codes>
  <Code guid="{0D62985D-B147-5D01-A9B5-CAE5DCD98342}" name="being heard" isCodable="true"/>
  <Code guid="DFE5C38E-9449-5959-A1F7-E3D895CFA87F" name="Broken promises" isCodable="true"><Description>When staff did not do what they said.</Description></Code>
 </Codes>
</CodeBook>"#;
        let r = upload(
            &other,
            &format!("/codes/import?under={under}"),
            &co2,
            "text/xml",
            theirs,
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(
            r.body["existing"][0]["path"],
            "Benefits > Patient–clinician relations > Being heard"
        );
        assert_eq!(
            r.body["created"][0]["path"],
            "Benefits > Patient–clinician relations > Broken promises"
        );
        assert_eq!(
            s(&r.body["created"][0]["id"]),
            "dfe5c38e-9449-5959-a1f7-e3d895cfa87f",
            "its GUID is kept"
        );

        // A file that is no codebook, or a code with no name: said, and
        // nothing written.
        let r = upload(&other, "/codes/import", &co2, "application/xml", b"<html/>").await;
        assert_eq!(
            (r.status, s(&r.body["code"])),
            (422, "qdc_unreadable".into())
        );
        let nameless = br#"<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="9e2f1c4e-0000-4000-8000-000000000001" name="Fine" isCodable="true"><Code guid="9e2f1c4e-0000-4000-8000-000000000002" name=" " isCodable="true"/></Code></Codes></CodeBook>"#;
        let r = upload(
            &other,
            "/codes/import?dry_run=true",
            &co2,
            "application/xml",
            nameless,
        )
        .await;
        assert_eq!(
            pointers_and_codes(&r.body, "problems"),
            pairs(&[("/codes/1/name", "required")])
        );
        let r = upload(&other, "/codes/import", &co2, "application/xml", nameless).await;
        assert_eq!(
            (r.status, r.errors_pointer()),
            (422, "/codes/1/name".to_string())
        );
        assert!(!tree(&other, &co2).await.iter().any(|c| c.1 == "Fine"));
        let r = upload(
            &other,
            &format!("/codes/import?under={}", uuid::Uuid::now_v7()),
            &co2,
            "application/xml",
            &first,
        )
        .await;
        assert_eq!((r.status, r.errors_pointer()), (422, "/under".to_string()));
        let (_, fw2) = other.user("fw2@example.org", "fieldworker", &[b]).await;
        assert_eq!(
            upload(&other, "/codes/import", &fw2, "application/xml", &first)
                .await
                .status,
            403
        );
    }
);

db_test!(
    a_longitudinal_study_replays_through_the_api,
    |app: TestApp| async move {
        // Two clinics; three waves over two and a half years of treatment.
        let oslo = app.create_site("Oslo").await;
        let bergen = app.create_site("Bergen").await;
        let (_, co) = app
            .user("co@example.org", "coordinator", &[oslo, bergen])
            .await;
        let (fw_o, fw_o_t) = app.user("fwo@example.org", "fieldworker", &[oslo]).await;
        let (fw_b, fw_b_t) = app.user("fwb@example.org", "fieldworker", &[bergen]).await;
        let waves = json!({"waves": [
            {"wave": 1, "opens_day": 28, "closes_day": 120},
            {"wave": 2, "opens_day": 365, "closes_day": 450},
            {"wave": 3, "opens_day": 730, "closes_day": 900},
        ]});
        let r = app.patch("/settings/waves", &app.admin_token, waves).await;
        assert_eq!(r.status, 200, "{}", r.body);

        // The 27 participants, registered from the team's spreadsheet: 15
        // in Oslo, 12 in Bergen, in treatment for 795 to 821 days.
        let started = |i: usize| 795 + i as i64;
        let mut csv = String::from("pseudonym,site,treatment_started_on\n");
        for i in 0..27 {
            let site = if i < 15 { "Oslo" } else { "Bergen" };
            let day = (Utc::now() - Duration::days(started(i))).date_naive();
            csv.push_str(&format!("S{:02},{site},{day}\n", i + 1));
        }
        let r = upload(
            &app,
            "/participants/import",
            &co,
            "text/csv",
            csv.as_bytes(),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let people: Vec<String> = r.body["participants"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|p| s(&p["id"]))
            .collect();
        assert_eq!(people.len(), 27);
        let who = |i: usize| {
            if i < 15 {
                (fw_o, fw_o_t.as_str())
            } else {
                (fw_b, fw_b_t.as_str())
            }
        };

        // Waves 1 and 2 were held on paper before the study adopted
        // Fieldnotes: entered later. 22 came back for wave 2 (three of
        // them over two sittings); 2 withdrew and 3 were missed.
        let mut interviews: Vec<(usize, i32, String)> = Vec::new();
        for (i, p) in people.iter().enumerate() {
            let r = earlier(
                &app,
                &co,
                p,
                1,
                &[who(i).0],
                json!([sitting(started(i) - 60, 10, 55)]),
            )
            .await;
            assert_eq!(r.status, 201, "{}", r.body);
            interviews.push((i, 1, s(&r.body["id"])));
        }
        for (i, p) in people.iter().enumerate().take(22) {
            let at = started(i) - 400;
            let sittings = if i % 7 == 0 {
                json!([sitting(at, 10, 40), sitting(at - 1, 10, 35)])
            } else {
                json!([sitting(at, 10, 50)])
            };
            let r = earlier(&app, &co, p, 2, &[who(i).0], sittings).await;
            assert_eq!(r.status, 201, "{}", r.body);
            interviews.push((i, 2, s(&r.body["id"])));
        }
        for p in &people[22..24] {
            let r = app
                .patch(
                    &format!("/participants/{p}"),
                    &co,
                    json!({"status": "withdrawn"}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }

        // Wave 3 is booked and held in Fieldnotes, behind the readiness
        // gate: 16 of those interviewed in wave 2.
        for (n, i) in (0..22).filter(|i| i % 4 != 3).take(16).enumerate() {
            let (interviewer, token) = who(i);
            let r = app
                .post(
                    "/interviews",
                    &co,
                    json!({"participant_id": people[i], "wave": 3, "scheduled_at": iso(crate::interviews::oslo(1 + n as i64, 10, 0)),
                           "duration_minutes": 60, "interviewer_ids": [interviewer]}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
            let id = s(&r.body["id"]);
            let start = format!("/interviews/{id}/sessions");
            if n == 0 {
                // No consent recorded in Fieldnotes yet: the gate says so.
                let r = app
                    .post(&start, token, json!({"allow_other_day": true}))
                    .await;
                assert_eq!(
                    (r.status, s(&r.body["code"])),
                    (409, "no_consent".into()),
                    "{}",
                    r.body
                );
            }
            crate::interviews::consent(&app, token, &people[i], 5).await;
            let r = app
                .post(&start, token, json!({"allow_other_day": true}))
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
            assert!(!r.body["screening_ids"].as_array().expect("ids").is_empty());
            let r = app
                .post(&format!("{start}/1/end"), token, json!({"recorded": true}))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let r = app
                .post(&format!("/interviews/{id}/complete"), token, json!({}))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.body["entered_later"], false);
            interviews.push((i, 3, id));
        }
        assert_eq!(interviews.len(), 65);

        // Every interview has its transcript.
        for (i, wave, id) in &interviews {
            let r = app
                .post(
                    &format!("/interviews/{id}/transcripts"),
                    &co,
                    json!({"language": "nb", "body": format!("S{:02} i bølge {wave}: om å komme tilbake.", i + 1)}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
        }

        // Retention per wave, and the methods paragraph.
        let r = app.get("/reports/fieldwork", &co).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let row = |w: &Value| {
            (
                w["wave"].as_i64(),
                w["eligible"].as_u64(),
                w["interviewed"].as_u64(),
                w["in_window_now"].as_u64(),
                w["missed"].as_u64(),
                w["withdrawn"].as_u64(),
            )
        };
        let got: Vec<_> = r.body["waves"]
            .as_array()
            .expect("waves")
            .iter()
            .map(row)
            .collect();
        assert_eq!(
            got,
            vec![
                (Some(1), Some(27), Some(27), Some(0), Some(0), Some(0)),
                (Some(2), Some(25), Some(22), Some(0), Some(3), Some(2)),
                (Some(3), Some(25), Some(16), Some(9), Some(0), Some(2)),
            ]
        );
        assert_eq!(r.body["interviews_entered_later"], 49);
        let text = s(&r.body["methods_text"]);
        for want in [
            "We conducted 65 interviews with 27 participants at two sites",
            "The interviews were held over three waves (27, 22 and 16).",
            "49 of the interviews were held before the study used Fieldnotes",
        ] {
            assert!(text.contains(want), "{want:?} in {text}");
        }

        // The analysis tool's view, read by an independent reader: one case
        // per participant, with their sources across the waves.
        let (status, _, zip) = download(&app, "/exports/project.qdpx", &co).await;
        assert_eq!(status, 200);
        let project = crate::helpers::read_with("qdpx.py", &zip, ".qdpx");
        let cases = project["cases"].as_array().expect("cases");
        assert_eq!(cases.len(), 27);
        let sources: std::collections::HashMap<String, &Value> = project["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .map(|x| (s(&x["guid"]), x))
            .collect();
        assert_eq!(sources.len(), 65);
        for case in cases {
            let i: usize = s(&case["name"])[1..].parse::<usize>().expect("S01") - 1;
            let mine: Vec<i32> = interviews
                .iter()
                .filter(|(j, _, _)| *j == i)
                .map(|(_, w, _)| *w)
                .collect();
            for w in 1..=3 {
                assert_eq!(
                    case["values"][format!("Wave {w} done")],
                    json!(mine.contains(&w)),
                    "{case}"
                );
            }
            assert_eq!(
                case["values"]["Latest wave"],
                json!(mine.iter().max()),
                "{case}"
            );
            let mut theirs: Vec<&Value> = case["sources"]
                .as_array()
                .expect("refs")
                .iter()
                .map(|g| sources[&s(g)])
                .collect();
            assert_eq!(theirs.len(), mine.len(), "{case}");
            // Named so that they sort by wave.
            theirs.sort_by_key(|x| s(&x["name"]));
            let by_name: Vec<i64> = theirs
                .iter()
                .map(|x| x["values"]["Wave"].as_i64().expect("wave"))
                .collect();
            assert_eq!(
                by_name,
                mine.iter().map(|w| *w as i64).collect::<Vec<_>>(),
                "{case}"
            );
            for x in theirs {
                let wave = x["values"]["Wave"].as_i64().expect("wave");
                assert_eq!(x["values"]["Entered later"], json!(wave < 3), "{x}");
                let date = s(&x["values"]["Interview date"]);
                assert!(s(&x["name"]).ends_with(&format!("({date})")), "{x}");
                if wave == 1 {
                    let held = (Utc::now() - Duration::days(started(i) - 60)).date_naive();
                    assert_eq!(date, held.to_string(), "{x}");
                }
            }
        }
    }
);
