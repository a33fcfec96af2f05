//! Every operation of the OpenAPI document, called with an API key of each
//! single scope: outside the scopes the operation declares, the answer is
//! 403 before anything else (the body is not even read), never a 2xx.
use serde_json::{json, Value};

use crate::db_test;
use crate::helpers::TestApp;
use crate::interviews::s;

/// The scopes an operation accepts keys with: one list per way in (all of
/// a list needed), none when it is for a signed-in person only. `None` for
/// a public operation.
/// The scope sets that let a key call `op` (none for a person's own); `None`
/// for a public operation (`security: []`).
fn ways(op: &Value) -> Option<Vec<Vec<String>>> {
    let reqs = op["security"].as_array().filter(|r| !r.is_empty())?;
    Some(
        reqs.iter()
            .filter_map(|r| r.get("bearer"))
            .map(|scopes| scopes.as_array().expect("scopes").iter().map(s).collect())
            .collect(),
    )
}

db_test!(
    every_operation_refuses_a_key_without_its_scope,
    |app: TestApp| async move {
        let doc = app.get("/api/v1/openapi.json", "").await.body;
        let scopes: Vec<String> = doc["components"]["schemas"]["Scope"]["enum"]
            .as_array()
            .expect("the Scope enum")
            .iter()
            .map(s)
            .collect();
        assert!(scopes.len() >= 9, "{scopes:?}");
        let mut refused = 0;
        let mut let_through = 0;
        for scope in &scopes {
            // The admin's own key: the role allows everything, so only the
            // scope can stop it.
            let key = app
                .post(
                    "/api-keys",
                    &app.admin_token,
                    json!({"name": format!("only {scope}"), "scopes": [scope]}),
                )
                .await;
            assert_eq!(key.status, 201, "{}", key.body);
            let key = s(&key.body["secret"]);
            for (path, item) in doc["paths"].as_object().expect("paths") {
                for (method, op) in item.as_object().expect("item") {
                    let Some(ways) = ways(op) else { continue };
                    let url = path
                        .split('/')
                        .map(|seg| {
                            if seg.starts_with('{') {
                                if seg == "{n}" {
                                    "1".to_string()
                                } else if seg == "{kind}.csv" {
                                    "notes.csv".to_string()
                                } else {
                                    uuid::Uuid::now_v7().to_string()
                                }
                            } else {
                                seg.to_string()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("/");
                    let m: reqwest::Method = method.to_uppercase().parse().expect("method");
                    let mut req = app.client.request(m, app.url(&url)).bearer_auth(&key);
                    if method != "get" {
                        req = req.json(&json!({}));
                    }
                    let r = app.send(req).await;
                    let allowed = ways.iter().any(|need| need.iter().all(|n| n == scope));
                    let code = r.body["code"].as_str().unwrap_or_default();
                    let scope_refusal =
                        r.status == 403 && (code == "missing_scope" || code == "not_for_api_keys");
                    if allowed {
                        assert!(
                            !scope_refusal,
                            "{method} {path} refused a key with `{scope}`: {}",
                            r.body
                        );
                        let_through += 1;
                    } else {
                        assert!(
                            scope_refusal,
                            "{method} {path} with only `{scope}` answered {} {}",
                            r.status, r.body
                        );
                        refused += 1;
                    }
                }
            }
        }
        // Every scope opens something, and most operations stay shut to it.
        assert!(let_through >= scopes.len(), "{let_through}");
        assert!(refused > 400, "{refused}");
    }
);
