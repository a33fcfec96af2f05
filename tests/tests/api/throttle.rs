//! Throttles hold under concurrency: each attempt takes its place in the
//! count before anything is checked, atomically, so a burst of concurrent
//! guesses gets no more checks than the limit (issue 28). Every operation
//! that takes a second-factor `code` shares one limit per account.
use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::db_test;
use crate::helpers::{Resp, TestApp, PASSWORD};
use crate::interviews::s;
use crate::trust::mail_to;

/// Failed sign-ins allowed per account and per address (access::auth).
const PER_ACCOUNT: usize = 5;
const PER_ADDRESS: usize = 30;

/// Sends `n` copies of a request at once; how many were checked (not 429).
async fn burst(app: &TestApp, n: usize, req: impl Fn() -> reqwest::RequestBuilder) -> Vec<Resp> {
    join_all((0..n).map(|_| app.send(req()))).await
}

fn checked(answers: &[Resp]) -> usize {
    for r in answers {
        assert!(
            matches!(r.status, 401 | 422 | 429),
            "{} {}",
            r.status,
            r.body
        );
    }
    answers.iter().filter(|r| r.status != 429).count()
}

db_test!(
    concurrent_wrong_passwords_for_one_account_get_five_checks,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        app.user("fw@example.org", "fieldworker", &[a]).await;
        let answers = burst(&app, 100, || {
            app.client
                .post(app.url("/auth/login"))
                .json(&json!({"email": "fw@example.org", "password": "wrong guess"}))
        })
        .await;
        assert_eq!(checked(&answers), PER_ACCOUNT);
    }
);

db_test!(
    concurrent_failures_from_one_address_get_thirty_checks,
    |app: TestApp| async move {
        let answers = join_all((0..100).map(|i| {
            app.send(
                app.client
                    .post(app.url("/auth/login"))
                    .json(&json!({"email": format!("nobody{i}@example.org"), "password": "x"})),
            )
        }))
        .await;
        assert_eq!(checked(&answers), PER_ADDRESS);
    }
);

db_test!(
    a_burst_of_reset_requests_mails_three_links,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        app.user("fw@example.org", "fieldworker", &[a]).await;
        let answers = burst(&app, 20, || {
            app.client
                .post(app.url("/auth/password-reset"))
                .json(&json!({"email": "fw@example.org"}))
        })
        .await;
        assert!(answers.iter().all(|r| r.status == 202));
        // The links are queued after the answers: wait for more than three.
        let sent = mail_to(&app, "fw@example.org", "Reset your", 4).await;
        assert_eq!(sent.len(), 3, "at most three links an hour");
    }
);

/// The app's code `steps` time steps from now.
fn totp(uri: &str, steps: i64) -> String {
    let t = totp_rs::TOTP::from_url(uri).expect("otpauth uri");
    t.generate((chrono::Utc::now().timestamp() + steps * 30) as u64)
}

/// A new fieldworker with an authenticator app set up (and confirmed with
/// a correct code, so nothing counted yet): their token.
async fn enrolled(app: &TestApp, email: &str) -> String {
    let a = app.create_site(&format!("Clinic {email}")).await;
    let (_, t) = app.user(email, "fieldworker", &[a]).await;
    let r = app.post("/me/mfa/totp", &t, json!({})).await;
    let uri = s(&r.body["otpauth_uri"]);
    let r = app
        .post("/me/mfa/totp/confirm", &t, json!({"code": totp(&uri, 0)}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    t
}

/// How to reach the code check of one operation: a request with a wrong
/// code, ready to send again and again.
async fn wrong_code_request<'a>(
    app: &'a TestApp,
    method: &str,
    path: &str,
    email: &str,
) -> Box<dyn Fn() -> reqwest::RequestBuilder + 'a> {
    let wrong = "000000";
    match (method, path) {
        ("post", "/api/v1/auth/login/mfa") => {
            enrolled(app, email).await;
            let first = app.login(email, PASSWORD).await;
            let challenge = first["challenge"].clone();
            assert!(challenge.is_string(), "{first}");
            let url = app.url(path);
            Box::new(move || {
                app.client
                    .post(&url)
                    .json(&json!({"challenge": challenge, "code": wrong}))
            })
        }
        ("post", "/api/v1/me/mfa/totp/confirm") => {
            let a = app.create_site(&format!("Clinic {email}")).await;
            let (_, t) = app.user(email, "fieldworker", &[a]).await;
            let r = app.post("/me/mfa/totp", &t, json!({})).await;
            assert_eq!(r.status, 201, "{}", r.body);
            let url = app.url(path);
            Box::new(move || {
                app.client
                    .post(&url)
                    .bearer_auth(&t)
                    .json(&json!({"code": wrong}))
            })
        }
        ("delete", "/api/v1/me/mfa") => {
            let t = enrolled(app, email).await;
            let url = app.url(path);
            Box::new(move || {
                app.client
                    .delete(&url)
                    .bearer_auth(&t)
                    .json(&json!({"code": wrong}))
            })
        }
        ("post", "/api/v1/me/mfa/recovery-codes") => {
            let t = enrolled(app, email).await;
            let url = app.url(path);
            Box::new(move || {
                app.client
                    .post(&url)
                    .bearer_auth(&t)
                    .json(&json!({"code": wrong}))
            })
        }
        other => {
            panic!("{other:?} takes a `code`: add it here, and check its codes with mfa::guarded")
        }
    }
}

fn takes_code(doc: &Value, op: &Value) -> bool {
    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
    let schema = match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap_or_default()],
        None => schema,
    };
    schema["properties"].get("code").is_some()
}

db_test!(
    every_operation_taking_a_code_shares_one_limit_per_account,
    |app: TestApp| async move {
        let doc = app.get("/api/v1/openapi.json", "").await.body;
        let mut walked = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("item") {
                if !takes_code(&doc, op) {
                    continue;
                }
                let email = format!("code{}@example.org", walked.len());
                let req = wrong_code_request(&app, method, path, &email).await;
                // Twenty wrong codes at once: five are checked.
                let answers = burst(&app, 20, &req).await;
                assert_eq!(checked(&answers), PER_ACCOUNT, "{method} {path}");
                // The limit is the account's: signing in with the password and
                // the right code is refused too (where the account has one).
                let r = app
                    .post(
                        "/auth/login",
                        "",
                        json!({"email": email, "password": PASSWORD}),
                    )
                    .await;
                assert_eq!(r.status, 429, "{method} {path}: {}", r.body);
                walked.push(format!("{method} {path}"));
            }
        }
        walked.sort();
        assert_eq!(
            walked,
            [
                "delete /api/v1/me/mfa",
                "post /api/v1/auth/login/mfa",
                "post /api/v1/me/mfa/recovery-codes",
                "post /api/v1/me/mfa/totp/confirm"
            ]
        );
    }
);
