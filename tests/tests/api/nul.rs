//! A NUL character (U+0000) in any string the API takes is a 422 that names
//! the field, on SQLite and PostgreSQL alike (PostgreSQL cannot store NUL in
//! text, and its statement failed with a 500; SQLite stored it). The test
//! walks the served OpenAPI document: every string property of every JSON
//! body, and every query and path parameter.
use serde_json::{json, Value};

use crate::db_test;
use crate::helpers::TestApp;

const BAD: &str = "a\u{0}b";

/// Follows `$ref`s into `components/schemas`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> (&'a Value, Option<&'a str>) {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap_or_default();
            (&doc["components"]["schemas"][name], Some(name))
        }
        None => (schema, None),
    }
}

fn is_string(schema: &Value) -> bool {
    match &schema["type"] {
        Value::String(t) => t == "string",
        Value::Array(ts) => ts.iter().any(|t| t == "string"),
        _ => false,
    }
}

/// Every string a body of `schema` can hold, as the value that puts `BAD`
/// there and the pointer the 422 must name.
fn string_fields(doc: &Value, schema: &Value, seen: &mut Vec<String>) -> Vec<(Value, String)> {
    let (schema, name) = resolve(doc, schema);
    if let Some(name) = name {
        // A schema that holds itself (a tree) is walked once per path.
        if seen.iter().any(|n| n == name) || seen.len() > 6 {
            return Vec::new();
        }
        seen.push(name.to_string());
    }
    let mut out = Vec::new();
    if is_string(schema) {
        out.push((json!(BAD), String::new()));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for alt in schema[key].as_array().into_iter().flatten() {
            out.extend(string_fields(doc, alt, seen));
        }
    }
    if let Some(items) = schema.get("items") {
        for (v, p) in string_fields(doc, items, seen) {
            out.push((json!([v]), format!("/0{p}")));
        }
    }
    for (prop, sub) in schema["properties"].as_object().into_iter().flatten() {
        for (v, p) in string_fields(doc, sub, seen) {
            out.push((json!({ prop: v }), format!("/{prop}{p}")));
        }
    }
    if name.is_some() {
        seen.pop();
    }
    out
}

/// The path with each parameter filled in: a NUL for `bad_param`, else a
/// value of the right shape.
fn fill(path: &str, bad_param: Option<&str>) -> String {
    path.split('/')
        .map(|seg| {
            let (Some(open), Some(close)) = (seg.find('{'), seg.find('}')) else {
                return seg.to_string();
            };
            let name = &seg[open + 1..close];
            let value = match name {
                n if Some(n) == bad_param => "a%00b".to_string(),
                "n" => "1".to_string(),
                "kind" => "notes".to_string(),
                _ => uuid::Uuid::now_v7().to_string(),
            };
            format!("{}{value}{}", &seg[..open], &seg[close + 1..])
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn named(body: &Value, pointer: &str) -> bool {
    body["errors"]
        .as_array()
        .is_some_and(|es| es.iter().any(|e| e["pointer"] == pointer))
}

db_test!(
    a_nul_in_any_string_field_or_parameter_is_a_422_naming_it,
    |app: TestApp| async move {
        let doc = app.get("/api/v1/openapi.json", "").await.body;
        let (mut bodies, mut queries, mut paths) = (0, 0, 0);
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("item") {
                let m: reqwest::Method = method.to_uppercase().parse().expect("method");
                let send = |url: String, body: Option<Value>| {
                    let mut req = app
                        .client
                        .request(m.clone(), app.url(&url))
                        .bearer_auth(&app.admin_token)
                        // A well-formed precondition, so that no 428 comes
                        // before the body is looked at.
                        .header("If-Match", "\"1\"");
                    if let Some(b) = body {
                        req = req.json(&b);
                    }
                    app.send(req)
                };
                let params = op["parameters"].as_array().cloned().unwrap_or_default();
                for param in &params {
                    let name = param["name"].as_str().expect("name");
                    let (schema, _) = resolve(&doc, &param["schema"]);
                    match param["in"].as_str() {
                        Some("query") if is_string(schema) => {
                            let url = format!("{}?{name}=a%00b", fill(path, None));
                            let r = send(url.clone(), None).await;
                            assert!(
                                r.status == 422 && named(&r.body, &format!("/{name}")),
                                "{method} {url}: {} {}",
                                r.status,
                                r.body
                            );
                            queries += 1;
                        }
                        Some("path") => {
                            let url = fill(path, Some(name));
                            let r = send(url.clone(), None).await;
                            assert!(
                                matches!(r.status, 404 | 422),
                                "{method} {url}: {} {}",
                                r.status,
                                r.body
                            );
                            paths += 1;
                        }
                        _ => {}
                    }
                }
                let schema = &op["requestBody"]["content"]["application/json"]["schema"];
                if schema.is_null() {
                    continue;
                }
                for (body, pointer) in string_fields(&doc, schema, &mut Vec::new()) {
                    let url = fill(path, None);
                    let r = send(url.clone(), Some(body.clone())).await;
                    if path == "/api/v1/notes/sync" {
                        // Each note of a batch is judged alone: the note is
                        // `invalid`, naming its field, and the batch is 200.
                        let result = &r.body["results"][0];
                        let inner = pointer.strip_prefix("/notes").unwrap_or(&pointer);
                        assert!(
                            r.status == 200
                                && result["status"] == "invalid"
                                && named(&result["problem"], &format!("/notes{inner}")),
                            "{method} {url} {body}: {} {}",
                            r.status,
                            r.body
                        );
                    } else {
                        assert!(
                            r.status == 422 && named(&r.body, &pointer),
                            "{method} {url} {body}: {} {}",
                            r.status,
                            r.body
                        );
                    }
                    bodies += 1;
                }
            }
        }
        // The document has this much to walk (so the walk cannot pass by
        // finding nothing).
        assert!(bodies >= 150, "{bodies} body fields");
        assert!(queries >= 45, "{queries} query parameters");
        assert!(paths >= 45, "{paths} path parameters");
    }
);

db_test!(
    one_note_with_a_nul_does_not_block_a_sync_batch,
    |app: TestApp| async move {
        let site = app.create_site("Clinic A").await;
        let note = |body: &str| json!({"id": uuid::Uuid::new_v4(), "site_id": site, "observed_at": chrono::Utc::now().to_rfc3339(), "location": "waiting_room", "body": body});
        let batch = json!({"notes": [note("first"), note("second"), note(BAD)]});
        for _ in 0..2 {
            let r = app
                .post("/notes/sync", &app.admin_token, batch.clone())
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let statuses: Vec<&str> = r.body["results"]
                .as_array()
                .expect("results")
                .iter()
                .map(|x| x["status"].as_str().expect("status"))
                .collect();
            assert_eq!(statuses[2], "invalid", "{}", r.body);
            assert!(named(&r.body["results"][2]["problem"], "/notes/2/body"));
            assert!(statuses[..2]
                .iter()
                .all(|s| *s == "created" || *s == "unchanged"));
        }
        for n in &batch["notes"].as_array().expect("notes")[..2] {
            let id = n["id"].as_str().expect("id");
            assert_eq!(
                app.get(&format!("/notes/{id}"), &app.admin_token)
                    .await
                    .status,
                200
            );
        }
        // Sign-in, before any caller is known.
        let r = app
            .post(
                "/auth/login",
                "",
                json!({"email": "a\u{0}@example.org", "password": "x"}),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(named(&r.body, "/email"), "{}", r.body);
    }
);
