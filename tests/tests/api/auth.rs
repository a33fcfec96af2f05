use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::db_test;
use crate::helpers::{TestApp, PASSWORD, TEST_SECRET};

fn b64(v: &serde_json::Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

db_test!(
    refresh_rotates_and_reuse_revokes_the_family,
    |app: TestApp| async move {
        let pair = app.login("admin@example.org", PASSWORD).await;
        assert_eq!(pair["token_type"], "Bearer");
        assert_eq!(pair["expires_in"], 900);
        let r1 = pair["refresh_token"].as_str().expect("rt").to_string();
        let next = app
            .send(
                app.client
                    .post(app.url("/auth/refresh"))
                    .json(&json!({"refresh_token": r1})),
            )
            .await;
        assert_eq!(next.status, 200);
        let r2 = next.body["refresh_token"].as_str().expect("rt").to_string();
        let a2 = next.body["access_token"].as_str().expect("at").to_string();
        assert_eq!(app.get("/me", &a2).await.status, 200);
        // The old refresh token was used: presenting it again revokes the family.
        let reuse = app
            .send(
                app.client
                    .post(app.url("/auth/refresh"))
                    .json(&json!({"refresh_token": r1})),
            )
            .await;
        assert_eq!(reuse.status, 401);
        assert_eq!(reuse.body["code"], "refresh_token_reused");
        let r = app
            .send(
                app.client
                    .post(app.url("/auth/refresh"))
                    .json(&json!({"refresh_token": r2})),
            )
            .await;
        assert_eq!(
            r.status, 401,
            "the newest token of a stolen family is revoked too"
        );
        assert_eq!(
            app.get("/me", &a2).await.status,
            401,
            "and so are its access tokens"
        );
    }
);

db_test!(logout_ends_the_session_at_once, |app: TestApp| async move {
    let pair = app.login("admin@example.org", PASSWORD).await;
    let at = pair["access_token"].as_str().expect("at");
    assert_eq!(app.get("/me", at).await.status, 200);
    let r = app
        .send(app.client.post(app.url("/auth/logout")).bearer_auth(at))
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(app.get("/me", at).await.status, 401);
    let r = app
        .send(
            app.client
                .post(app.url("/auth/refresh"))
                .json(&json!({"refresh_token": pair["refresh_token"]})),
        )
        .await;
    assert_eq!(r.status, 401);
    // the admin's other session still works
    assert_eq!(app.get("/me", &app.admin_token).await.status, 200);
});

db_test!(
    forged_and_expired_tokens_are_rejected,
    |app: TestApp| async move {
        let me = app.get("/me", &app.admin_token).await;
        let sub = me.body["id"].as_str().expect("id").to_string();
        // A real token's session id, so only the forged part differs.
        let parts: Vec<&str> = app.admin_token.split('.').collect();
        let claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[1])
                .expect("b64"),
        )
        .expect("claims");
        let sid = claims["sid"].as_str().expect("sid");
        let now = chrono::Utc::now().timestamp();
        let good = json!({"sub": sub, "sid": sid, "iss": "fieldnotes", "aud": "fieldnotes-api", "iat": now, "exp": now + 600, "typ": "access"});
        let sign = |claims: &serde_json::Value, key: &str, alg: Algorithm| {
            encode(
                &Header::new(alg),
                claims,
                &EncodingKey::from_secret(key.as_bytes()),
            )
            .expect("sign")
        };
        // control: a correctly signed token works
        assert_eq!(
            app.get("/me", &sign(&good, TEST_SECRET, Algorithm::HS256))
                .await
                .status,
            200
        );
        let mut cases = vec![
            (
                "another key",
                sign(
                    &good,
                    "another-secret-another-secret-another-secret",
                    Algorithm::HS256,
                ),
            ),
            ("HS512", sign(&good, TEST_SECRET, Algorithm::HS512)),
            (
                "alg none",
                format!(
                    "{}.{}.",
                    b64(&json!({"alg": "none", "typ": "JWT"})),
                    b64(&good)
                ),
            ),
            ("garbage", "not.a.token".to_string()),
            ("api-key prefix only", "fnk_".to_string()),
        ];
        for (name, patch) in [
            ("expired", json!({"iat": now - 7200, "exp": now - 3600})),
            ("wrong audience", json!({"aud": "someone-else"})),
            ("wrong issuer", json!({"iss": "someone-else"})),
            ("wrong type", json!({"typ": "refresh"})),
        ] {
            let mut c = good.clone();
            for (k, v) in patch.as_object().expect("obj") {
                c[k] = v.clone();
            }
            cases.push((name, sign(&c, TEST_SECRET, Algorithm::HS256)));
        }
        // tampered: payload changed after signing
        let signed = sign(&good, TEST_SECRET, Algorithm::HS256);
        let p: Vec<&str> = signed.split('.').collect();
        let mut evil = good.clone();
        evil["sub"] = json!(uuid::Uuid::new_v4().to_string());
        cases.push(("tampered", format!("{}.{}.{}", p[0], b64(&evil), p[2])));
        for (name, token) in cases {
            let r = app.get("/me", &token).await;
            assert_eq!(r.status, 401, "{name} must be rejected");
        }
        let r = app.send(app.client.get(app.url("/me"))).await;
        assert_eq!(r.status, 401);
        assert!(r.headers.contains_key("www-authenticate"));
    }
);

