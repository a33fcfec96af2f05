//! The record stays true: a new time with no reason is a reschedule, never a
//! postponement; a split interview's next session needs a new screening and
//! its own day; the report counts from booking and rounds once; disabling a
//! person never strands their interviews.
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::Oslo;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::analysis::{download, read_csv};
use crate::db_test;
use crate::helpers::TestApp;
use crate::interviews::{book, consent, iso, oslo, outbox, participant, s, screen};

/// Books wave 1 of `pid` with `who`, gives consent, runs one session and
/// completes the interview (as the fieldworker `fw_t`).
async fn complete_one(app: &TestApp, co: &str, fw_t: &str, pid: &str, who: &[uuid::Uuid]) {
    let r = book(app, co, pid, oslo(2, 9, 0), who).await;
    let id = s(&r.body["id"]);
    consent(app, fw_t, pid, 100).await;
    let r = app
        .post(
            &format!("/interviews/{id}/sessions"),
            fw_t,
            json!({"allow_other_day": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    app.post(&format!("/interviews/{id}/sessions/1/end"), fw_t, json!({}))
        .await;
    let r = app
        .post(&format!("/interviews/{id}/complete"), fw_t, json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("a time: {v}"))
}

db_test!(
    a_new_time_without_a_reason_is_a_reschedule_not_a_postponement,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, fw_t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (_, other_t) = app.user("other@example.org", "fieldworker", &[a]).await;
        let p = participant(&app, &co, a, "R01", 30).await;
        let r = book(&app, &co, &p, oslo(2, 9, 0), &[fw]).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = s(&r.body["id"]);
        let path = format!("/interviews/{id}");

        // It could not happen: a postponement, with its reason, to be agreed.
        let r = app
            .post(
                &format!("{path}/postponements"),
                &fw_t,
                json!({"reason": "clinic_circumstances", "new_scheduled_at": null}),
            )
            .await;
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            (201, Some("postponed"))
        );

        // Agreeing the time is a reschedule, by one of its interviewers.
        let r = app
            .patch(&path, &fw_t, json!({"scheduled_at": iso(oslo(3, 10, 0))}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["status"], "scheduled");
        assert_eq!(at(&r.body["scheduled_at"]), oslo(3, 10, 0));
        assert_eq!(r.body["postponements"].as_array().map(Vec::len), Some(1));
        let agreed = &r.body["reschedules"][0];
        assert_eq!(agreed["previous_scheduled_at"], Value::Null, "{agreed}");
        assert_eq!(at(&agreed["new_scheduled_at"]), oslo(3, 10, 0));
        assert_eq!(agreed["created_by"], json!(fw));

        // An interviewer changes the time only; someone else nothing.
        let r = app
            .patch(
                &path,
                &fw_t,
                json!({"scheduled_at": iso(oslo(4, 10, 0)), "location": "Room 9"}),
            )
            .await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (403, Some("coordinator_required")),
            "{}",
            r.body
        );
        let r = app
            .patch(
                &path,
                &other_t,
                json!({"scheduled_at": iso(oslo(4, 10, 0))}),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
        // Checked like a booking: opening hours, at the field.
        let r = app
            .patch(&path, &co, json!({"scheduled_at": iso(oslo(4, 13, 0))}))
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.errors_pointer(), "/scheduled_at");
        assert_eq!(r.body["errors"][0]["code"], "outside_opening_hours");

        // A plan changed by the coordinator: a second reschedule, from the
        // agreed time.
        let r = app
            .patch(&path, &co, json!({"scheduled_at": iso(oslo(4, 10, 0))}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let moved = &r.body["reschedules"][1];
        assert_eq!(at(&moved["previous_scheduled_at"]), oslo(3, 10, 0));
        // The same time again, with a new place: no reschedule.
        let r = app
            .patch(
                &path,
                &co,
                json!({"scheduled_at": iso(oslo(4, 10, 0)), "location": "Room 3"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["reschedules"].as_array().map(Vec::len), Some(2));
        assert_eq!(r.body["postponements"].as_array().map(Vec::len), Some(1));

        // The fieldworker hears of each new time; both are audited.
        let mails = outbox(&app, &format!("interview:{id}:")).await;
        assert!(
            mails
                .iter()
                .filter(|m| m.to_addr == "fw@example.org")
                .count()
                >= 3,
            "{:?}",
            mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
        );
        let logged = entity::audit_log::Entity::find()
            .filter(entity::audit_log::Column::Action.eq("interview.reschedule"))
            .all(&app.state.db)
            .await
            .expect("audit");
        assert_eq!(logged.len(), 2);

        // The report and the paragraph keep them apart.
        let r = app.get("/reports/fieldwork", &co).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["postponements_total"], 1);
        assert_eq!(r.body["interviews_postponed"], 1);
        assert_eq!(r.body["reschedules_total"], 2);
        assert_eq!(r.body["interviews_rescheduled"], 1);
        let text = r.body["methods_text"].as_str().expect("text");
        assert!(
            text.contains("1 interview was postponed 1 time, most often because of circumstances at the clinic (1)."),
            "{text}"
        );
        assert!(
            text.contains("1 interview had its time agreed or changed while planning (2 times)"),
            "{text}"
        );
        // The interviews CSV says both.
        let (_, _, bytes) = download(&app, "/exports/interviews.csv", &co).await;
        let rows = read_csv(&bytes);
        let col = |name: &str| rows[0].iter().position(|h| h == name).expect(name);
        assert_eq!(
            (
                rows[1][col("postponements")].as_str(),
                rows[1][col("reschedules")].as_str()
            ),
            ("1", "2")
        );
        // Times as the clinic's clock showed them, with the offset: the same instant.
        let r = app.get("/interviews", &co).await;
        let api_at = chrono::DateTime::parse_from_rfc3339(
            r.body["items"][0]["scheduled_at"].as_str().expect("time"),
        )
        .expect("rfc3339");
        let csv_at = rows[1][col("scheduled_at")].as_str();
        assert!(
            csv_at.ends_with("+01:00") || csv_at.ends_with("+02:00"),
            "Oslo's offset: {csv_at}"
        );
        assert_eq!(
            chrono::DateTime::parse_from_rfc3339(csv_at).expect("rfc3339"),
            api_at
        );
    }
);

db_test!(
    a_new_session_needs_a_new_screening_and_asks_on_another_day,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, fw_t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let p = participant(&app, &co, a, "R02", 30).await;
        let r = book(&app, &co, &p, oslo(1, 10, 0), &[fw]).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = s(&r.body["id"]);
        app.patch(
            "/settings/readiness",
            &app.admin_token,
            json!({"validity_minutes": {"poss": 120, "capacity": 120}}),
        )
        .await;
        consent(&app, &fw_t, &p, 100).await;
        let sessions = format!("/interviews/{id}/sessions");

        // Tomorrow's interview, started today: asked first.
        let r = app.post(&sessions, &fw_t, json!({})).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (409, Some("session_on_other_day")),
            "{}",
            r.body
        );
        let today = Utc::now().with_timezone(&Oslo).date_naive();
        assert_eq!(r.body["today"], json!(today));
        assert_eq!(r.body["scheduled_on"], json!(today + Duration::days(1)));
        // Yes, today: the session keeps its real time.
        let before = Utc::now();
        let r = app
            .post(&sessions, &fw_t, json!({"allow_other_day": true}))
            .await;
        assert_eq!(
            (r.status, r.body["n"].clone()),
            (201, json!(1)),
            "{}",
            r.body
        );
        assert!(at(&r.body["started_at"]) >= before);
        let r = app
            .post(&format!("{sessions}/1/end"), &fw_t, json!({}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);

        // The consent's screening counted for session 1, not for session 2.
        let readiness = format!("/participants/{p}/readiness?for=session&interview_id={id}");
        let r = app.get(&readiness, &fw_t).await;
        assert_eq!(r.body["outcome"], "postpone", "{}", r.body);
        assert_eq!(r.body["reasons"][0]["code"], "rescreen_between_sessions");
        let r = app
            .get(&format!("/participants/{p}/readiness?for=session"), &fw_t)
            .await;
        assert_eq!(r.body["outcome"], "ready", "{}", r.body);
        // An interview of someone else is no interview of theirs.
        let other = participant(&app, &co, a, "R02b", 30).await;
        let r = app
            .get(
                &format!("/participants/{other}/readiness?for=session&interview_id={id}"),
                &fw_t,
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.errors_pointer(), "/interview_id");
        let r = app
            .post(&sessions, &fw_t, json!({"allow_other_day": true}))
            .await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (409, Some("not_ready")),
            "{}",
            r.body
        );
        assert_eq!(r.body["reasons"][0]["code"], "rescreen_between_sessions");
        let detail = r.body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("before the previous session of this interview ended"),
            "{detail}"
        );
        // A study may relax it.
        let r = app
            .patch(
                "/settings/readiness",
                &app.admin_token,
                json!({"rescreen_between_sessions": false}),
            )
            .await;
        assert_eq!(r.body["rescreen_between_sessions"], false, "{}", r.body);
        let r = app
            .post(&sessions, &fw_t, json!({"allow_other_day": true}))
            .await;
        assert_eq!(
            (r.status, r.body["n"].clone()),
            (201, json!(2)),
            "{}",
            r.body
        );
        app.post(&format!("{sessions}/2/end"), &fw_t, json!({}))
            .await;
        app.patch(
            "/settings/readiness",
            &app.admin_token,
            json!({"rescreen_between_sessions": true}),
        )
        .await;
        // A screening since, and the interview given today's time (a
        // reschedule that keeps it in progress): no question asked.
        screen(&app, &fw_t, &p, "1", 0).await;
        let r = app
            .patch(
                &format!("/interviews/{id}"),
                &fw_t,
                json!({"scheduled_at": iso(Utc::now())}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["status"], "in_progress");
        assert_eq!(r.body["postponements"].as_array().map(Vec::len), Some(0));
        let r = app
            .send(app.client.post(app.url(&sessions)).bearer_auth(&fw_t))
            .await;
        assert_eq!(
            (r.status, r.body["n"].clone()),
            (201, json!(3)),
            "{}",
            r.body
        );
        // A body that is there must be right.
        app.post(&format!("{sessions}/3/end"), &fw_t, json!({}))
            .await;
        let r = app
            .post(&sessions, &fw_t, json!({"allow_other_day": "yes"}))
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.errors_pointer(), "/allow_other_day");

        // The consent log, read back by an independent reader.
        let (_, _, bytes) = download(&app, "/exports/consents.csv", &co).await;
        let rows = read_csv(&bytes);
        assert_eq!(
            rows[0][..8],
            [
                "consent_id",
                "participant",
                "form_version",
                "method",
                "given_at",
                "given_by",
                "withdrawn_at",
                "data_decision"
            ]
        );
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(
            (
                rows[1][1].as_str(),
                rows[1][2].as_str(),
                rows[1][3].as_str()
            ),
            ("R02", "1.0", "oral_recorded")
        );
        assert_eq!(rows[1][6], "");
    }
);

db_test!(
    the_report_counts_from_booking_rounds_once_and_says_who_interviewed,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, fw_t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (peer, _) = app.user("peer@example.org", "fieldworker", &[a]).await;
        let r = app
            .patch(
                &format!("/users/{peer}"),
                &app.admin_token,
                json!({"peer_researcher": true}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        app.patch(
            "/settings/readiness",
            &app.admin_token,
            json!({"validity_minutes": {"poss": 120, "capacity": 120}}),
        )
        .await;
        // Two completed interviews, booked for later and done today: one by
        // a researcher, one by a peer researcher with a researcher.
        for (ps, who) in [("R03", vec![fw]), ("R04", vec![fw, peer])] {
            let p = participant(&app, &co, a, ps, 30).await;
            complete_one(&app, &co, &fw_t, &p, &who).await;
        }
        let r = app.get("/reports/fieldwork", &co).await;
        assert_eq!(r.status, 200, "{}", r.body);
        // Completed before their scheduled day: zero days from booking, never
        // negative.
        assert_eq!(r.body["days_to_completion_median"], json!(0.0));
        assert_eq!(r.body["days_to_completion"][0]["interviews"], 2);
        // Whole minutes, the same in the numbers and the paragraph.
        let mean = r.body["minutes_mean"].as_f64().expect("mean");
        assert_eq!(mean, mean.round());
        let text = r.body["methods_text"].as_str().expect("text");
        assert!(
            text.contains(&format!("Interviews lasted {mean} minute")),
            "{text}"
        );
        assert_eq!(
            r.body["interviews_by_interviewer_kind"],
            json!({"researchers": 1, "peer_researchers": 0, "together": 1})
        );
        assert!(
            text.contains("1 of the completed interviews was conducted by peer researchers"),
            "{text}"
        );
        // Screenings by instrument and outcome: two POSS and two capacity,
        // all READY.
        let by: Vec<(String, Value)> = r.body["screenings_by_instrument"]
            .as_array()
            .expect("list")
            .iter()
            .map(|x| (s(&x["instrument_key"]), x["by_outcome"].clone()))
            .collect();
        assert_eq!(
            by,
            vec![
                ("capacity".to_string(), json!({"ready": 2})),
                ("poss".to_string(), json!({"ready": 2})),
            ]
        );
    }
);

db_test!(
    disabling_a_person_asks_first_and_hands_their_interviews_over,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, _) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (next, _) = app.user("next@example.org", "fieldworker", &[a]).await;
        let (elsewhere, _) = app.user("b@example.org", "fieldworker", &[b]).await;
        let p = participant(&app, &co, a, "R05", 30).await;
        let q = participant(&app, &co, a, "R06", 30).await;
        let one = s(&book(&app, &co, &p, oslo(2, 9, 0), &[fw]).await.body["id"]);
        let two = s(&book(&app, &co, &q, oslo(3, 9, 0), &[fw, next]).await.body["id"]);
        let user = format!("/users/{fw}");

        // Asked first, with the interviews listed; nothing changed.
        let r = app
            .patch(&user, &app.admin_token, json!({"active": false}))
            .await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (409, Some("has_open_interviews")),
            "{}",
            r.body
        );
        let listed: Vec<String> = r.body["interviews"]
            .as_array()
            .expect("interviews")
            .iter()
            .map(|x| s(&x["id"]))
            .collect();
        assert_eq!(listed, vec![one.clone(), two.clone()]);
        assert_eq!(r.body["interviews"][0]["pseudonym"], "R05");
        let me = app.get(&user, &app.admin_token).await;
        assert_eq!(me.body["active"], true);
        // Not to someone without the site, nor to themselves; the options
        // only go with disabling.
        let r = app
            .patch(
                &user,
                &app.admin_token,
                json!({"active": false, "hand_interviews_to": elsewhere}),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.body["errors"][0]["code"], "no_access_to_site");
        let r = app
            .patch(
                &user,
                &app.admin_token,
                json!({"active": false, "hand_interviews_to": fw}),
            )
            .await;
        assert_eq!(
            r.body["errors"][0]["code"], "hand_over_to_self",
            "{}",
            r.body
        );
        let r = app
            .patch(&user, &app.admin_token, json!({"keep_interviews": true}))
            .await;
        assert_eq!(
            r.body["errors"][0]["code"], "only_when_disabling",
            "{}",
            r.body
        );
        assert_eq!(r.errors_pointer(), "/keep_interviews");

        // Handed over in one step.
        let r = app
            .patch(
                &user,
                &app.admin_token,
                json!({"active": false, "hand_interviews_to": next}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["active"], false);
        for id in [&one, &two] {
            let r = app.get(&format!("/interviews/{id}"), &co).await;
            assert_eq!(r.body["interviewer_ids"], json!([next]), "{}", r.body);
        }
        let logged = entity::audit_log::Entity::find()
            .filter(entity::audit_log::Column::Action.eq("interview.hand_over"))
            .all(&app.state.db)
            .await
            .expect("audit");
        assert_eq!(logged.len(), 2);
        let mails = outbox(&app, &format!("interview:{one}:")).await;
        assert!(
            mails.iter().any(|m| m.to_addr == "next@example.org"),
            "{:?}",
            mails.iter().map(|m| &m.to_addr).collect::<Vec<_>>()
        );

        // Someone may also be disabled keeping theirs, to hand over later.
        let (keeper, _) = app.user("keeper@example.org", "fieldworker", &[a]).await;
        let k = participant(&app, &co, a, "R07", 30).await;
        let kept = s(&book(&app, &co, &k, oslo(4, 9, 0), &[keeper]).await.body["id"]);
        let r = app
            .patch(
                &format!("/users/{keeper}"),
                &app.admin_token,
                json!({"active": false, "keep_interviews": true}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = app.get(&format!("/interviews/{kept}"), &co).await;
        assert_eq!(r.body["interviewer_ids"], json!([keeper]));
    }
);

db_test!(
    a_booking_less_than_a_day_ahead_sends_one_mail_not_two,
    env = [("FIELDNOTES_RUN_WORKERS", "false".to_string())],
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, _) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let p = participant(&app, &co, a, "R08", 30).await;
        let at = Utc::now() + Duration::hours(3);
        let r = app
            .post(
                "/interviews",
                &co,
                json!({"participant_id": p, "wave": 1, "scheduled_at": iso(at), "duration_minutes": 30,
                       "interviewer_ids": [fw], "allow_outside_opening_hours": true}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = s(&r.body["id"]);
        let run = |now: DateTime<Utc>| {
            fieldnotes::interviews::enqueue_reminders(&app.state.db, now, "http://fieldnotes.test")
        };
        // The booking's own mail names the time: no 24-hour reminder beside it.
        assert_eq!(outbox(&app, &format!("interview:{id}:")).await.len(), 1);
        assert_eq!(run(Utc::now()).await.expect("run"), 0);
        // The one an hour before still comes.
        assert_eq!(run(at - Duration::minutes(50)).await.expect("run"), 1);
        let reminders = outbox(&app, &format!("reminder:{id}:")).await;
        assert_eq!(reminders.len(), 1);
        assert!(reminders[0]
            .dedupe_key
            .as_deref()
            .unwrap_or_default()
            .contains(":1h:"));
    }
);

db_test!(
    a_coordinator_subscribes_to_every_interview_at_their_sites,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, fw_t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (fb, _) = app.user("fb@example.org", "fieldworker", &[b]).await;
        let p = participant(&app, &co, a, "R09", 30).await;
        let q = participant(&app, &app.admin_token, b, "R10", 30).await;
        assert_eq!(book(&app, &co, &p, oslo(2, 9, 0), &[fw]).await.status, 201);
        assert_eq!(
            book(&app, &app.admin_token, &q, oslo(2, 9, 0), &[fb])
                .await
                .status,
            201
        );
        let events = |path: String| {
            let app = &app;
            async move {
                let res = app.client.get(app.url(&path)).send().await.expect("feed");
                assert_eq!(res.status(), 200);
                res.text()
                    .await
                    .expect("text")
                    .matches("BEGIN:VEVENT")
                    .count()
            }
        };
        // The coordinator is no interviewer: their own feed is empty, the
        // feed of their sites has clinic A's interview and not clinic B's.
        let own = app.new_feed(&co).await;
        assert_eq!(events(own).await, 0);
        let r = app
            .post("/calendar-feeds", &co, json!({"scope": "sites"}))
            .await;
        assert_eq!(
            (r.status, r.body["scope"].as_str()),
            (201, Some("sites")),
            "{}",
            r.body
        );
        let sites = s(&r.body["url"])
            .trim_start_matches("http://fieldnotes.test")
            .to_string();
        let body = app.client.get(app.url(&sites)).send().await.expect("feed");
        let text = body.text().await.expect("text");
        assert!(text.contains("R09") && !text.contains("R10"), "{text}");
        let listed = app.get("/calendar-feeds", &co).await;
        let scopes: Vec<&str> = listed.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|f| f["scope"].as_str())
            .collect();
        assert_eq!(scopes, ["mine", "sites"]);
        // A fieldworker subscribes to their own only.
        let r = app
            .post("/calendar-feeds", &fw_t, json!({"scope": "sites"}))
            .await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (403, Some("coordinator_required"))
        );
        let r = app
            .post("/calendar-feeds", &fw_t, json!({"scope": "everyone"}))
            .await;
        assert_eq!(r.errors_pointer(), "/scope");
        // A body of null is no body: a feed of one's own.
        let r = app.post("/calendar-feeds", &fw_t, json!(null)).await;
        assert_eq!(
            (r.status, r.body["scope"].as_str()),
            (201, Some("mine")),
            "{}",
            r.body
        );
        // No body at all is a feed of one's own.
        let r = app
            .send(
                app.client
                    .post(app.url("/calendar-feeds"))
                    .bearer_auth(&fw_t),
            )
            .await;
        assert_eq!(
            (r.status, r.body["scope"].as_str()),
            (201, Some("mine")),
            "{}",
            r.body
        );
        assert_eq!(
            events(
                s(&r.body["url"])
                    .trim_start_matches("http://fieldnotes.test")
                    .to_string()
            )
            .await,
            1
        );
    }
);

