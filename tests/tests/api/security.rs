//! Two-factor sign-in and a person's sign-ins (issue 17), over HTTP on
//! SQLite and PostgreSQL.
use serde_json::{json, Value};
use totp_rs::TOTP;
use uuid::Uuid;

use crate::db_test;
use crate::helpers::{TestApp, PASSWORD};
use crate::interviews::s;
use crate::trust::mail_to;

/// The app's code `steps` time steps from now.
fn code(uri: &str, steps: i64) -> String {
    let t = TOTP::from_url(uri).expect("otpauth uri");
    let now = chrono::Utc::now().timestamp() + steps * 30;
    t.generate(now as u64)
}

async fn login(app: &TestApp, email: &str, ua: &str) -> Value {
    app.send(
        app.client
            .post(app.url("/auth/login"))
            .header("User-Agent", ua)
            .json(&json!({"email": email, "password": PASSWORD})),
    )
    .await
    .body
}

async fn second_step(app: &TestApp, challenge: &Value, code: &str) -> crate::helpers::Resp {
    app.post(
        "/auth/login/mfa",
        "",
        json!({"challenge": challenge, "code": code}),
    )
    .await
}

/// Turns the second factor on for the holder of `token`; gives the
/// otpauth address and the recovery codes.
async fn enrol(app: &TestApp, token: &str) -> (String, Vec<String>) {
    let r = app.post("/me/mfa/totp", token, json!({})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let uri = s(&r.body["otpauth_uri"]);
    assert!(uri.starts_with("otpauth://totp/Fieldnotes:"), "{uri}");
    assert!(s(&r.body["qr_svg"]).contains("<svg"), "{}", r.body);
    let wrong = app
        .post("/me/mfa/totp/confirm", token, json!({"code": "000000"}))
        .await;
    assert_eq!(wrong.errors_pointer(), "/code");
    let r = app
        .post(
            "/me/mfa/totp/confirm",
            token,
            json!({"code": code(&uri, 0)}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let codes: Vec<String> = r.body["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(s)
        .collect();
    (uri, codes)
}

db_test!(
    two_factor_sign_in_takes_each_code_once,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (uri, recovery) = enrol(&app, &t).await;
        assert_eq!(recovery.len(), 10);
        let distinct: std::collections::HashSet<_> = recovery.iter().collect();
        assert_eq!(distinct.len(), 10);

        // The password alone gives no tokens.
        let first = login(&app, "fw@example.org", "Phone A").await;
        assert_eq!(first["mfa_required"], true, "{first}");
        assert!(first["access_token"].is_null(), "{first}");
        assert_eq!(first["expires_in"], 300);
        let r = second_step(&app, &first["challenge"], "123456").await;
        assert_eq!(
            (r.status, s(&r.body["code"])),
            (401, "invalid_mfa_code".into())
        );
        // The confirming code's step is used up: the next step's code works.
        let next = code(&uri, 1);
        let r = second_step(&app, &first["challenge"], &next).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let pair = r.body.clone();
        assert_eq!(app.get("/me", &s(&pair["access_token"])).await.status, 200);
        // The challenge and the code are spent.
        let r = second_step(&app, &first["challenge"], &next).await;
        assert_eq!(s(&r.body["code"]), "invalid_challenge");
        let again = login(&app, "fw@example.org", "Phone A").await;
        let r = second_step(&app, &again["challenge"], &next).await;
        assert_eq!(s(&r.body["code"]), "invalid_mfa_code", "a replayed code");
        // A recovery code works once, typed any way.
        let typed = recovery[0].to_uppercase().replace('-', " ");
        let r = second_step(&app, &again["challenge"], &typed).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let third = login(&app, "fw@example.org", "Phone A").await;
        let r = second_step(&app, &third["challenge"], &recovery[0]).await;
        assert_eq!(s(&r.body["code"]), "invalid_mfa_code");
        // Refresh works as before.
        let r = app
            .post(
                "/auth/refresh",
                "",
                json!({"refresh_token": pair["refresh_token"]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let status = app.get("/me/mfa", &s(&r.body["access_token"])).await;
        assert_eq!(status.body["enabled"], true, "{}", status.body);
        assert_eq!(status.body["recovery_codes_left"], 9);
        assert_eq!(status.body["this_session_verified"], true);
        // The audit log says how the second factor was given.
        let audit = app
            .get("/audit?action=auth.login&limit=200", &app.admin_token)
            .await;
        let text = audit.body.to_string();
        assert!(
            text.contains("recovery_code") && text.contains("\"totp\""),
            "{text}"
        );
        assert!(!text.contains(&recovery[1]), "no secret in the log");
    }
);

db_test!(
    wrong_codes_are_throttled_like_passwords,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (uri, _) = enrol(&app, &t).await;
        let challenge = login(&app, "fw@example.org", "x").await["challenge"].clone();
        // The wrong code `enrol` typed while confirming counts against the
        // same limit of five: four more wrong codes reach it.
        for _ in 0..4 {
            let r = second_step(&app, &challenge, "999999").await;
            assert_eq!(r.status, 401, "{}", r.body);
        }
        let r = second_step(&app, &challenge, &code(&uri, 1)).await;
        assert_eq!(r.status, 429, "{}", r.body);
        assert!(r.headers.get("retry-after").is_some());
    }
);

db_test!(
    a_required_role_may_only_enrol_until_it_has_a_second_factor,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, fw) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let pair = app.login("fw@example.org", PASSWORD).await;
        let key = app
            .post(
                "/api-keys",
                &fw,
                json!({"name": "a tool", "scopes": ["sites:read"]}),
            )
            .await;
        let key = s(&key.body["secret"]);
        let feed = app.new_feed(&fw).await;
        let feed_status = || async {
            app.client
                .get(app.url(&feed))
                .send()
                .await
                .expect("feed")
                .status()
        };
        assert_eq!(feed_status().await, 200);
        let r = app
            .patch(
                "/settings/security",
                &co,
                json!({"require_mfa_for": ["fieldworker"]}),
            )
            .await;
        assert_eq!(r.status, 403, "only an admin sets the rules");
        let r = app
            .patch(
                "/settings/security",
                &app.admin_token,
                json!({"require_mfa_for": ["fieldworker", "fieldworker"]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["require_mfa_for"], json!(["fieldworker"]));

        let r = app.get("/sites", &fw).await;
        assert_eq!((r.status, s(&r.body["code"])), (403, "mfa_required".into()));
        assert_eq!(app.get("/me", &fw).await.status, 200);
        let r = app.get("/me/mfa", &fw).await;
        assert_eq!(r.body["required"], true, "{}", r.body);
        // Others are not affected; the person's API keys and calendar feeds
        // wait for the second factor too.
        assert_eq!(app.get("/sites", &co).await.status, 200);
        let r = app.get("/sites", &key).await;
        assert_eq!((r.status, s(&r.body["code"])), (403, "mfa_required".into()));
        assert_eq!(feed_status().await, 403);

        // Refreshing is open to them, even with their token attached.
        let r = app
            .send(
                app.client
                    .post(app.url("/auth/refresh"))
                    .bearer_auth(s(&pair["access_token"]))
                    .json(&json!({"refresh_token": pair["refresh_token"]})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        enrol(&app, &fw).await;
        assert_eq!(app.get("/sites", &fw).await.status, 200, "enrolled here");
        assert_eq!(
            app.get("/sites", &key).await.status,
            200,
            "the key works again"
        );
        assert_eq!(feed_status().await, 200, "and the feed");
    }
);

db_test!(
    an_admin_ends_all_of_a_persons_credentials_at_once,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (id, fw) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let phone = s(&app.login("fw@example.org", PASSWORD).await["access_token"]);
        let key = app
            .post(
                "/api-keys",
                &fw,
                json!({"name": "a tool", "scopes": ["sites:read"]}),
            )
            .await;
        let key = s(&key.body["secret"]);
        let feed = app.new_feed(&fw).await;
        let path = format!("/users/{id}/credentials");
        // Only an admin.
        assert_eq!(app.delete(&path, &co).await.status, 403);
        let missing = app
            .delete(
                &format!("/users/{}/credentials", Uuid::now_v7()),
                &app.admin_token,
            )
            .await;
        assert_eq!(missing.status, 404, "{}", missing.body);
        let r = app.delete(&path, &app.admin_token).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            (
                r.body["sessions"].as_u64(),
                r.body["api_keys"].clone(),
                r.body["calendar_feeds"].clone()
            ),
            (Some(2), json!(1), json!(1)),
            "{}",
            r.body
        );
        for token in [&fw, &phone, &key] {
            assert_eq!(app.get("/sites", token).await.status, 401);
        }
        let ics = app.client.get(app.url(&feed)).send().await.expect("feed");
        assert_eq!(ics.status(), 404);
        // The person is told, the audit log says who and how much, and the
        // password still signs in.
        let mail = mail_to(&app, "fw@example.org", "keys and feeds were ended", 1).await;
        assert_eq!(mail.len(), 1);
        assert!(
            mail[0].body_text.contains("1 API key(s)"),
            "{}",
            mail[0].body_text
        );
        let audit = app
            .get("/audit?action=user.credentials_ended", &app.admin_token)
            .await;
        let items = audit.body["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{}", audit.body);
        assert_eq!(items[0]["detail"]["api_keys"], 1, "{}", audit.body);
        assert!(login(&app, "fw@example.org", "x").await["access_token"].is_string());
    }
);

db_test!(
    a_key_is_made_only_from_a_sign_in_that_passed_the_second_factor,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, enrolling) = app.user("fw@example.org", "fieldworker", &[a]).await;
        // A sign-in from before the second factor was set up.
        let older = s(&app.login("fw@example.org", PASSWORD).await["access_token"]);
        let (uri, _) = enrol(&app, &enrolling).await;
        let app = &app;
        let make = |token: String| async move {
            app.post(
                "/api-keys",
                &token,
                json!({"name": "a tool", "scopes": ["sites:read"]}),
            )
            .await
        };
        let r = make(older).await;
        assert_eq!(
            (r.status, s(&r.body["code"])),
            (403, "second_factor_sign_in_required".into()),
            "{}",
            r.body
        );
        // The sign-in that confirmed the factor passed it, as does a new one.
        assert_eq!(make(enrolling.clone()).await.status, 201);
        let first = login(app, "fw@example.org", "x").await;
        let pair = second_step(app, &first["challenge"], &code(&uri, 1)).await;
        assert_eq!(make(s(&pair.body["access_token"])).await.status, 201);
    }
);

db_test!(
    turning_the_second_factor_off_needs_a_current_code,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (uri, recovery) = enrol(&app, &t).await;
        let off = |code: String| {
            app.send(
                app.client
                    .delete(app.url("/me/mfa"))
                    .bearer_auth(&t)
                    .json(&json!({ "code": code })),
            )
        };
        assert_eq!(off("000000".into()).await.errors_pointer(), "/code");
        assert_eq!(off(recovery[0].clone()).await.errors_pointer(), "/code");
        assert_eq!(off(code(&uri, 1)).await.status, 204);
        let r = login(&app, "fw@example.org", "x").await;
        assert!(r["access_token"].is_string(), "{r}");
    }
);

db_test!(
    an_admin_reset_ends_every_sign_in_and_tells_the_user,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (id, t) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        enrol(&app, &t).await;
        let r = app.delete(&format!("/users/{id}/mfa"), &co).await;
        assert_eq!(r.status, 403);
        let r = app
            .delete(&format!("/users/{id}/mfa"), &app.admin_token)
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(app.get("/me", &t).await.status, 401);
        let r = login(&app, "fw@example.org", "x").await;
        assert!(r["access_token"].is_string(), "the password signs in: {r}");
        let mail = mail_to(&app, "fw@example.org", "two-factor sign-in was reset", 1).await;
        assert_eq!(mail.len(), 1);
        let audit = app
            .get("/audit?action=user.mfa_reset", &app.admin_token)
            .await;
        assert_eq!(
            audit.body["items"].as_array().map(Vec::len),
            Some(1),
            "{}",
            audit.body
        );
    }
);

db_test!(
    a_person_sees_and_ends_their_sign_ins,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (id, desk) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (_, other) = app.user("fw2@example.org", "fieldworker", &[a]).await;
        let phone = login(&app, "fw@example.org", "Phone with Chromium").await;
        let list = app.get("/me/sessions", &desk).await;
        assert_eq!(list.status, 200, "{}", list.body);
        let items = list.body.as_array().expect("list").clone();
        assert_eq!(items.len(), 2, "{}", list.body);
        assert_eq!(items.iter().filter(|i| i["current"] == true).count(), 1);
        let phone_session = items
            .iter()
            .find(|i| i["user_agent"] == "Phone with Chromium")
            .expect("the phone's sign-in");
        assert!(phone_session["last_used_at"].is_string());
        let sid = s(&phone_session["id"]);
        // Another person cannot end it, nor learn it exists.
        let r = app.delete(&format!("/me/sessions/{sid}"), &other).await;
        assert_eq!(r.status, 404);
        let r = app.delete(&format!("/me/sessions/{sid}"), &desk).await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(app.get("/me", &s(&phone["access_token"])).await.status, 401);
        let r = app
            .post(
                "/auth/refresh",
                "",
                json!({"refresh_token": phone["refresh_token"]}),
            )
            .await;
        assert_eq!(
            (r.status, s(&r.body["code"])),
            (401, "session_revoked".into())
        );
        assert_eq!(app.get("/me", &desk).await.status, 200);
        let r = app
            .delete(&format!("/me/sessions/{}", Uuid::now_v7()), &desk)
            .await;
        assert_eq!(r.status, 404);
        // An API key has no sign-ins to list.
        let key = app
            .post(
                "/api-keys",
                &desk,
                json!({"name": "k", "scopes": ["sites:read"]}),
            )
            .await;
        let r = app.get("/me/sessions", &s(&key.body["secret"])).await;
        assert_eq!(r.status, 403);
        // An admin ends all of them.
        let r = app.delete(&format!("/users/{id}/sessions"), &other).await;
        assert_eq!(r.status, 403);
        let r = app
            .delete(&format!("/users/{id}/sessions"), &app.admin_token)
            .await;
        assert_eq!(r.body["ended"], 1, "{}", r.body);
        assert_eq!(app.get("/me", &desk).await.status, 401);
    }
);

