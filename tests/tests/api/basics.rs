use serde_json::json;

use crate::db_test;
use crate::helpers::TestApp;

db_test!(health_answers_ok, |app: TestApp| async move {
    let r = app.send(app.client.get(app.url("/health"))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!({"status": "ok"}));
});

db_test!(
    malformed_requests_are_problems_naming_the_field,
    |app: TestApp| async move {
        let t = app.admin_token.clone();
        // unknown field
        let r = app
            .post(
                "/sites",
                &t,
                json!({"name": "A", "timezone": "Europe/Oslo", "colour": "red"}),
            )
            .await;
        assert_eq!(r.status, 422);
        assert_eq!(r.body["errors"][0]["pointer"], "/colour");
        // wrong type
        let r = app
            .post("/sites", &t, json!({"name": "A", "timezone": 5}))
            .await;
        assert_eq!(r.status, 422);
        assert_eq!(r.body["errors"][0]["pointer"], "/timezone");
        // missing field
        let r = app.post("/sites", &t, json!({"name": "A"})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.body["errors"][0]["pointer"], "/timezone");
        // nested
        let r = app
        .post("/sites", &t, json!({"name": "A", "timezone": "Europe/Oslo", "opening_hours": [{"start": "08:00", "end": "07:00"}]}))
        .await;
        assert_eq!(r.status, 422);
        assert_eq!(r.body["errors"][0]["pointer"], "/opening_hours/0/end");
        // bad timezone
        let r = app
            .post("/sites", &t, json!({"name": "A", "timezone": "Mars/Base"}))
            .await;
        assert_eq!(r.errors_pointer(), "/timezone");
        // malformed JSON
        let r = app
            .send(
                app.client
                    .post(app.url("/sites"))
                    .bearer_auth(&t)
                    .header("content-type", "application/json")
                    .body("{\"name\": "),
            )
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body["code"], "malformed_json");
        // not JSON at all
        let r = app
            .send(
                app.client
                    .post(app.url("/sites"))
                    .bearer_auth(&t)
                    .body("name=A"),
            )
            .await;
        assert_eq!(r.status, 415);
        // oversized
        let big = "x".repeat(5 * 1024 * 1024);
        let r = app
            .send(
                app.client
                    .post(app.url("/sites"))
                    .bearer_auth(&t)
                    .header("content-type", "application/json")
                    .body(format!("{{\"name\":\"{big}\"}}")),
            )
            .await;
        assert_eq!(r.status, 413);
        // malformed id in the path
        let r = app.get("/sites/not-a-uuid", &t).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.body["errors"][0]["pointer"], "/id");
        // bad query parameter
        let r = app.get("/audit?limit=abc", &t).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.body["errors"][0]["pointer"], "/limit");
        // unknown route, wrong method
        let r = app.get("/no/such/thing", &t).await;
        assert_eq!(r.status, 404);
        let r = app
            .send(app.client.put(app.url("/sites")).bearer_auth(&t))
            .await;
        assert_eq!(r.status, 405);
        assert_eq!(r.headers["allow"], "GET, POST");
    }
);

db_test!(
    sites_are_created_listed_and_changed,
    |app: TestApp| async move {
        let t = app.admin_token.clone();
        let id = app.create_site("Clinic A").await;
        let r = app
            .post(
                "/sites",
                &t,
                json!({"name": "Clinic A", "timezone": "Europe/Oslo"}),
            )
            .await;
        assert_eq!(r.status, 409);
        let r = app
            .patch(
                &format!("/sites/{id}"),
                &t,
                json!({"opening_hours": [{"start": "09:00", "end": "11:00"}]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["opening_hours"][0]["start"], "09:00");
        let r = app.get("/sites", &t).await;
        assert_eq!(r.body.as_array().map(|a| a.len()), Some(1));
        let audit = app.get("/audit?action=site.update", &t).await;
        assert_eq!(audit.body["items"][0]["object_id"], id.to_string());
    }
);

#[test]
fn client_lists_are_committed() {
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../web/app/js/lists.js"
    ))
    .unwrap_or_default();
    assert!(
        committed == fieldnotes::app::startup::client_lists_js(),
        "web/app/js/lists.js is out of date: run `cargo run -p openapi` and commit it"
    );
    for list in [
        "PostponeReason",
        "InterviewStatus",
        "Role",
        "Location",
        "FieldCode",
    ] {
        let needle = format!("\"{list}\": [");
        assert!(committed.contains(&needle), "{list} missing from lists.js");
    }
    assert!(committed.contains("export const FIELD_CODES = LISTS.FieldCode;"));
    assert!(committed.contains("\"outside_opening_hours\""));
    assert!(committed.contains("\"clinic_circumstances\""));
}

#[test]
fn openapi_document_is_committed() {
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi/openapi.json"
    ))
    .unwrap_or_default();
    let generated = fieldnotes::app::startup::api_doc_json();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date: run `cargo run -p openapi` and commit it"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).expect("json");
    assert!(doc["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.1")));
    assert!(doc["paths"]["/api/v1/auth/login"]["post"].is_object());
    // Every reference resolves (a type used only as a path parameter is not
    // registered by itself).
    fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x.as_str()) {
                        ("$ref", Some(r)) => out.push(r.to_string()),
                        _ => refs(x, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "unresolvable reference {r}"
        );
    }
}

db_test!(
    served_openapi_equals_committed_and_docs_are_offline,
    |app: TestApp| async move {
        let res = app
            .client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 200);
        let served = res.text().await.expect("text");
        assert_eq!(served, fieldnotes::app::startup::api_doc_json());
        let res = app
            .client
            .get(app.url("/docs/"))
            .send()
            .await
            .expect("docs");
        assert_eq!(res.status(), 200);
        let html = res.text().await.expect("html");
        assert!(html.contains("swagger"), "Swagger UI page expected");
        assert!(
            !html.contains("https://"),
            "the docs page must not load anything from elsewhere"
        );
    }
);
