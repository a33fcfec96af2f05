//! The calendar feed as a phone's calendar app reads it: a VTIMEZONE for
//! every TZID (RFC 5545), so times stay right across a daylight-saving
//! change; Fieldnotes' own PRODID; and the address as a QR code.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{EntityTrait, Set};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::TestApp;
use crate::interviews::{participant, s};

/// Reads a feed with Python's icalendar, zones built from the feed alone.
fn read_ics(text: &str) -> Value {
    crate::helpers::read_with("ics.py", text.as_bytes(), ".ics")
}

async fn interview(app: &TestApp, site: Uuid, pid: &str, who: Uuid, at: DateTime<Utc>) {
    let db = &app.state.db;
    let id = Uuid::now_v7();
    entity::interview::Entity::insert(entity::interview::ActiveModel {
        id: Set(id),
        participant_id: Set(pid.parse().expect("uuid")),
        site_id: Set(site),
        wave: Set(1),
        scheduled_at: Set(at),
        ends_at: Set(at + Duration::hours(1)),
        duration_minutes: Set(60),
        location: Set(None),
        note: Set(None),
        status: Set("scheduled".into()),
        first_scheduled_at: Set(at),
        sequence: Set(0),
        cancel_reason: Set(None),
        completed_at: Set(None),
        entered_later: Set(false),
        screening_note: Set(None),
        created_by: Set(None),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
    })
    .exec_without_returning(db)
    .await
    .expect("interview");
    entity::interview_interviewer::Entity::insert(entity::interview_interviewer::ActiveModel {
        interview_id: Set(id),
        user_id: Set(who),
    })
    .exec_without_returning(db)
    .await
    .expect("interviewer");
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().expect("time")
}