db_test!(
    new_recovery_codes_replace_the_old,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, token) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (uri, recovery) = enrol(&app, &token).await;
        // New recovery codes, with a code from the app (a recovery code will not do): the old ones stop working.
        let r = app
            .post(
                "/me/mfa/recovery-codes",
                &token,
                json!({"code": recovery[2]}),
            )
            .await;
        assert_eq!(r.errors_pointer(), "/code", "{}", r.body);
        let r = app
            .post(
                "/me/mfa/recovery-codes",
                &token,
                json!({"code": code(&uri, 1)}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let renewed: Vec<String> = r.body["recovery_codes"]
            .as_array()
            .expect("codes")
            .iter()
            .map(s)
            .collect();
        assert_eq!(renewed.len(), 10);
        assert!(renewed.iter().all(|c| !recovery.contains(c)));
        assert_eq!(
            app.get("/me/mfa", &token).await.body["recovery_codes_left"],
            10
        );
        let fourth = login(&app, "fw@example.org", "Phone A").await;
        let r = second_step(&app, &fourth["challenge"], &recovery[2]).await;
        assert_eq!(
            s(&r.body["code"]),
            "invalid_mfa_code",
            "an old recovery code no longer signs in"
        );
        let r = second_step(&app, &fourth["challenge"], &renewed[0]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let audit = app
            .get("/audit?action=mfa.recovery_codes_renewed", &app.admin_token)
            .await;
        assert_eq!(audit.body["items"].as_array().expect("items").len(), 1);
    }
);
