//! One lifecycle whoever triggers it: a cancellation caused by a withdrawal
//! is announced and audited like a coordinator's; a status of `withdrawn` is
//! a withdrawal; mail follows site access; reads do not wait for the writer.
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::json;

use crate::db_test;
use crate::helpers::TestApp;
use crate::interviews::{book, consent, iso, oslo, outbox, participant, s};

async fn audit_of(app: &TestApp, action: &str, object: &str) -> Vec<entity::audit_log::Model> {
    entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::Action.eq(action))
        .filter(entity::audit_log::Column::ObjectId.eq(object))
        .all(&app.state.db)
        .await
        .expect("audit")
}

/// The reminders for `interview` queued since `since`, after a pass of the
/// reminder job as if it were `at` (the server's own job may have queued,
/// and sent, earlier ones). A reminder already due when the interview was
/// booked or moved is never queued (its mail named the time): a pass within
/// the hour before the interview queues the one-hour reminder.
async fn reminders_since(
    app: &TestApp,
    interview: &str,
    since: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Vec<entity::outbox::Model> {
    fieldnotes::interviews::enqueue_reminders(&app.state.db, at, "http://fieldnotes.test")
        .await
        .expect("reminders");
    outbox(app, &format!("reminder:{interview}:"))
        .await
        .into_iter()
        .filter(|m| m.created_at >= since)
        .collect()
}

db_test!(
    withdrawing_consent_cancels_like_a_coordinator,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, fw_t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let pid = participant(&app, &co, a, "P31", 30).await;
        consent(&app, &fw_t, &pid, 3).await;
        let r = book(&app, &co, &pid, oslo(2, 9, 0), &[fw]).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let iid = s(&r.body["id"]);
        let consents = app.get(&format!("/participants/{pid}/consents"), &co).await;
        let cid = s(&consents.body["items"][0]["id"]);
        let r = app
            .post(
                &format!("/consents/{cid}/withdraw"),
                &co,
                json!({"reason": "Does not want to go on", "data_decision": "keep"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let i = app.get(&format!("/interviews/{iid}"), &co).await;
        assert_eq!(i.body["status"], "cancelled");
        assert_eq!(i.body["sequence"], 1);
        // The interviewer hears of it, as after POST /interviews/{id}/cancel.
        let mails = outbox(&app, &format!("interview:{iid}:1:")).await;
        assert_eq!(mails.len(), 1, "one cancellation mail to the interviewer");
        assert_eq!(mails[0].to_addr, "fw@example.org");
        assert!(
            mails[0].subject.contains("cancelled"),
            "{}",
            mails[0].subject
        );
        // ... and the cancellation is in the audit log, saying why.
        let entries = audit_of(&app, "interview.cancel", &iid).await;
        assert_eq!(entries.len(), 1);
        assert_eq!(
            entries[0].detail.as_ref().map(|d| d["cause"].clone()),
            Some(json!("participant_withdrawn"))
        );
    }
);

db_test!(
    setting_status_withdrawn_is_a_withdrawal,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, fw_t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let soon = Utc::now() + Duration::hours(3);
        let book_soon = |pid: String, soon: DateTime<Utc>| {
            let co = co.clone();
            let app = &app;
            async move {
                let r = app
                    .post(
                        "/interviews",
                        &co,
                        json!({"participant_id": pid, "wave": 1, "scheduled_at": iso(soon), "duration_minutes": 30, "interviewer_ids": [fw], "allow_outside_opening_hours": true}),
                    )
                    .await;
                assert_eq!(r.status, 201, "{}", r.body);
                s(&r.body["id"])
            }
        };
        // Someone who consented withdraws through the consent, which records
        // what happens to their data: the PATCH says so and changes nothing.
        let consented = participant(&app, &co, a, "P32", 30).await;
        consent(&app, &fw_t, &consented, 3).await;
        let i1 = book_soon(consented.clone(), soon).await;
        let r = app
            .patch(
                &format!("/participants/{consented}"),
                &co,
                json!({"status": "withdrawn"}),
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert_eq!(r.body["code"], "withdraw_consent");
        assert!(r.body["consent_id"].is_string(), "{}", r.body);
        let p = app.get(&format!("/participants/{consented}"), &co).await;
        assert_eq!(p.body["status"], "active");
        let i = app.get(&format!("/interviews/{i1}"), &co).await;
        assert_eq!(i.body["status"], "scheduled");

        // Someone who never consented: the PATCH is the withdrawal.
        let pid = participant(&app, &co, a, "P33", 30).await;
        let iid = book_soon(pid.clone(), soon + Duration::hours(1)).await;
        let r = app
            .patch(
                &format!("/participants/{pid}"),
                &co,
                json!({"status": "withdrawn", "age_band": "30-39"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let withdrawn_at = Utc::now();
        assert_eq!(r.body["status"], "withdrawn");
        assert_eq!(r.body["age_band"], "30-39");
        let i = app.get(&format!("/interviews/{iid}"), &co).await;
        assert_eq!(i.body["status"], "cancelled", "{}", i.body);
        let mails = outbox(&app, &format!("interview:{iid}:1:")).await;
        assert_eq!(mails.len(), 1);
        assert!(mails[0].subject.contains("cancelled"));
        assert_eq!(audit_of(&app, "interview.cancel", &iid).await.len(), 1);
        // No reminder is queued for it any more.
        let hour_before = |t: DateTime<Utc>| t - Duration::minutes(50);
        assert!(reminders_since(
            &app,
            &iid,
            withdrawn_at,
            hour_before(soon + Duration::hours(1))
        )
        .await
        .is_empty());
        // The check can see reminders: the other interview's are queued anew
        // once its unsent ones are gone.
        let moved = app
            .post(
                &format!("/interviews/{i1}/postponements"),
                &co,
                json!({"reason": "participant_absent", "new_scheduled_at": iso(soon + Duration::hours(2)), "allow_outside_opening_hours": true}),
            )
            .await;
        assert_eq!(moved.status, 201, "{}", moved.body);
        assert!(!reminders_since(
            &app,
            &i1,
            withdrawn_at,
            hour_before(soon + Duration::hours(2))
        )
        .await
        .is_empty());
    }
);

db_test!(
    mail_goes_only_to_people_who_still_work_at_the_site,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw1, _) = app.user("fw1@example.org", "fieldworker", &[a]).await;
        let (fw2, _) = app.user("fw2@example.org", "fieldworker", &[a]).await;
        let pid = participant(&app, &co, a, "P34", 30).await;
        let soon = Utc::now() + Duration::hours(3);
        let r = app
            .post(
                "/interviews",
                &co,
                json!({"participant_id": pid, "wave": 1, "scheduled_at": iso(soon), "duration_minutes": 30, "interviewer_ids": [fw1, fw2], "allow_outside_opening_hours": true}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let iid = s(&r.body["id"]);
        // fw1 moves to the other clinic.
        let r = app
            .patch(
                &format!("/users/{fw1}"),
                &app.admin_token,
                json!({"site_ids": [b]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let later = soon + Duration::hours(1);
        let r = app
            .post(
                &format!("/interviews/{iid}/postponements"),
                &co,
                json!({"reason": "clinic_circumstances", "new_scheduled_at": iso(later), "allow_outside_opening_hours": true}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let to: Vec<String> = outbox(&app, &format!("interview:{iid}:1:"))
            .await
            .into_iter()
            .map(|m| m.to_addr)
            .collect();
        assert_eq!(to, vec!["fw2@example.org".to_string()]);
        // Reminders for the new time only (the server's own job may have
        // queued and sent some for the old one before fw1 moved).
        let new_time = format!(":{}:", later.timestamp());
        let to: Vec<String> = reminders_since(
            &app,
            &iid,
            soon - Duration::hours(4),
            later - Duration::minutes(50),
        )
        .await
        .into_iter()
        .filter(|m| {
            m.dedupe_key
                .as_deref()
                .is_some_and(|k| k.contains(&new_time))
        })
        .map(|m| m.to_addr)
        .collect();
        assert_eq!(to, vec!["fw2@example.org".to_string()]);
    }
);

db_test!(
    reads_do_not_wait_for_the_write_connection,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        participant(&app, &co, a, "P35", 30).await;
        // Hold the write connection (on SQLite the only one) as a long group
        // of note writes would.
        let held = app.state.db.begin().await.expect("begin");
        let reads = [
            "/settings/waves".to_string(),
            "/settings/readiness".to_string(),
            "/instruments".to_string(),
            "/sites".to_string(),
            format!("/sites/{a}"),
            "/codes".to_string(),
            "/users".to_string(),
            "/me".to_string(),
            "/api-keys".to_string(),
            "/audit".to_string(),
        ];
        for path in &reads {
            let r =
                tokio::time::timeout(StdDuration::from_secs(5), app.get(path, &app.admin_token))
                    .await
                    .unwrap_or_else(|_| panic!("GET {path} waited for the write connection"));
            assert_eq!(r.status, 200, "GET {path}: {}", r.body);
        }
        drop(held);
    }
);
