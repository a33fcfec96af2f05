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