db_test!(
    failed_logins_are_throttled_without_revealing_accounts,
    |app: TestApp| async move {
        let bad = |email: &str| {
            app.client
                .post(app.url("/auth/login"))
                .json(&json!({"email": email, "password": "wrong wrong wrong"}))
        };
        let unknown = app.send(bad("nobody@example.org")).await;
        let known = app.send(bad("admin@example.org")).await;
        assert_eq!(unknown.status, 401);
        assert_eq!(
            unknown.body, known.body,
            "the answer must not tell whether the account exists"
        );
        for _ in 0..4 {
            assert_eq!(app.send(bad("admin@example.org")).await.status, 401);
        }
        let r = app.send(bad("admin@example.org")).await;
        assert_eq!(r.status, 429);
        let retry: u64 = r.headers["retry-after"]
            .to_str()
            .expect("h")
            .parse()
            .expect("secs");
        assert!(retry > 0 && retry <= 900);
        // even the right password waits
        let r = app
            .send(
                app.client
                    .post(app.url("/auth/login"))
                    .json(&json!({"email": "admin@example.org", "password": PASSWORD})),
            )
            .await;
        assert_eq!(r.status, 429);
        let audit = app
            .get("/audit?action=auth.login_failed", &app.admin_token)
            .await;
        assert!(audit.body["items"].as_array().is_some_and(|a| a.len() >= 6));
        // cursor pagination: two pages of two, no overlap, newest first
        let p1 = app.get("/audit?limit=2", &app.admin_token).await;
        assert_eq!(p1.body["items"].as_array().map(|a| a.len()), Some(2));
        let cursor = p1.body["next_cursor"].as_str().expect("cursor").to_string();
        let p2 = app
            .get(&format!("/audit?limit=2&cursor={cursor}"), &app.admin_token)
            .await;
        assert_eq!(p2.body["items"].as_array().map(|a| a.len()), Some(2));
        assert_ne!(p1.body["items"][1]["id"], p2.body["items"][0]["id"]);
        assert!(p1.body["items"][1]["at"].as_str() >= p2.body["items"][0]["at"].as_str());
        // no secrets in the log
        assert!(!audit.body.to_string().contains("wrong wrong wrong"));
    }
);

db_test!(
    disabling_a_user_ends_their_sessions_and_keys,
    |app: TestApp| async move {
        let site = app.create_site("A").await;
        let (id, token) = app.user("fw@example.org", "fieldworker", &[site]).await;
        let key = app
            .post(
                "/api-keys",
                &token,
                json!({"name": "sync", "scopes": ["sites:read"]}),
            )
            .await;
        assert_eq!(key.status, 201);
        let secret = key.body["secret"].as_str().expect("secret").to_string();
        assert!(secret.starts_with("fnk_"));
        // a key acts for its user: the user's sites only
        app.create_site("B").await;
        let sites = app.get("/sites", &secret).await;
        assert_eq!(sites.status, 200);
        let ids: Vec<&str> = sites
            .body
            .as_array()
            .expect("sites")
            .iter()
            .filter_map(|s| s["id"].as_str())
            .collect();
        assert_eq!(ids, vec![site.to_string()]);
        let r = app
            .patch(
                &format!("/users/{id}"),
                &app.admin_token,
                json!({"active": false}),
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(app.get("/me", &token).await.status, 401);
        assert_eq!(app.get("/sites", &secret).await.status, 401);
        let r = app
            .send(
                app.client
                    .post(app.url("/auth/login"))
                    .json(&json!({"email": "fw@example.org", "password": PASSWORD})),
            )
            .await;
        assert_eq!(r.status, 401);
    }
);

db_test!(
    api_keys_are_narrowed_to_their_scopes,
    |app: TestApp| async move {
        let site = app.create_site("A").await;
        let (co, token) = app.user("co@example.org", "coordinator", &[site]).await;
        let key = app
            .post(
                "/api-keys",
                &token,
                json!({"name": "cal", "scopes": ["schedule:read"]}),
            )
            .await;
        assert_eq!(key.status, 201, "{}", key.body);
        // The key names the person it acts for.
        assert_eq!(key.body["user_id"], json!(co));
        let secret = key.body["secret"].as_str().expect("secret").to_string();
        let r = app.get("/sites", &secret).await;
        assert_eq!(r.status, 403);
        let r = app
            .post(
                "/api-keys",
                &token,
                json!({"name": "x", "scopes": ["admin"]}),
            )
            .await;
        assert_eq!(r.status, 422);
        let list = app.get("/api-keys", &token).await;
        assert_eq!(list.body.as_array().map(|a| a.len()), Some(1));
        assert!(list.body[0].get("secret").is_none());
        let id = key.body["id"].as_str().expect("id");
        assert_eq!(
            app.delete(&format!("/api-keys/{id}"), &token).await.status,
            204
        );
        assert_eq!(app.get("/me", &secret).await.status, 401);
    }
);