db_test!(
    the_feed_keeps_local_time_across_daylight_saving,
    |app: TestApp| async move {
        let oslo = app.create_site("Oslo clinic").await;
        let r = app
        .post(
            "/sites",
            &app.admin_token,
            json!({"name": "Sydney clinic", "timezone": "Australia/Sydney", "opening_hours": [{"start": "08:00", "end": "16:00"}]}),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let sydney: Uuid = s(&r.body["id"]).parse().expect("uuid");
        let (fw, fw_t) = app
            .user("fw@example.org", "fieldworker", &[oslo, sydney])
            .await;
        let p = participant(&app, &app.admin_token, oslo, "Ola", 30).await;
        let q = participant(&app, &app.admin_token, sydney, "Kylie", 30).await;
        // 10:00 in Oslo on the Friday before clocks go forward (CET, +01:00)
        // and on the Monday after (CEST, +02:00); 10:00 in Sydney after its
        // clocks went back (AEST, +10:00) in April 2027.
        let times = [
            utc("2027-03-26T09:00:00Z"),
            utc("2027-03-29T08:00:00Z"),
            utc("2027-04-06T00:00:00Z"),
        ];
        interview(&app, oslo, &p, fw, times[0]).await;
        interview(&app, oslo, &p, fw, times[1]).await;
        interview(&app, sydney, &q, fw, times[2]).await;
        let feed = app.post("/calendar-feeds", &fw_t, json!({})).await;
        assert_eq!(feed.status, 201, "{}", feed.body);
        // The address as a QR code, drawn on the server.
        let svg = s(&feed.body["qr_svg"]);
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
        let url = s(&feed.body["url"]);
        let path = url.trim_start_matches("http://fieldnotes.test");
        let res = app.client.get(app.url(path)).send().await.expect("get");
        assert_eq!(res.status(), 200);
        let text = res.text().await.expect("text");
        // Every TZID the events use has its VTIMEZONE.
        assert!(text.contains("BEGIN:VTIMEZONE"), "{text}");
        assert!(text.contains("TZID:Europe/Oslo"), "{text}");
        assert!(text.contains("BEGIN:DAYLIGHT"), "{text}");
        let cal = read_ics(&text);
        assert!(
            s(&cal["prodid"]).starts_with("-//Fieldnotes//Fieldnotes "),
            "{}",
            cal["prodid"]
        );
        assert_eq!(cal["zones"], json!(["Australia/Sydney", "Europe/Oslo"]));
        let mut starts: Vec<String> = cal["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| s(&e["start"]))
            .collect();
        starts.sort();
        let mut want: Vec<String> = times
            .iter()
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .collect();
        want.sort();
        assert_eq!(starts, want, "{text}");
        // Both Oslo interviews read 10:00 local time in the feed itself.
        assert_eq!(
            text.matches("DTSTART;TZID=Europe/Oslo:20270326T100000")
                .count(),
            1,
            "{text}"
        );
        assert_eq!(
            text.matches("DTSTART;TZID=Europe/Oslo:20270329T100000")
                .count(),
            1,
            "{text}"
        );
    }
);

db_test!(
    each_person_gets_mail_in_their_language,
    |app: TestApp| async move {
        use crate::trust::mail_to;
        let a = app.create_site("Oslo clinic").await;
        // An invitation in bokmål: the person's language is stored with them.
        let r = app
        .post(
            "/users",
            &app.admin_token,
            json!({"email": "kari@example.org", "display_name": "Kari", "role": "fieldworker", "site_ids": [a], "language": "nb"}),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["language"], "nb");
        let mail = mail_to(&app, "kari@example.org", "Du er invitert", 1).await;
        assert_eq!(mail.len(), 1);
        assert!(
            mail[0].body_text.contains("Hei Kari"),
            "{}",
            mail[0].body_text
        );
        assert!(
            mail[0].body_text.contains("/#/accept?token="),
            "{}",
            mail[0].body_text
        );
        // Left out, it is the inviter's language (Accept-Language).
        let r = app
        .send(
            app.client
                .post(app.url("/users"))
                .bearer_auth(&app.admin_token)
                .header("Accept-Language", "nb")
                .json(&json!({"email": "per@example.org", "display_name": "Per", "role": "fieldworker", "site_ids": [a]})),
        )
        .await;
        assert_eq!(r.body["language"], "nb", "{}", r.body);
        // A person chooses their own language; their interview mail follows it.
        let (fw, fw_t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let me = app.get("/me", &fw_t).await;
        assert_eq!(me.body["language"], "en");
        let r = app.patch("/me", &fw_t, json!({"language": "nb"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["language"], "nb");
        let r = app.patch("/me", &fw_t, json!({"language": "se"})).await;
        assert_eq!(r.errors_pointer(), "/language", "{}", r.body);
        let pid = participant(&app, &app.admin_token, a, "Ola", 30).await;
        let r = crate::interviews::book(
            &app,
            &app.admin_token,
            &pid,
            crate::interviews::oslo(2, 9, 0),
            &[fw],
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let mail = mail_to(&app, "fw@example.org", "Intervju avtalt: Ola", 1).await;
        assert_eq!(mail.len(), 1, "no bokmål notice");
        assert!(
            mail[0].body_text.contains(" kl. 09:00"),
            "{}",
            mail[0].body_text
        );
        assert!(
            mail[0].body_text.starts_with("Hei fw@example.org"),
            "{}",
            mail[0].body_text
        );
        // An API key cannot change a person's settings.
        let key = app
            .post(
                "/api-keys",
                &fw_t,
                json!({"name": "k", "scopes": ["schedule:read"]}),
            )
            .await;
        let key = s(&key.body["secret"]);
        assert_eq!(
            app.patch("/me", &key, json!({"language": "en"}))
                .await
                .status,
            403
        );
    }
);

db_test!(an_invitation_can_be_sent_again, |app: TestApp| async move {
    use crate::trust::{mail_to, token_in_mail};
    let a = app.create_site("Oslo clinic").await;
    let r = app
        .post(
            "/users",
            &app.admin_token,
            json!({"email": "new@example.org", "display_name": "Nora", "role": "fieldworker", "site_ids": [a], "language": "en"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = s(&r.body["id"]);
    let first = token_in_mail(&app, "new@example.org", "You are invited").await;
    let r = app
        .post(
            &format!("/users/{id}/invitation"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        mail_to(&app, "new@example.org", "You are invited", 2)
            .await
            .len(),
        2
    );
    let second = token_in_mail(&app, "new@example.org", "You are invited").await;
    assert_ne!(first, second);
    let accept = |token: String| {
        app.send(
            app.client
                .post(app.url("/auth/invitations/accept"))
                .json(&json!({"token": token, "password": "a long enough password"})),
        )
    };
    // The earlier link no longer works; the new one does, once.
    let r = accept(first).await;
    assert_eq!(r.body["code"], "invalid_token", "{}", r.body);
    let r = accept(second).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = app
        .post(
            &format!("/users/{id}/invitation"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].clone()),
        (409, json!("invitation_accepted"))
    );
    // Only an admin sends invitations.
    let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
    let r = app
        .post(&format!("/users/{id}/invitation"), &co, json!({}))
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
});
