//! Interviews, postponements, split sessions, reminders, calendar feeds and
//! the fieldwork report over HTTP.
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Oslo;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::{Resp, TestApp};

const POSS: &str = "01900000-0000-7000-8000-000000000001";
const CAPACITY: &str = "01900000-0000-7000-8000-000000000003";

/// `days` from today at `hh:mm` in Oslo, as UTC.
pub(crate) fn oslo(days: i64, hh: u32, mm: u32) -> DateTime<Utc> {
    let date = Utc::now().with_timezone(&Oslo).date_naive() + Duration::days(days);
    let t = date.and_time(NaiveTime::from_hms_opt(hh, mm, 0).expect("time"));
    Oslo.from_local_datetime(&t)
        .single()
        .expect("unambiguous")
        .with_timezone(&Utc)
}

pub(crate) fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

pub(crate) fn s(v: &Value) -> String {
    v.as_str().expect("string").to_string()
}

pub(crate) async fn participant(
    app: &TestApp,
    co: &str,
    site: Uuid,
    ps: &str,
    started_days_ago: i64,
) -> String {
    let start = (Utc::now() - Duration::days(started_days_ago)).date_naive();
    let r = app
        .post(
            "/participants",
            co,
            json!({"pseudonym": ps, "site_id": site, "treatment_started_on": start}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    s(&r.body["id"])
}

pub(crate) async fn book(
    app: &TestApp,
    co: &str,
    pid: &str,
    at: DateTime<Utc>,
    who: &[Uuid],
) -> Resp {
    app.post(
        "/interviews",
        co,
        json!({"participant_id": pid, "wave": 1, "scheduled_at": iso(at), "duration_minutes": 60, "interviewer_ids": who, "location": "Room 2"}),
    )
    .await
}

pub(crate) async fn screen(app: &TestApp, token: &str, pid: &str, level: &str, minutes_ago: i64) {
    let r = app
        .post(
            &format!("/participants/{pid}/screenings"),
            token,
            json!({"instrument_id": POSS, "performed_at": iso(Utc::now() - Duration::minutes(minutes_ago)), "responses": {"sedation": level}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

pub(crate) async fn consent(app: &TestApp, token: &str, pid: &str, minutes_ago: i64) {
    screen(app, token, pid, "1", minutes_ago).await;
    let keys = [
        "purpose",
        "what_happens",
        "voluntary",
        "stop_any_time",
        "treatment_unaffected",
        "confidential",
        "recordings",
        "risks",
        "benefits",
        "questions",
    ];
    let responses: serde_json::Map<String, Value> =
        keys.iter().map(|k| (k.to_string(), json!("2"))).collect();
    let r = app
        .post(
            &format!("/participants/{pid}/screenings"),
            token,
            json!({"instrument_id": CAPACITY, "responses": responses, "performed_at": iso(Utc::now() - Duration::minutes(minutes_ago - 1))}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = app
        .post(
            &format!("/participants/{pid}/consents"),
            token,
            json!({"form_version": "1.0", "method": "oral_recorded"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

pub(crate) async fn outbox(app: &TestApp, prefix: &str) -> Vec<entity::outbox::Model> {
    entity::outbox::Entity::find()
        .filter(entity::outbox::Column::DedupeKey.starts_with(prefix))
        .all(&app.state.db)
        .await
        .expect("outbox")
}

db_test!(
    scheduling_refuses_what_cannot_work,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw1, fw_token) = app.user("fw1@example.org", "fieldworker", &[a]).await;
        let (fw_b, _) = app.user("fwb@example.org", "fieldworker", &[b]).await;
        let p1 = participant(&app, &co, a, "P01", 30).await;
        let p2 = participant(&app, &co, a, "P02", 30).await;
        let early = participant(&app, &co, a, "P03", 5).await;
        // an interviewer without access to the site
        let r = book(&app, &co, &p1, oslo(2, 9, 0), &[fw_b]).await;
        assert_eq!(r.errors_pointer(), "/interviewer_ids/0", "{}", r.body);
        // fieldworkers do not schedule
        assert_eq!(
            book(&app, &co_or(&fw_token), &p1, oslo(2, 9, 0), &[fw1])
                .await
                .status,
            403
        );
        let r = book(&app, &co, &p1, oslo(2, 9, 0), &[fw1]).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(
            (r.body["status"].as_str(), r.body["window"].as_str()),
            (Some("scheduled"), Some("open"))
        );
        let first = s(&r.body["id"]);
        // a second open interview for the same wave
        let r = book(&app, &co, &p1, oslo(3, 9, 0), &[fw1]).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (409, Some("interview_exists"))
        );
        // the interviewer is busy then
        let r = book(&app, &co, &p2, oslo(2, 9, 30), &[fw1]).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (409, Some("interviewer_busy"))
        );
        assert_eq!(r.body["interview_id"], json!(first));
        // back to back is fine
        assert_eq!(
            book(&app, &co, &p2, oslo(2, 10, 0), &[fw1]).await.status,
            201
        );
        // the clinic is closed 12:00-14:00 (Oslo time)
        let r = book(&app, &co, &early, oslo(2, 12, 30), &[fw1]).await;
        assert_eq!(r.errors_pointer(), "/scheduled_at");
        // a stable code and typed params: a client words it without reading
        // the English detail
        let e = &r.body["errors"][0];
        assert_eq!(e["code"], "outside_opening_hours", "{}", r.body);
        assert_eq!(
            e["params"]["windows"][0],
            json!({"start": "08:00", "end": "12:00"})
        );
        assert_eq!(e["params"]["time_zone"], "Europe/Oslo");
        assert!(e["detail"]
            .as_str()
            .is_some_and(|d| d.contains("08:00-12:00")));
        let r = app
        .post(
            "/interviews",
            &co,
            json!({"participant_id": early, "wave": 1, "scheduled_at": iso(oslo(2, 12, 30)), "duration_minutes": 45, "interviewer_ids": [fw1], "allow_outside_opening_hours": true}),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        // before the wave's window: allowed, flagged
        assert_eq!(r.body["window"], "before");
        // dates no fieldwork can have are refused before any arithmetic on them
        let r = app
        .post(
            "/interviews",
            &co,
            json!({"participant_id": p2, "wave": 1, "scheduled_at": "+262142-12-31T23:00:00Z", "duration_minutes": 480, "interviewer_ids": [fw1], "allow_outside_opening_hours": true}),
        )
        .await;
        assert_eq!(r.errors_pointer(), "/scheduled_at");
        let r = app
            .get("/me/interviews?from=%2B262142-12-31T23:30:00Z", &fw_token)
            .await;
        assert_eq!(r.errors_pointer(), "/from");
        let r = app
            .post(
                "/participants",
                &co,
                json!({"pseudonym": "PX", "site_id": a, "treatment_started_on": "+262142-12-31"}),
            )
            .await;
        assert_eq!(r.errors_pointer(), "/treatment_started_on");
        // a withdrawn participant
        let gone = participant(&app, &co, a, "P04", 30).await;
        app.patch(
            &format!("/participants/{gone}"),
            &co,
            json!({"status": "withdrawn"}),
        )
        .await;
        let r = book(&app, &co, &gone, oslo(4, 9, 0), &[fw1]).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (409, Some("participant_withdrawn"))
        );
        // the interviewer is told, by pseudonym only
        let mails = outbox(&app, &format!("interview:{first}:")).await;
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].to_addr, "fw1@example.org");
        assert!(mails[0].subject.contains("P01"));
        // my day
        let mine = app
            .get(
                &format!(
                    "/me/interviews?from={}&to={}",
                    enc(oslo(2, 0, 0)),
                    enc(oslo(3, 0, 0))
                ),
                &fw_token,
            )
            .await;
        assert_eq!(
            mine.body["items"].as_array().map(Vec::len),
            Some(3),
            "{}",
            mine.body
        );
        let list = app
            .get(&format!("/interviews?participant_id={p1}"), &co)
            .await;
        assert_eq!(list.body["items"].as_array().map(Vec::len), Some(1));
    }
);

fn co_or(t: &str) -> String {
    t.to_string()
}

fn enc(t: DateTime<Utc>) -> String {
    t.to_rfc3339().replace('+', "%2B").replace(':', "%3A")
}

db_test!(
    postponements_and_a_split_interview,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (co_id, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, fw_t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (_, other_t) = app.user("other@example.org", "fieldworker", &[a]).await;
        let p = participant(&app, &co, a, "P07", 30).await;
        let q = participant(&app, &co, a, "P08", 30).await;
        let r = book(&app, &co, &p, oslo(2, 9, 0), &[fw]).await;
        let id = s(&r.body["id"]);
        assert_eq!(book(&app, &co, &q, oslo(3, 14, 0), &[fw]).await.status, 201);
        let post = |body: Value, token: String| {
            let app = &app;
            let id = id.clone();
            async move {
                app.post(&format!("/interviews/{id}/postponements"), &token, body)
                    .await
            }
        };
        // only its interviewers or a coordinator
        assert_eq!(
            post(
                json!({"reason": "participant_absent", "new_scheduled_at": null}),
                other_t.clone()
            )
            .await
            .status,
            403
        );
        // 1: absent, to tomorrow's afternoon +1
        let r = post(
            json!({"reason": "participant_absent", "new_scheduled_at": iso(oslo(3, 10, 0))}),
            fw_t.clone(),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["status"], "scheduled");
        // the new time is checked like a booking
        let r = post(
            json!({"reason": "clinic_circumstances", "new_scheduled_at": iso(oslo(3, 14, 30))}),
            co.clone(),
        )
        .await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (409, Some("interviewer_busy"))
        );
        let r = post(
            json!({"reason": "clinic_circumstances", "new_scheduled_at": iso(oslo(3, 13, 0))}),
            co.clone(),
        )
        .await;
        assert_eq!(r.errors_pointer(), "/new_scheduled_at");
        // 2: to be agreed
        let r = post(json!({"reason": "clinic_circumstances", "new_scheduled_at": null, "note": "Fire drill"}), co.clone()).await;
        assert_eq!(r.body["status"], "postponed");
        // `other` needs a note
        assert_eq!(
            post(
                json!({"reason": "other", "new_scheduled_at": null}),
                co.clone()
            )
            .await
            .errors_pointer(),
            "/note"
        );
        // 3: a new time
        let r = post(json!({"reason": "other", "new_scheduled_at": iso(oslo(4, 15, 0)), "note": "Participant's request"}), co.clone()).await;
        assert_eq!(r.body["status"], "scheduled");
        let h = app
            .get(&format!("/interviews/{id}/postponements"), &fw_t)
            .await;
        let items = h.body["items"].as_array().expect("items");
        assert_eq!(items.len(), 3);
        let reasons: Vec<&str> = items.iter().filter_map(|x| x["reason"].as_str()).collect();
        assert_eq!(
            reasons,
            ["participant_absent", "clinic_circumstances", "other"]
        );
        assert_eq!(
            items[0]["previous_scheduled_at"]
                .as_str()
                .map(|t| t.parse::<DateTime<Utc>>().expect("t")),
            Some(oslo(2, 9, 0))
        );
        assert_eq!(items[1]["new_scheduled_at"], Value::Null);
        assert_eq!(
            items[2]["new_scheduled_at"]
                .as_str()
                .map(|t| t.parse::<DateTime<Utc>>().expect("t")),
            Some(oslo(4, 15, 0))
        );
        // the coordinator who booked it hears of the fieldworker's change; the
        // fieldworker of every change
        let mails = outbox(&app, &format!("interview:{id}:")).await;
        let to: Vec<&str> = mails.iter().map(|m| m.to_addr.as_str()).collect();
        assert_eq!(
            to.iter().filter(|t| **t == "fw@example.org").count(),
            4,
            "{to:?}"
        );
        assert_eq!(
            to.iter().filter(|t| **t == "co@example.org").count(),
            1,
            "{to:?}"
        );
        let _ = co_id;

        // sessions need consent...
        let sessions_path = format!("/interviews/{id}/sessions");
        // The interview is planned for another day than today: each start
        // says it knows (`allow_other_day`).
        let start = || app.post(&sessions_path, &fw_t, json!({"allow_other_day": true}));
        let r = start().await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (409, Some("no_consent"))
        );
        // No clock can be moved over HTTP, so the study's validity window is
        // widened and the screenings are dated back: consent and session 1
        // rest on screenings of 100 minutes ago. The drowsy screening before
        // session 2 and the passing one after it are both from now, so the
        // screen-shopping window (which the readiness tests cover) is set to
        // zero here.
        app.patch(
            "/settings/readiness",
            &app.admin_token,
            json!({"validity_minutes": {"poss": 120, "capacity": 120}, "no_screen_shopping_minutes": 0}),
        )
        .await;
        consent(&app, &fw_t, &p, 100).await;
        // session 1
        let r = start().await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["n"], 1);
        assert_eq!((start().await.body["code"]).as_str(), Some("session_open"));
        let r = app
        .post(&format!("/interviews/{id}/sessions/1/end"), &fw_t, json!({"note": "Stopped when tired", "recorded": true, "recording_label": "P07-1.wav"}))
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        // session 2 refused: drowsy (screened after session 1 ended, as a
        // new session needs)
        screen(&app, &fw_t, &p, "3", 0).await;
        let r = start().await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (409, Some("not_ready")),
            "{}",
            r.body
        );
        assert_eq!(r.body["reasons"][0]["code"], "poss_drowsy");
        assert_eq!(r.body["postpone_reason"], "participant_not_ready");
        let r = post(
            json!({"reason": "participant_not_ready", "new_scheduled_at": null}),
            fw_t.clone(),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let last = &r.body["postponements"][3];
        assert_eq!(last["readiness_reasons"], json!(["poss_drowsy"]));
        // later the same day: a passing screening
        screen(&app, &fw_t, &p, "1", 0).await;
        let r = start().await;
        assert_eq!(
            (r.status, r.body["n"].clone()),
            (201, json!(2)),
            "{}",
            r.body
        );
        app.post(
            &format!("/interviews/{id}/sessions/2/end"),
            &fw_t,
            json!({"recorded": true}),
        )
        .await;
        // session 3 needs a screening taken after session 2 ended
        let r = start().await;
        assert_eq!(
            r.body["reasons"][0]["code"], "rescreen_between_sessions",
            "{}",
            r.body
        );
        screen(&app, &fw_t, &p, "1", 0).await;
        let r = start().await;
        assert_eq!((r.status, r.body["n"].clone()), (201, json!(3)));
        assert_eq!(
            app.post(&format!("/interviews/{id}/complete"), &fw_t, json!({}))
                .await
                .body["code"],
            "session_open"
        );
        app.post(
            &format!("/interviews/{id}/sessions/3/end"),
            &fw_t,
            json!({}),
        )
        .await;
        let r = app
            .post(&format!("/interviews/{id}/complete"), &fw_t, json!({}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["status"], "completed");
        assert_eq!(r.body["sessions"].as_array().map(Vec::len), Some(3));
        let sum: i64 = r.body["sessions"]
            .as_array()
            .expect("s")
            .iter()
            .filter_map(|x| x["minutes"].as_i64())
            .sum();
        assert_eq!(r.body["total_minutes"], sum);
        // closed: no more postponing; reopen brings it back
        assert_eq!(
            post(
                json!({"reason": "participant_absent", "new_scheduled_at": null}),
                co.clone()
            )
            .await
            .status,
            409
        );
        let r = app
            .post(
                &format!("/interviews/{id}/cancel"),
                &co,
                json!({"reason": "x"}),
            )
            .await;
        assert_eq!(r.status, 409);
        let r = app
            .post(&format!("/interviews/{id}/reopen"), &co, json!({}))
            .await;
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            (200, Some("in_progress")),
            "{}",
            r.body
        );
    }
);

db_test!(
    reminders_go_once_and_never_stale,
    env = [("FIELDNOTES_RUN_WORKERS", "false".to_string())],
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, _) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (fw2, _) = app.user("fw2@example.org", "fieldworker", &[a]).await;
        let p = participant(&app, &co, a, "P09", 30).await;
        let at = oslo(3, 9, 0);
        let r = book(&app, &co, &p, at, &[fw, fw2]).await;
        let id = s(&r.body["id"]);
        let db = &app.state.db;
        let run = |now: DateTime<Utc>| {
            fieldnotes::interviews::enqueue_reminders(db, now, "http://fieldnotes.test")
        };
        let prefix = format!("reminder:{id}:");
        let reminders = || outbox(&app, &prefix);
        assert_eq!(run(at - Duration::hours(25)).await.expect("run"), 0);
        // two instances at the same moment: one reminder per interviewer
        let (x, y) = tokio::join!(run(at - Duration::hours(23)), run(at - Duration::hours(23)));
        assert_eq!(x.expect("x") + y.expect("y"), 2);
        assert_eq!(run(at - Duration::hours(22)).await.expect("run"), 0);
        // a new room is no reason to remind anyone twice
        let r = app
            .patch(
                &format!("/interviews/{id}"),
                &co,
                json!({"location": "Room 4"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(run(at - Duration::hours(21)).await.expect("run"), 0);
        let r = reminders().await;
        assert_eq!(r.len(), 2);
        assert!(r
            .iter()
            .all(|m| m.subject.contains("P09") && !m.body_text.contains("POSS")));
        assert_eq!(run(at - Duration::minutes(50)).await.expect("run"), 2);
        assert_eq!(run(at - Duration::minutes(10)).await.expect("run"), 0);
        assert_eq!(reminders().await.len(), 4);
        // moved: the unsent reminders for the old time are gone, none come for it
        let later = oslo(5, 9, 0);
        let r = app
            .post(
                &format!("/interviews/{id}/postponements"),
                &co,
                json!({"reason": "interviewer_unavailable", "new_scheduled_at": iso(later)}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(reminders().await.len(), 0);
        assert_eq!(run(at - Duration::minutes(30)).await.expect("run"), 0);
        assert_eq!(run(later - Duration::hours(2)).await.expect("run"), 2);
        // cancelled: nothing more
        app.post(
            &format!("/interviews/{id}/cancel"),
            &co,
            json!({"reason": "Participant moved away"}),
        )
        .await;
        assert_eq!(run(later - Duration::minutes(30)).await.expect("run"), 0);
        // the cancellation itself is announced
        let sent: Vec<_> = entity::outbox::Entity::find()
            .filter(entity::outbox::Column::DedupeKey.starts_with("interview:"))
            .all(db)
            .await
            .expect("outbox");
        assert!(sent.iter().any(|m| m.subject.contains("cancelled")));
    }
);

db_test!(calendar_feeds_follow_changes, |app: TestApp| async move {
    let a = app.create_site("Clinic A").await;
    let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
    let (fw, fw_t) = app.user("fw@example.org", "fieldworker", &[a]).await;
    let p1 = participant(&app, &co, a, "P11", 30).await;
    let p2 = participant(&app, &co, a, "P12", 30).await;
    let i1 = s(&book(&app, &co, &p1, oslo(2, 9, 0), &[fw]).await.body["id"]);
    let i2 = s(&book(&app, &co, &p2, oslo(2, 15, 0), &[fw]).await.body["id"]);
    let feed = app.post("/calendar-feeds", &fw_t, json!({})).await;
    assert_eq!(feed.status, 201, "{}", feed.body);
    let url = s(&feed.body["url"]);
    let path = url.trim_start_matches("http://fieldnotes.test");
    let fetch = || async {
        let res = app.client.get(app.url(path)).send().await.expect("get");
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/calendar"));
        let text = res.text().await.expect("text");
        let cal = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()))
            .next()
            .expect("one calendar")
            .expect("parses");
        cal.events
    };
    let prop = |e: &ical::parser::ical::component::IcalEvent, name: &str| {
        e.properties
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .expect(name)
    };
    let events = fetch().await;
    assert_eq!(events.len(), 2);
    let uid1 = prop(&events[0], "UID").value.expect("uid");
    assert!(uid1.starts_with(&i1));
    assert_eq!(prop(&events[0], "SEQUENCE").value.as_deref(), Some("0"));
    assert!(prop(&events[0], "SUMMARY")
        .value
        .expect("summary")
        .contains("P11"));
    let start = prop(&events[0], "DTSTART");
    assert!(start
        .params
        .expect("params")
        .iter()
        .any(|(k, v)| k == "TZID" && v == &vec!["Europe/Oslo".to_string()]));
    assert_eq!(
        start.value.as_deref(),
        Some(
            oslo(2, 9, 0)
                .with_timezone(&Oslo)
                .format("%Y%m%dT%H%M%S")
                .to_string()
                .as_str()
        )
    );
    // a move bumps SEQUENCE under the same UID; a cancellation is marked
    app.post(
        &format!("/interviews/{i1}/postponements"),
        &co,
        json!({"reason": "participant_absent", "new_scheduled_at": iso(oslo(3, 9, 0))}),
    )
    .await;
    app.post(
        &format!("/interviews/{i2}/cancel"),
        &co,
        json!({"reason": "Ended treatment"}),
    )
    .await;
    let events = fetch().await;
    let e1 = events
        .iter()
        .find(|e| prop(e, "UID").value.as_deref() == Some(uid1.as_str()))
        .expect("same uid");
    assert_eq!(prop(e1, "SEQUENCE").value.as_deref(), Some("1"));
    let e2 = events
        .iter()
        .find(|e| prop(e, "UID").value.is_some_and(|u| u.starts_with(&i2)))
        .expect("i2");
    assert_eq!(prop(e2, "STATUS").value.as_deref(), Some("CANCELLED"));
    let all = events
        .iter()
        .map(|e| format!("{:?}", e.properties))
        .collect::<String>();
    assert!(!all.contains("POSS") && !all.contains("sedation"));
    // an API key cannot mint a URL that would outlive it
    let key = app
        .post(
            "/api-keys",
            &fw_t,
            json!({"name": "cal", "scopes": ["schedule:read"]}),
        )
        .await;
    assert_eq!(key.status, 201, "{}", key.body);
    let secret = key.body["secret"].as_str().expect("secret").to_string();
    assert_eq!(
        app.post("/calendar-feeds", &secret, json!({})).await.status,
        403
    );
    // revoked: gone
    let id = s(&feed.body["id"]);
    assert_eq!(
        app.delete(&format!("/calendar-feeds/{id}"), &fw_t)
            .await
            .status,
        204
    );
    let res = app.client.get(app.url(path)).send().await.expect("get");
    assert_eq!(res.status(), 404);
});

db_test!(who_is_due, |app: TestApp| async move {
    let a = app.create_site("Clinic A").await;
    let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
    let (fw, _) = app.user("fw@example.org", "fieldworker", &[a]).await;
    participant(&app, &co, a, "OPEN", 30).await;
    participant(&app, &co, a, "SOON", 52).await;
    let late = participant(&app, &co, a, "LATE", 60).await;
    participant(&app, &co, a, "NOTYET", 10).await;
    let done = participant(&app, &co, a, "DONE", 40).await;
    let r = book(&app, &co, &late, oslo(2, 9, 0), &[fw]).await;
    assert_eq!(r.body["window"], "after");
    // DONE has a completed wave-1 interview (written directly: the flow is tested elsewhere)
    let now = Utc::now();
    entity::interview::Entity::insert(entity::interview::ActiveModel {
        id: Set(Uuid::now_v7()),
        participant_id: Set(done.parse().expect("uuid")),
        site_id: Set(a),
        wave: Set(1),
        scheduled_at: Set(now - Duration::days(2)),
        ends_at: Set(now - Duration::days(2) + Duration::hours(1)),
        duration_minutes: Set(60),
        location: Set(None),
        note: Set(None),
        status: Set("completed".into()),
        first_scheduled_at: Set(now - Duration::days(2)),
        sequence: Set(1),
        cancel_reason: Set(None),
        completed_at: Set(Some(now - Duration::days(2))),
        entered_later: Set(false),
        screening_note: Set(None),
        created_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&app.state.db)
    .await
    .expect("insert");
    let due = app.get("/participants/due?wave=1", &co).await;
    assert_eq!(due.status, 200, "{}", due.body);
    let got: Vec<(String, String)> = due.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| (s(&i["pseudonym"]), s(&i["state"])))
        .collect();
    assert_eq!(
        got,
        vec![
            ("LATE".to_string(), "overdue".to_string()),
            ("SOON".to_string(), "closing_soon".to_string()),
            ("OPEN".to_string(), "open".to_string())
        ]
    );
    assert!(due.body["items"][0]["interview"]["id"].is_string());
    assert_eq!(
        app.get("/participants/due?wave=9", &co)
            .await
            .errors_pointer(),
        "/wave"
    );
});

db_test!(the_fieldwork_report_adds_up, |app: TestApp| async move {
    // The paper's shape: 26 participants, 19 at one clinic and 7 at the other.
    let a = app.create_site("Clinic A").await;
    let b = app.create_site("Clinic B").await;
    let (_, co) = app.user("co@example.org", "coordinator", &[a, b]).await;
    let (_, co_b) = app.user("cob@example.org", "coordinator", &[b]).await;
    let mut pa = Vec::new();
    for i in 0..19 {
        pa.push(participant(&app, &co, a, &format!("A{i:02}"), 30).await);
    }
    let mut pb = Vec::new();
    for i in 0..7 {
        pb.push(participant(&app, &co, b, &format!("B{i:02}"), 30).await);
    }
    app.patch(
        &format!("/participants/{}", pa[0]),
        &co,
        json!({"status": "withdrawn"}),
    )
    .await;
    // Interviews written directly with known lengths (sessions cannot be
    // minutes long in a test): A00-A09 completed, A10 cancelled, B00-B02 completed.
    let db = &app.state.db;
    let base = Utc::now() - Duration::days(30);
    let add = |pid: &str,
               site: Uuid,
               status: &str,
               sessions: &[i64],
               postponed: &[&str],
               days_to_complete: i64| {
        let id = Uuid::now_v7();
        let first = base;
        let sessions = sessions.to_vec();
        let postponed: Vec<String> = postponed.iter().map(|s| s.to_string()).collect();
        let status = status.to_string();
        let pid: Uuid = pid.parse().expect("uuid");
        async move {
            entity::interview::Entity::insert(entity::interview::ActiveModel {
                id: Set(id),
                participant_id: Set(pid),
                site_id: Set(site),
                wave: Set(1),
                scheduled_at: Set(first),
                ends_at: Set(first + Duration::hours(1)),
                duration_minutes: Set(60),
                location: Set(None),
                note: Set(None),
                status: Set(status.clone()),
                first_scheduled_at: Set(first),
                sequence: Set(0),
                cancel_reason: Set(None),
                completed_at: Set(
                    (status == "completed").then(|| first + Duration::days(days_to_complete))
                ),
                entered_later: Set(false),
                screening_note: Set(None),
                created_by: Set(None),
                created_at: Set(first),
                updated_at: Set(first),
            })
            .exec_without_returning(db)
            .await
            .expect("interview");
            for (n, minutes) in sessions.iter().enumerate() {
                let start = first + Duration::days(n as i64);
                entity::interview_session::Entity::insert(entity::interview_session::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    interview_id: Set(id),
                    n: Set(n as i32 + 1),
                    started_at: Set(start),
                    ended_at: Set(Some(start + Duration::minutes(*minutes))),
                    started_by: Set(None),
                    screening_ids: Set(json!([])),
                    note: Set(None),
                    recorded: Set(true),
                    recording_label: Set(None),
                })
                .exec_without_returning(db)
                .await
                .expect("session");
            }
            for reason in postponed {
                entity::postponement::Entity::insert(entity::postponement::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    interview_id: Set(id),
                    reason: Set(reason),
                    readiness_reasons: Set(json!([])),
                    previous_scheduled_at: Set(first),
                    new_scheduled_at: Set(None),
                    note: Set(None),
                    created_by: Set(None),
                    created_at: Set(first),
                })
                .exec_without_returning(db)
                .await
                .expect("postponement");
            }
        }
    };
    // A: ten completed, lengths 30..75 (one split in two, one in three), days 1..10
    for (i, pid) in pa.iter().take(10).enumerate() {
        let sessions: Vec<i64> = match i {
            0 => vec![20, 25],
            1 => vec![10, 10, 15],
            _ => vec![30 + 5 * i as i64],
        };
        let post: &[&str] = match i {
            0 => &["participant_not_ready", "participant_not_ready"],
            1 => &["participant_absent"],
            _ => &[],
        };
        add(pid, a, "completed", &sessions, post, i as i64 + 1).await;
    }
    add(&pa[10], a, "cancelled", &[], &["clinic_circumstances"], 0).await;
    for (i, pid) in pb.iter().take(3).enumerate() {
        add(pid, b, "completed", &[40 + 10 * i as i64], &[], 2).await;
    }
    let r = app.get("/reports/fieldwork", &co).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let body = &r.body;
    assert_eq!(body["participants_total"], 26);
    let by_site: Vec<(String, i64, i64)> = body["participants_by_site"]
        .as_array()
        .expect("sites")
        .iter()
        .map(|x| {
            (
                s(&x["site_name"]),
                x["total"].as_i64().expect("n"),
                x["withdrawn"].as_i64().expect("n"),
            )
        })
        .collect();
    assert_eq!(
        by_site,
        vec![("Clinic A".into(), 19, 1), ("Clinic B".into(), 7, 0)]
    );
    assert_eq!(body["interviews_total"], 14);
    assert_eq!(
        body["interviews_by_status"],
        json!({"completed": 13, "cancelled": 1})
    );
    assert_eq!(body["postponements_total"], 4);
    assert_eq!(
        body["postponements_by_reason"],
        json!({"participant_not_ready": 2, "participant_absent": 1, "clinic_circumstances": 1})
    );
    assert_eq!(body["interviews_postponed"], 3);
    assert_eq!(body["interviews_split"], 2);
    assert_eq!(
        body["sessions_per_interview"],
        json!({"1": 11, "2": 1, "3": 1})
    );
    // minutes of the 13 completed: 45, 35, 40..75 by 5 (8 values), 40, 50, 60
    let mut minutes: Vec<f64> = vec![45.0, 35.0];
    minutes.extend((2..10).map(|i| 30.0 + 5.0 * i as f64));
    minutes.extend([40.0, 50.0, 60.0]);
    // Whole minutes, rounded once (the paragraph says the same).
    let mean = (minutes.iter().sum::<f64>() / 13.0).round();
    assert_eq!(body["minutes_mean"].as_f64(), Some(mean));
    minutes.sort_by(|x, y| x.total_cmp(y));
    assert_eq!(body["minutes_median"].as_f64(), Some(minutes[6]));
    // days to completion: 1..10 and 2, 2, 2 -> median of 13 values
    let mut days: Vec<f64> = (1..=10).map(f64::from).collect();
    days.extend([2.0, 2.0, 2.0]);
    days.sort_by(|x, y| x.total_cmp(y));
    assert_eq!(body["days_to_completion_median"].as_f64(), Some(days[6]));
    // ... and in buckets of whole days, every bucket listed
    let buckets: Vec<(i64, Option<i64>, i64)> = body["days_to_completion"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| {
            (
                b["min_days"].as_i64().expect("min"),
                b["max_days"].as_i64(),
                b["interviews"].as_i64().expect("n"),
            )
        })
        .collect();
    assert_eq!(
        buckets,
        vec![
            (0, Some(0), 0),
            (1, Some(7), 10),
            (8, Some(14), 3),
            (15, Some(30), 0),
            (31, Some(60), 0),
            (61, None, 0)
        ]
    );
    // Interviews by status at each site.
    assert_eq!(
        body["interviews_by_site"],
        json!([
            {"site_id": a, "site_name": "Clinic A", "by_status": {"completed": 10, "cancelled": 1}, "total": 11},
            {"site_id": b, "site_name": "Clinic B", "by_status": {"completed": 3}, "total": 3}
        ])
    );
    // The methods paragraph says the same numbers in words.
    let text = s(&body["methods_text"]);
    assert!(
        text.starts_with("We conducted 13 interviews with 13 participants at two sites (10 and 3). 3 interviews were postponed 4 times, most often because the participant was not ready (screening) (2). 2 interviews were split into 5 sessions. Interviews lasted "),
        "{text}"
    );
    assert!(
        text.ends_with(&format!(
            "minutes on average (median {}).",
            minutes[6].round()
        )),
        "{text}"
    );
    let r = app
        .send(
            app.client
                .get(app.url("/reports/fieldwork?suppress_small=true"))
                .bearer_auth(&co)
                .header("Accept-Language", "nb-NO,nb;q=0.9"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let text = s(&r.body["methods_text"]);
    assert!(
        text.starts_with("Vi gjennomførte 13 intervjuer med 13 deltakere ved to klinikker (10 og færre enn 5). Færre enn 5 intervjuer ble utsatt færre enn 5 ganger, oftest fordi deltakeren ikke var klar (screening) (færre enn 5)."),
        "{text}"
    );
    assert_eq!(r.body["interviews_postponed"], "fewer than 5");
    assert_eq!(r.body["participants_total"], 26);
    assert_eq!(r.body["interviews_by_status"]["cancelled"], "fewer than 5");
    assert_eq!(r.body["interviews_by_status"]["completed"], 13);
    assert_eq!(
        r.body["interviews_by_site"][1]["by_status"]["completed"],
        "fewer than 5"
    );
    assert_eq!(
        r.body["days_to_completion"][2]["interviews"],
        "fewer than 5"
    );
    // a coordinator of clinic B sees clinic B only
    let r = app.get("/reports/fieldwork", &co_b).await;
    assert_eq!(r.body["participants_total"], 7);
    assert_eq!(r.body["interviews_total"], 3);
    assert_eq!(r.body["postponements_total"], 0);
    let r = app
        .get(&format!("/reports/fieldwork?site_id={a}"), &co_b)
        .await;
    assert_eq!(
        (
            r.body["participants_total"].clone(),
            r.body["interviews_total"].clone()
        ),
        (json!(0), json!(0))
    );
});

db_test!(
    details_change_with_the_same_checks,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw1, fw1_t) = app.user("fw1@example.org", "fieldworker", &[a]).await;
        let (fw2, _) = app.user("fw2@example.org", "fieldworker", &[a]).await;
        let (fw_b, _) = app.user("fwb@example.org", "fieldworker", &[b]).await;
        let p1 = participant(&app, &co, a, "P21", 30).await;
        let p2 = participant(&app, &co, a, "P22", 30).await;
        let i1 = s(&book(&app, &co, &p1, oslo(2, 9, 0), &[fw1]).await.body["id"]);
        assert_eq!(
            book(&app, &co, &p2, oslo(2, 10, 0), &[fw2]).await.status,
            201
        );
        let path = format!("/interviews/{i1}");
        let r = app
            .patch(&path, &co, json!({"interviewer_ids": [fw_b]}))
            .await;
        assert_eq!(r.errors_pointer(), "/interviewer_ids/0");
        let r = app
            .patch(
                &path,
                &co,
                json!({"interviewer_ids": [fw1, fw2], "duration_minutes": 90}),
            )
            .await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (409, Some("interviewer_busy"))
        );
        let r = app
            .patch(&path, &co, json!({"duration_minutes": 240}))
            .await;
        assert_eq!(r.errors_pointer(), "/duration_minutes");
        assert_eq!(
            app.patch(&path, &fw1_t, json!({"location": "x"}))
                .await
                .status,
            403
        );
        let r = app
            .patch(
                &path,
                &co,
                json!({"interviewer_ids": [fw2], "location": "Room 9", "duration_minutes": 45}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["location"], "Room 9");
        assert_eq!(r.body["sequence"], 1);
        // 09:00-09:45 ends before fw2's 10:00 interview
        assert_eq!(r.body["interviewer_ids"], json!([fw2]));
        let mails = outbox(&app, &format!("interview:{i1}:1:")).await;
        assert_eq!(mails.len(), 1);
        assert!(mails[0].subject.contains("changed"));
    }
);
