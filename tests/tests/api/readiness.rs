//! Instruments, screenings, readiness and consent over HTTP.
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::{Resp, TestApp};

const POSS: &str = "01900000-0000-7000-8000-000000000001";
const CAPACITY: &str = "01900000-0000-7000-8000-000000000003";

fn ago(minutes: i64) -> String {
    (Utc::now() - Duration::minutes(minutes)).to_rfc3339()
}

async fn participant(app: &TestApp, token: &str, site: Uuid, pseudonym: &str) -> String {
    let r = app
        .post(
            "/participants",
            token,
            json!({"pseudonym": pseudonym, "site_id": site, "treatment_started_on": "2026-10-01"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().expect("id").to_string()
}

async fn poss(app: &TestApp, token: &str, pid: &str, level: &str, minutes_ago: i64) -> Resp {
    app.post(
        &format!("/participants/{pid}/screenings"),
        token,
        json!({"instrument_id": POSS, "performed_at": ago(minutes_ago), "responses": {"sedation": level}}),
    )
    .await
}

async fn capacity(app: &TestApp, token: &str, pid: &str, each: &str, minutes_ago: i64) -> Resp {
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
        keys.iter().map(|k| (k.to_string(), json!(each))).collect();
    app.post(
        &format!("/participants/{pid}/screenings"),
        token,
        json!({"instrument_id": CAPACITY, "performed_at": ago(minutes_ago), "responses": responses}),
    )
    .await
}

async fn readiness(app: &TestApp, token: &str, pid: &str, purpose: &str) -> Value {
    let r = app
        .get(
            &format!("/participants/{pid}/readiness?for={purpose}"),
            token,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn codes(v: &Value) -> Vec<String> {
    v["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(|r| r["code"].as_str().map(String::from))
        .collect()
}

fn consent_body() -> Value {
    json!({"form_version": "1.0", "method": "written"})
}

db_test!(the_table_of_reasons, |app: TestApp| async move {
    let site = app.create_site("Clinic A").await;
    let (_, co) = app.user("co@example.org", "coordinator", &[site]).await;
    let (_, fw) = app.user("fw@example.org", "fieldworker", &[site]).await;

    // screening_missing, and consent refused with the same reasons
    let p = participant(&app, &co, site, "P01").await;
    let r = readiness(&app, &fw, &p, "consent").await;
    assert_eq!(r["outcome"], "postpone");
    assert_eq!(codes(&r), ["screening_missing"]);
    assert_eq!(r["next_step"], "postpone");
    let refused = app
        .post(&format!("/participants/{p}/consents"), &fw, consent_body())
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.body["code"], "not_ready");
    assert_eq!(codes(&refused.body), ["screening_missing"]);
    assert_eq!(refused.body["postpone_reason"], "participant_not_ready");

    // screening_stale, in words a fieldworker can act on
    let s = poss(&app, &fw, &p, "1", 42).await;
    assert_eq!(s.status, 201, "{}", s.body);
    assert_eq!(
        (s.body["total"].clone(), s.body["outcome"].clone()),
        (json!(1), json!("ready"))
    );
    let r = readiness(&app, &fw, &p, "session").await;
    assert_eq!(codes(&r), ["screening_stale"]);
    let msg = r["reasons"][0]["message"].as_str().expect("message");
    assert!(
        msg.contains("42 minutes ago") && msg.contains("valid for 30 minutes"),
        "{msg}"
    );
    // ... in Norwegian when asked
    let nb = app
        .send(
            app.client
                .get(app.url(&format!("/participants/{p}/readiness?for=session")))
                .bearer_auth(&fw)
                .header("Accept-Language", "nb-NO,nb;q=0.9,en;q=0.5"),
        )
        .await;
    let msg = nb.body["reasons"][0]["message"].as_str().expect("message");
    assert!(msg.contains("Screen på nytt"), "{msg}");

    // screening_incomplete: a missing item is accepted, never counted as 0
    let s = app
        .post(
            &format!("/participants/{p}/screenings"),
            &fw,
            json!({"instrument_id": POSS, "responses": {}}),
        )
        .await;
    assert_eq!(s.status, 201, "{}", s.body);
    assert_eq!(s.body["total"], Value::Null);
    assert_eq!(s.body["outcome"], "postpone");
    assert_eq!(codes(&s.body), ["screening_incomplete"]);
    let r = readiness(&app, &fw, &p, "session").await;
    assert_eq!(codes(&r), ["screening_incomplete"]);
    let s = poss(&app, &fw, &p, "not_assessed", 0).await;
    assert_eq!(codes(&s.body), ["screening_incomplete"]);

    // the instrument's own rule: POSS 4 stops
    let p2 = participant(&app, &co, site, "P02").await;
    poss(&app, &fw, &p2, "4", 1).await;
    let r = readiness(&app, &fw, &p2, "session").await;
    assert_eq!(
        (r["outcome"].as_str(), codes(&r)),
        (Some("stop"), vec!["poss_somnolent".to_string()])
    );
    assert_eq!(r["next_step"], "stop_for_today");
    let refused = app
        .post(&format!("/participants/{p2}/consents"), &fw, consent_body())
        .await;
    assert_eq!(refused.body["outcome"], "stop");

    // recent_postpone: no screen shopping
    let p3 = participant(&app, &co, site, "P03").await;
    poss(&app, &fw, &p3, "3", 20).await;
    let s = poss(&app, &fw, &p3, "1", 1).await;
    assert_eq!(s.body["outcome"], "ready");
    let r = readiness(&app, &fw, &p3, "session").await;
    assert_eq!(codes(&r), ["recent_postpone"]);
    assert_eq!(r["outcome"], "postpone");
    // ... and says from when a passing screening counts again: 60 minutes
    // after the POSTPONE done 20 minutes ago.
    let again: chrono::DateTime<chrono::Utc> = r["screen_again_at"]
        .as_str()
        .expect("screen_again_at")
        .parse()
        .expect("time");
    let expect = chrono::Utc::now() + chrono::Duration::minutes(40);
    assert!(
        (again - expect).num_seconds().abs() < 90,
        "{again} vs {expect}"
    );
    // A STOP blocks the same way.
    assert!(readiness(&app, &fw, &p2, "session").await["screen_again_at"].is_string());

    // capacity_not_assessed: the sedation screen passed, capacity not done
    let p4 = participant(&app, &co, site, "P04").await;
    let s = poss(&app, &fw, &p4, "1", 2).await;
    let poss_id = s.body["id"].as_str().expect("id").to_string();
    let r = readiness(&app, &fw, &p4, "consent").await;
    assert_eq!(codes(&r), ["capacity_not_assessed"]);
    // for a session, POSS alone is required: ready, valid for 28 more minutes
    let r = readiness(&app, &fw, &p4, "session").await;
    assert_eq!(r["outcome"], "ready", "{r}");
    assert_eq!(r["screening_ids"], json!([poss_id]));
    let until: chrono::DateTime<Utc> = r["valid_until"]
        .as_str()
        .expect("valid_until")
        .parse()
        .expect("time");
    let left = (until - Utc::now()).num_minutes();
    assert!((26..=28).contains(&left), "{left}");
    // a capacity check done before the sedation screen passed does not count
    let p5 = participant(&app, &co, site, "P05").await;
    capacity(&app, &fw, &p5, "2", 5).await;
    poss(&app, &fw, &p5, "1", 2).await;
    assert_eq!(
        codes(&readiness(&app, &fw, &p5, "consent").await),
        ["capacity_not_assessed"]
    );
    // below the pass mark
    let s = capacity(&app, &fw, &p5, "1", 0).await;
    assert_eq!(s.body["total"], 10);
    assert_eq!(
        codes(&readiness(&app, &fw, &p5, "consent").await),
        ["capacity_not_demonstrated"]
    );

    // ready: consent is recorded with the screenings that showed it
    let c = capacity(&app, &fw, &p4, "2", 0).await;
    assert_eq!(c.body["total"], 20);
    let cap_id = c.body["id"].as_str().expect("id").to_string();
    let r = readiness(&app, &fw, &p4, "consent").await;
    assert_eq!(r["outcome"], "ready", "{r}");
    let consent = app
        .post(&format!("/participants/{p4}/consents"), &fw, consent_body())
        .await;
    assert_eq!(consent.status, 201, "{}", consent.body);
    assert_eq!(consent.body["screening_ids"], json!([poss_id, cap_id]));
    let list = app.get(&format!("/participants/{p4}/consents"), &fw).await;
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(1));

    // the study's settings change the rule
    let s = app
        .patch(
            "/settings/readiness",
            &app.admin_token,
            json!({"validity_minutes": {"poss": 60}, "no_screen_shopping_minutes": 10}),
        )
        .await;
    assert_eq!(s.status, 200, "{}", s.body);
    assert_eq!(
        readiness(&app, &fw, &p3, "session").await["outcome"],
        "ready"
    );
    assert_eq!(
        app.patch(
            "/settings/readiness",
            &co,
            json!({"no_screen_shopping_minutes": 0})
        )
        .await
        .status,
        403
    );
    let bad = app
        .patch(
            "/settings/readiness",
            &app.admin_token,
            json!({"consent": ["poss", "nope"]}),
        )
        .await;
    assert_eq!(bad.errors_pointer(), "/consent/1");
    let bad = app
        .patch(
            "/settings/readiness",
            &app.admin_token,
            json!({"session": ["capacity"]}),
        )
        .await;
    assert_eq!(bad.errors_pointer(), "/session");

    // bad screenings name the field
    let bad = app
        .post(
            &format!("/participants/{p}/screenings"),
            &fw,
            json!({"instrument_id": POSS, "performed_at": (Utc::now() + Duration::minutes(10)).to_rfc3339(), "responses": {"sedation": "1"}}),
        )
        .await;
    assert_eq!(bad.errors_pointer(), "/performed_at");
    let bad = app
        .post(
            &format!("/participants/{p}/screenings"),
            &fw,
            json!({"instrument_id": POSS, "responses": {"sedation": "7"}}),
        )
        .await;
    assert_eq!(bad.errors_pointer(), "/responses/sedation");
    let bad = app
        .post(
            &format!("/participants/{p}/screenings"),
            &fw,
            json!({"instrument_id": POSS, "responses": {"mood": "1"}}),
        )
        .await;
    assert_eq!(bad.errors_pointer(), "/responses/mood");
    let bad = app
        .post(
            &format!("/participants/{p}/screenings"),
            &fw,
            json!({"instrument_id": Uuid::now_v7(), "responses": {}}),
        )
        .await;
    assert_eq!(bad.errors_pointer(), "/instrument_id");

    // every screening and refusal is in the audit log
    let audit = app
        .get(
            &format!("/audit?object_id={p}&action=consent.refused"),
            &app.admin_token,
        )
        .await;
    assert_eq!(audit.body["items"].as_array().map(Vec::len), Some(1));
    let audit = app
        .get("/audit?action=screening.create&limit=200", &app.admin_token)
        .await;
    assert_eq!(audit.body["items"].as_array().map(Vec::len), Some(11));
    let audit = app
        .get(
            "/audit?action=readiness.refused&limit=200",
            &app.admin_token,
        )
        .await;
    assert!(audit.body["items"].as_array().is_some_and(|a| a.len() >= 8));
});

db_test!(
    instruments_are_versioned_and_bilingual,
    |app: TestApp| async move {
        let site = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[site]).await;
        let list = app.get("/instruments", &co).await;
        assert_eq!(list.status, 200);
        let items = list.body["items"].as_array().expect("items");
        let keys: Vec<&str> = items.iter().filter_map(|i| i["key"].as_str()).collect();
        assert_eq!(keys, ["capacity", "poss", "rass"]);
        for i in items {
            assert_eq!(i["builtin"], true);
            assert!(i["name"]["nb"].is_string());
            for item in i["items"].as_array().expect("items") {
                assert!(
                    item["label"]["en"].is_string() && item["label"]["nb"].is_string(),
                    "{item}"
                );
                for l in item["levels"].as_array().expect("levels") {
                    assert!(
                        l["label"]["en"].is_string() && l["label"]["nb"].is_string(),
                        "{l}"
                    );
                }
            }
        }
        let rass = items.iter().find(|i| i["key"] == "rass").expect("rass");
        assert_eq!(
            rass["items"][0]["levels"].as_array().map(Vec::len),
            Some(11)
        );
        let capacity = items
            .iter()
            .find(|i| i["key"] == "capacity")
            .expect("capacity");
        assert_eq!(capacity["items"].as_array().map(Vec::len), Some(10));

        // a study enters its own form
        let form = |ready_from: i32| {
            json!({
                "key": "clinic_form", "name": {"en": "Clinic intoxication form"}, "kind": "intoxication", "combine": "sum",
                "items": [
                    {"key": "pupils", "label": {"en": "Pupils"}, "levels": [{"key": "normal", "label": {"en": "Normal"}, "score": 0}, {"key": "pinpoint", "label": {"en": "Pinpoint"}, "score": 2}]},
                    {"key": "speech", "label": {"en": "Speech"}, "levels": [{"key": "clear", "label": {"en": "Clear"}, "score": 0}, {"key": "slurred", "label": {"en": "Slurred"}, "score": 2}]}
                ],
                "rules": [
                    {"min": 0, "max": ready_from, "outcome": "ready", "reason_code": "clinic_ok", "message": {"en": "fine"}},
                    {"min": ready_from + 1, "max": 4, "outcome": "postpone", "reason_code": "clinic_affected", "message": {"en": "affected; wait"}}
                ]
            })
        };
        assert_eq!(app.post("/instruments", &co, form(0)).await.status, 403);
        let r = app.post("/instruments", &app.admin_token, form(0)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(
            (
                r.body["version"].clone(),
                r.body["validity_minutes"].clone()
            ),
            (json!(1), json!(30))
        );
        let v1 = r.body["id"].as_str().expect("id").to_string();
        assert_eq!(
            app.post("/instruments", &app.admin_token, form(0))
                .await
                .status,
            409
        );
        let mut no_ready = form(0);
        no_ready["rules"][0]["outcome"] = json!("postpone");
        assert_eq!(
            app.post("/instruments", &app.admin_token, no_ready)
                .await
                .errors_pointer(),
            "/rules"
        );
        // unused: may be corrected in place
        let put = |body: Value| {
            app.send(
                app.client
                    .put(app.url(&format!("/instruments/{v1}")))
                    .bearer_auth(&app.admin_token)
                    .json(&body),
            )
        };
        assert_eq!(put(form(1)).await.status, 200);
        // used: immutable
        let p = participant(&app, &co, site, "P01").await;
        let s = app
        .post(
            &format!("/participants/{p}/screenings"),
            &co,
            json!({"instrument_id": v1, "responses": {"pupils": "pinpoint", "speech": "clear"}}),
        )
        .await;
        assert_eq!(s.status, 201, "{}", s.body);
        assert_eq!(
            (s.body["total"].clone(), s.body["outcome"].clone()),
            (json!(2), json!("postpone"))
        );
        let r = put(form(2)).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (409, Some("instrument_in_use"))
        );
        let r = app
            .post(
                &format!("/instruments/{v1}/versions"),
                &app.admin_token,
                form(2),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["version"], 2);
        // new screenings use the newest version
        let old = app
            .post(
                &format!("/participants/{p}/screenings"),
                &co,
                json!({"instrument_id": v1, "responses": {"pupils": "normal", "speech": "clear"}}),
            )
            .await;
        assert_eq!(
            (old.status, old.body["code"].as_str()),
            (409, Some("instrument_outdated"))
        );
        let first = app.get(&format!("/instruments/{v1}"), &co).await;
        assert_eq!(first.body["rules"][0]["max"], 1);
        assert_eq!(first.body["in_use"], true);
        // the stored screening keeps the meaning of its own version
        let list = app.get(&format!("/participants/{p}/screenings"), &co).await;
        assert_eq!(list.body["items"][0]["outcome"], "postpone");
        assert_eq!(list.body["items"][0]["instrument_version"], 1);
        let mut other = form(2);
        other["key"] = json!("other");
        assert_eq!(
            app.post(
                &format!("/instruments/{v1}/versions"),
                &app.admin_token,
                other
            )
            .await
            .errors_pointer(),
            "/key"
        );
        let mut poss_def = app.get(&format!("/instruments/{POSS}"), &co).await.body;
        for k in [
            "id",
            "version",
            "builtin",
            "in_use",
            "created_at",
            "updated_at",
        ] {
            poss_def.as_object_mut().expect("object").remove(k);
        }
        let builtin = app
            .send(
                app.client
                    .put(app.url(&format!("/instruments/{POSS}")))
                    .bearer_auth(&app.admin_token)
                    .json(&poss_def),
            )
            .await;
        assert_eq!(
            (builtin.status, builtin.body["code"].as_str()),
            (409, Some("instrument_immutable"))
        );
    }
);

db_test!(
    screenings_and_consents_are_site_scoped_and_withdrawal_deletes,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co_a) = app.user("co-a@example.org", "coordinator", &[a]).await;
        let (fw_a_id, fw_a) = app.user("fw-a@example.org", "fieldworker", &[a]).await;
        let (_, co_b) = app.user("co-b@example.org", "coordinator", &[b]).await;
        let pa = participant(&app, &co_a, a, "PA").await;
        let pb = participant(&app, &co_b, b, "PB").await;
        poss(&app, &co_b, &pb, "1", 1).await;
        capacity(&app, &co_b, &pb, "2", 0).await;
        let cb = app
            .post(
                &format!("/participants/{pb}/consents"),
                &co_b,
                consent_body(),
            )
            .await;
        assert_eq!(cb.status, 201, "{}", cb.body);
        let cb = cb.body["id"].as_str().expect("id").to_string();
        // another site's participant is simply not there
        assert_eq!(poss(&app, &fw_a, &pb, "1", 0).await.status, 404);
        for path in ["screenings", "readiness?for=consent", "consents"] {
            assert_eq!(
                app.get(&format!("/participants/{pb}/{path}"), &fw_a)
                    .await
                    .status,
                404,
                "{path}"
            );
        }
        assert_eq!(
            app.post(
                &format!("/participants/{pb}/consents"),
                &fw_a,
                consent_body()
            )
            .await
            .status,
            404
        );
        assert_eq!(
            app.post(
                &format!("/consents/{cb}/withdraw"),
                &co_a,
                json!({"reason": "x", "data_decision": "keep"})
            )
            .await
            .status,
            404
        );

        // consent at site A, then a withdrawal that deletes the screening data
        poss(&app, &fw_a, &pa, "1", 1).await;
        capacity(&app, &fw_a, &pa, "2", 0).await;
        let ca = app
            .post(
                &format!("/participants/{pa}/consents"),
                &fw_a,
                consent_body(),
            )
            .await;
        assert_eq!(ca.status, 201, "{}", ca.body);
        let ca = ca.body["id"].as_str().expect("id").to_string();
        let note = json!({"id": Uuid::new_v4(), "site_id": a, "observed_at": ago(60), "location": "waiting_room", "body": "PA waited a long time", "participant_ids": [pa]});
        let note = app.post("/notes", &fw_a, note).await;
        assert_eq!(note.status, 201, "{}", note.body);
        let note_id = note.body["id"].as_str().expect("id").to_string();
        let at = (Utc::now() + Duration::days(3)).to_rfc3339();
        let iv = app
            .post(
                "/interviews",
                &co_a,
                json!({"participant_id": pa, "wave": 1, "scheduled_at": at, "duration_minutes": 60, "interviewer_ids": [fw_a_id], "allow_outside_opening_hours": true}),
            )
            .await;
        assert_eq!(iv.status, 201, "{}", iv.body);
        let iv = iv.body["id"].as_str().expect("id").to_string();
        let w =
            json!({"reason": "Participant asked to leave the study", "data_decision": "delete"});
        assert_eq!(
            app.post(&format!("/consents/{ca}/withdraw"), &fw_a, w.clone())
                .await
                .status,
            403
        );
        let r = app
            .post(&format!("/consents/{ca}/withdraw"), &co_a, w.clone())
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["deleted"]["screenings"], 2);
        assert_eq!(r.body["deleted"]["note_links"], 1);
        // nothing more is planned with someone who withdrew
        let iv = app.get(&format!("/interviews/{iv}"), &co_a).await;
        assert_eq!(iv.body["status"], "cancelled", "{}", iv.body);
        let note = app.get(&format!("/notes/{note_id}"), &fw_a).await;
        assert_eq!(
            (
                note.body["participant_ids"].clone(),
                note.body["body"].as_str()
            ),
            (json!([]), Some("PA waited a long time"))
        );
        let history = app.get(&format!("/notes/{note_id}/history"), &fw_a).await;
        assert_eq!(
            history.body["items"][0]["participant_ids"],
            json!([]),
            "{}",
            history.body
        );
        assert_eq!(r.body["consent"]["data_decision"], "delete");
        assert_eq!(
            app.post(&format!("/consents/{ca}/withdraw"), &co_a, w)
                .await
                .status,
            409
        );
        let p = app.get(&format!("/participants/{pa}"), &fw_a).await;
        assert_eq!(p.body["status"], "withdrawn");
        let s = app
            .get(&format!("/participants/{pa}/screenings"), &fw_a)
            .await;
        assert_eq!(s.body["items"], json!([]));
        // a withdrawn participant is not screened again
        let again = poss(&app, &fw_a, &pa, "1", 0).await;
        assert_eq!(
            (again.status, again.body["code"].as_str()),
            (409, Some("participant_not_active"))
        );
        // the audit log keeps that it happened, not what was answered
        let audit = app
            .get(&format!("/audit?object_id={ca}"), &app.admin_token)
            .await;
        let actions: Vec<&str> = audit.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(actions, ["consent.withdraw", "consent.create"]);
        let entries = app
            .get("/audit?action=screening.create&limit=200", &app.admin_token)
            .await;
        let text = entries.body.to_string();
        assert!(
            !text.contains("sedation") && !text.contains("\"1\""),
            "{text}"
        );
        // B's own coordinator still sees B's consent, untouched
        let list = app
            .get(&format!("/participants/{pb}/consents"), &co_b)
            .await;
        assert_eq!(list.body["items"][0]["withdrawn_at"], Value::Null);
    }
);