db_test!(
    consent_names_a_form_version_the_study_uses,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (_, fw) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let admin = app.admin_token.clone();
        // The default: one version, 1.0.
        let r = app.get("/settings/readiness", &fw).await;
        assert_eq!(
            r.body["consent_form_versions"],
            json!(["1.0"]),
            "{}",
            r.body
        );
        // The admin lists the versions the committee approved; refusals name the item.
        for (bad, pointer) in [
            (json!([]), "/consent_form_versions"),
            (
                json!(["2026-09 v1", " 2026-09 V1 "]),
                "/consent_form_versions/1",
            ),
            (json!(["x".repeat(41)]), "/consent_form_versions/0"),
            (json!(["ok", ""]), "/consent_form_versions/1"),
        ] {
            let r = app
                .patch(
                    "/settings/readiness",
                    &admin,
                    json!({"consent_form_versions": bad}),
                )
                .await;
            assert_eq!(r.status, 422, "{}", r.body);
            assert_eq!(r.errors_pointer(), pointer, "{}", r.body);
        }
        let r = app
            .patch(
                "/settings/readiness",
                &admin,
                json!({"consent_form_versions": [" 2026-09 v1", "2026-11 v2"], "consent": ["poss"]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.body["consent_form_versions"],
            json!(["2026-09 v1", "2026-11 v2"])
        );
        let pid = participant(&app, &co, a, "Ola", 60).await;
        screen(&app, &fw, &pid, "1", 1).await;
        // A version not in the list is refused at its field, with the list.
        let r = app
            .post(
                &format!("/participants/{pid}/consents"),
                &fw,
                json!({"form_version": "1.0", "method": "written"}),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.body["errors"][0]["pointer"], "/form_version");
        assert_eq!(r.body["errors"][0]["code"], "not_one_of");
        let r = app
            .post(
                &format!("/participants/{pid}/consents"),
                &fw,
                json!({"form_version": "2026-11 v2", "method": "written"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["form_version"], "2026-11 v2");
    }
);

db_test!(
    a_participant_carries_their_next_open_interview,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, _) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let pid = participant(&app, &co, a, "Ola", 60).await;
        let other = participant(&app, &co, a, "Kari", 60).await;
        let r = book(&app, &co, &pid, oslo(3, 9, 0), &[fw]).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let iv = s(&r.body["id"]);
        let r = app.get("/participants", &co).await;
        let by = |id: &str| -> Value {
            r.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .find(|p| p["id"] == json!(id))
                .expect("listed")["next_interview"]
                .clone()
        };
        assert_eq!(by(&pid)["id"], json!(iv));
        assert_eq!(by(&pid)["status"], "scheduled");
        assert_eq!(by(&pid)["wave"], 1);
        assert_eq!(by(&other), Value::Null);
        // Postponed with its time to be agreed: still their next, said so.
        let r = app
            .post(
                &format!("/interviews/{iv}/postponements"),
                &co,
                json!({"reason": "participant_absent"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = app.get(&format!("/participants/{pid}"), &co).await;
        assert_eq!(
            r.body["next_interview"]["status"], "postponed",
            "{}",
            r.body
        );
        // Cancelled: none open.
        let r = app
            .post(
                &format!("/interviews/{iv}/cancel"),
                &co,
                json!({"reason": "Moved away."}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = app.get(&format!("/participants/{pid}"), &co).await;
        assert_eq!(r.body["next_interview"], Value::Null, "{}", r.body);
    }
);

db_test!(
    opening_hours_by_weekday_and_closed_days,
    |app: TestApp| async move {
        use chrono::{Datelike, NaiveDate, TimeZone, Weekday};
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, _) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let admin = app.admin_token.clone();
        // The next Tuesday and Saturday at least two days ahead, in Oslo.
        let today = Utc::now().with_timezone(&Oslo).date_naive();
        let next = |wd: Weekday| -> NaiveDate {
            (2..10)
                .map(|d| today + Duration::days(d))
                .find(|d| d.weekday() == wd)
                .expect("a day")
        };
        let (tuesday, saturday) = (next(Weekday::Tue), next(Weekday::Sat));
        let at = |d: NaiveDate, h: u32| -> DateTime<Utc> {
            Oslo.from_local_datetime(&d.and_hms_opt(h, 0, 0).expect("time"))
                .single()
                .expect("local")
                .with_timezone(&Utc)
        };
        // Refusals name the field: a window with no days, a day twice, a closed day twice.
        let r = app
            .patch(
                &format!("/sites/{a}"),
                &admin,
                json!({"opening_hours": [{"start": "08:00", "end": "12:00", "days": []}], "closed_days": [tuesday, tuesday]}),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        let pointers: Vec<String> = r.body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| s(&e["pointer"]))
            .collect();
        assert_eq!(pointers, ["/opening_hours/0/days", "/closed_days/1"]);
        let r = app
            .patch(
                &format!("/sites/{a}"),
                &admin,
                json!({
                    "opening_hours": [
                        {"start": "08:00", "end": "12:00", "days": ["mon", "tue", "wed", "thu", "fri"]},
                        {"start": "10:00", "end": "14:00", "days": ["sat"]}
                    ],
                    "closed_days": [tuesday],
                }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["opening_hours"][1]["days"], json!(["sat"]));
        assert_eq!(r.body["closed_days"], json!([tuesday]));
        let pid = participant(&app, &co, a, "Ola", 60).await;
        // The holiday: refused as outside the opening hours; Saturday 09:00 too; Saturday 11:00 is open.
        for (when, status) in [
            (at(tuesday, 9), 422),
            (at(saturday, 9), 422),
            (at(saturday, 11), 201),
        ] {
            let r = book(&app, &co, &pid, when, &[fw]).await;
            assert_eq!(r.status, status, "{when}: {}", r.body);
            if status == 422 {
                assert_eq!(
                    r.body["errors"][0]["code"], "outside_opening_hours",
                    "{}",
                    r.body
                );
            }
        }
    }
);

db_test!(
    the_report_counts_retention_wave_by_wave_at_the_callers_sites,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, fw_t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let r = app
            .patch(
                "/settings/waves",
                &app.admin_token,
                json!({"waves": [
                    {"wave": 1, "opens_day": 0, "closes_day": 30},
                    {"wave": 2, "opens_day": 60, "closes_day": 400},
                    {"wave": 3, "opens_day": 500, "closes_day": 600},
                ]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        app.patch(
            "/settings/readiness",
            &app.admin_token,
            json!({"validity_minutes": {"poss": 120, "capacity": 120}}),
        )
        .await;
        // Interviewed in wave 1, in wave 2's window now.
        let done = participant(&app, &co, a, "W01", 100).await;
        // Never interviewed: missed wave 1, in wave 2's window now.
        participant(&app, &co, a, "W02", 100).await;
        // Withdrew: counted as withdrawn in the waves whose window opened.
        let gone = participant(&app, &co, a, "W03", 100).await;
        let r = app
            .patch(
                &format!("/participants/{gone}"),
                &co,
                json!({"status": "withdrawn"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        // Started ten days ago: in wave 1's window, not yet in wave 2's.
        participant(&app, &co, a, "W04", 10).await;
        // Another site's participant stays out of the coordinator's counts.
        participant(&app, &app.admin_token, b, "W05", 100).await;

        complete_one(&app, &co, &fw_t, &done, &[fw]).await;

        let wave = |w: i32, e: u64, i: u64, now: u64, m: u64, wd: u64| json!({"wave": w, "eligible": e, "interviewed": i, "in_window_now": now, "missed": m, "withdrawn": wd});
        let r = app.get("/reports/fieldwork", &co).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let mine = json!([
            wave(1, 3, 1, 1, 1, 1),
            wave(2, 2, 0, 2, 0, 1),
            wave(3, 0, 0, 0, 0, 0),
        ]);
        assert_eq!(r.body["waves"], mine);
        assert_eq!(r.body["waves_by_site"].as_array().map(Vec::len), Some(1));
        assert_eq!(r.body["waves_by_site"][0]["site_id"], json!(a));
        assert_eq!(r.body["waves_by_site"][0]["waves"], mine);
        // The admin sees both sites; site B adds one who missed wave 1.
        let r = app.get("/reports/fieldwork", &app.admin_token).await;
        assert_eq!(r.body["waves"][0], wave(1, 4, 1, 1, 2, 1));
        assert_eq!(r.body["waves"][1], wave(2, 3, 0, 3, 0, 1));
        // Small counts suppressed on request.
        let r = app.get("/reports/fieldwork?suppress_small=true", &co).await;
        assert_eq!(r.body["waves"][0]["eligible"], "fewer than 5");
        assert_eq!(r.body["waves"][2]["eligible"], 0);
    }
);
