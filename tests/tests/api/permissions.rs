//! Who may call what, written out by hand: every operation with the least
//! role a person needs and the scope an API key needs (or that no key may,
//! or that no caller is needed). Not derived from the service's permission
//! table (`api/src/kernel/access/permissions.rs`): when either changes without the
//! other, this fails. It checks the served OpenAPI document's security
//! requirements against the matrix, then calls every operation as a
//! fieldworker, a coordinator and an admin (and with keys), on both
//! databases.
use serde_json::{json, Value};

use crate::db_test;
use crate::helpers::TestApp;
use crate::interviews::s;

/// method, path, who: `public`; `any` (any caller, any key); `person X`
/// (a signed-in person of at least role X, no key); `X scope` (a person
/// of at least role X, or a key with that scope). F fieldworker, C
/// coordinator, A admin.
const MATRIX: &str = "
GET    /health                                        public
GET    /health/live                                   public
GET    /health/ready                                  public
POST   /api/v1/auth/login                             public
POST   /api/v1/auth/login/mfa                         public
POST   /api/v1/auth/refresh                           public
POST   /api/v1/auth/logout                            person F
POST   /api/v1/auth/invitations/check                 public
POST   /api/v1/auth/invitations/accept                public
POST   /api/v1/auth/password-reset                    public
POST   /api/v1/auth/password-reset/check              public
POST   /api/v1/auth/password-reset/confirm            public
GET    /api/v1/me                                     any
PATCH  /api/v1/me                                     person F
GET    /api/v1/me/interviews                          F schedule:read
GET    /api/v1/me/mfa                                 person F
DELETE /api/v1/me/mfa                                 person F
POST   /api/v1/me/mfa/totp                            person F
POST   /api/v1/me/mfa/totp/confirm                    person F
POST   /api/v1/me/mfa/recovery-codes                  person F
GET    /api/v1/me/sessions                            person F
DELETE /api/v1/me/sessions/{id}                       person F
GET    /api/v1/api-keys                               person F
POST   /api/v1/api-keys                               person F
DELETE /api/v1/api-keys/{id}                          person F
GET    /api/v1/calendar-feeds                         F schedule:read
POST   /api/v1/calendar-feeds                         person F
DELETE /api/v1/calendar-feeds/{id}                    person F
GET    /api/v1/calendar/{token}.ics                   public
GET    /api/v1/users                                  F admin
POST   /api/v1/users                                  A admin
GET    /api/v1/users/{id}                             F admin
PATCH  /api/v1/users/{id}                             A admin
POST   /api/v1/users/{id}/invitation                  A admin
DELETE /api/v1/users/{id}/mfa                         person A
DELETE /api/v1/users/{id}/sessions                    person A
DELETE /api/v1/users/{id}/credentials                 person A
GET    /api/v1/sites                                  F sites:read
POST   /api/v1/sites                                  A admin
GET    /api/v1/sites/{id}                             F sites:read
PATCH  /api/v1/sites/{id}                             A admin
GET    /api/v1/audit                                  A admin
GET    /api/v1/changes                                F changes:read
GET    /api/v1/webhooks                               A admin
POST   /api/v1/webhooks                               A admin
GET    /api/v1/webhooks/{id}                          A admin
PATCH  /api/v1/webhooks/{id}                          A admin
DELETE /api/v1/webhooks/{id}                          A admin
POST   /api/v1/webhooks/{id}/test                     A admin
GET    /api/v1/webhooks/{id}/deliveries               A admin
GET    /api/v1/settings/security                      A admin
PATCH  /api/v1/settings/security                     A admin
GET    /api/v1/settings/readiness                     F participants:read
PATCH  /api/v1/settings/readiness                     A admin
GET    /api/v1/settings/waves                         F schedule:read
PATCH  /api/v1/settings/waves                         A admin
GET    /api/v1/instruments                            F participants:read
POST   /api/v1/instruments                            A admin
GET    /api/v1/instruments/{id}                       F participants:read
PUT    /api/v1/instruments/{id}                       A admin
POST   /api/v1/instruments/{id}/versions              A admin
GET    /api/v1/participants                           F participants:read
POST   /api/v1/participants                           C participants:write
POST   /api/v1/participants/import                    C participants:write
GET    /api/v1/participants/due                       C schedule:read
GET    /api/v1/participants/{id}                      F participants:read
PATCH  /api/v1/participants/{id}                      C participants:write
GET    /api/v1/participants/{id}/screenings           F participants:read
POST   /api/v1/participants/{id}/screenings           F participants:write
GET    /api/v1/participants/{id}/readiness            F participants:read
GET    /api/v1/participants/{id}/consents             F participants:read
POST   /api/v1/participants/{id}/consents             F participants:write
POST   /api/v1/consents/{id}/withdraw                 C participants:write
GET    /api/v1/notes                                  F notes:read
POST   /api/v1/notes                                  F notes:write
POST   /api/v1/notes/sync                             F notes:write
GET    /api/v1/notes/{id}                             F notes:read
PATCH  /api/v1/notes/{id}                             F notes:write
DELETE /api/v1/notes/{id}                             F notes:write
GET    /api/v1/notes/{id}/history                     F notes:read
POST   /api/v1/notes/{id}/restore                     C notes:write
POST   /api/v1/notes/{id}/redact                      C notes:write
GET    /api/v1/notes/{id}/codings                     F notes:read
POST   /api/v1/notes/{id}/codings                     F notes:write
GET    /api/v1/codes                                  F notes:read
POST   /api/v1/codes                                  C notes:write
POST   /api/v1/codes/import                           C notes:write
PATCH  /api/v1/codes/{id}                             C notes:write
DELETE /api/v1/codes/{id}                             C notes:write
GET    /api/v1/codes/{id}/usage                       C notes:read
GET    /api/v1/codings                                C notes:read
PATCH  /api/v1/codings/{id}                           F notes:write
DELETE /api/v1/codings/{id}                           F notes:write
GET    /api/v1/passages                               C notes:read
GET    /api/v1/interviews                             F schedule:read
POST   /api/v1/interviews                             C schedule:write
POST   /api/v1/interviews/earlier                     C schedule:write
GET    /api/v1/interviews/{id}                        F schedule:read
PATCH  /api/v1/interviews/{id}                        F schedule:write
GET    /api/v1/interviews/{id}/postponements          F schedule:read
POST   /api/v1/interviews/{id}/postponements          F schedule:write
POST   /api/v1/interviews/{id}/cancel                 C schedule:write
POST   /api/v1/interviews/{id}/reopen                 C schedule:write
POST   /api/v1/interviews/{id}/sessions               F schedule:write
POST   /api/v1/interviews/{id}/sessions/{n}/end       F schedule:write
POST   /api/v1/interviews/{id}/complete               F schedule:write
GET    /api/v1/interviews/{id}/transcripts            F notes:read
POST   /api/v1/interviews/{id}/transcripts            C transcripts:write
POST   /api/v1/transcripts/docx-text                  C transcripts:write
GET    /api/v1/transcripts/{id}                       F notes:read
PUT    /api/v1/transcripts/{id}                       C transcripts:write
GET    /api/v1/transcripts/{id}/codings               F notes:read
POST   /api/v1/transcripts/{id}/codings               C notes:write
GET    /api/v1/reports/fieldwork                      C reports:read
GET    /api/v1/exports/project.qdpx                   C exports:read
GET    /api/v1/exports/codebook.qdc                   C exports:read
GET    /api/v1/exports/{kind}.csv                     C exports:read
";

#[derive(Debug, Clone, PartialEq)]
enum Who {
    Public,
    Any,
    Person(u8),
    Key(u8, String),
}

fn rank(r: &str) -> u8 {
    match r {
        "F" => 0,
        "C" => 1,
        "A" => 2,
        other => panic!("unknown role {other}"),
    }
}

fn matrix() -> Vec<(String, String, Who)> {
    MATRIX
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let who = match w[2..] {
                ["public"] => Who::Public,
                ["any"] => Who::Any,
                ["person", r] => Who::Person(rank(r)),
                [r, scope] => Who::Key(rank(r), scope.to_string()),
                _ => panic!("bad row {l}"),
            };
            (w[0].to_lowercase(), w[1].to_string(), who)
        })
        .collect()
}

/// The security requirement the document must declare for `who`.
fn declared(who: &Who) -> Value {
    match who {
        // Public: an explicit empty requirement, so generators and linters
        // know no credentials are needed.
        Who::Public => json!([]),
        Who::Any => json!([{ "bearer": [] }]),
        Who::Person(_) => json!([{ "person": [] }]),
        Who::Key(_, scope) => json!([{ "bearer": [scope] }]),
    }
}

fn fill(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{n}" => "1".to_string(),
            "{kind}.csv" => "notes.csv".to_string(),
            "{token}.ics" => "no-such-feed.ics".to_string(),
            s if s.starts_with('{') => uuid::Uuid::now_v7().to_string(),
            s => s.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A refusal for who the caller is, as opposed to what they sent or what
/// exists.
fn refused(r: &crate::helpers::Resp) -> Option<String> {
    let code = r.body["code"].as_str().unwrap_or_default();
    (r.status == 403 && matches!(code, "forbidden" | "not_for_api_keys" | "missing_scope"))
        .then(|| code.to_string())
}

db_test!(
    who_may_call_each_operation_is_as_written_here,
    |app: TestApp| async move {
        let rows = matrix();
        // 1. The document says what the matrix says, operation by operation,
        //    and has no operation the matrix lacks.
        let doc = app.get("/api/v1/openapi.json", "").await.body;
        let mut in_doc = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("item") {
                in_doc += 1;
                let row = rows
                    .iter()
                    .find(|(m, p, _)| m == method && p == path)
                    .unwrap_or_else(|| panic!("{method} {path} is not in this matrix"));
                assert_eq!(op["security"], declared(&row.2), "{method} {path}");
            }
        }
        assert_eq!(
            in_doc,
            rows.len(),
            "every row of the matrix is an operation"
        );

        // 2. Each role, over HTTP: refused below the least role, let through
        //    from it on (to a 404, a 422 or an answer: never a refusal of
        //    who the caller is).
        let a = app.create_site("Clinic A").await;
        let (_, fw) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let callers = [
            (0u8, fw.as_str()),
            (1, co.as_str()),
            (2, app.admin_token.as_str()),
        ];
        for (method, path, who) in &rows {
            // Signing out ends the token the rest of the test uses.
            if path == "/api/v1/auth/logout" {
                continue;
            }
            let least = match who {
                Who::Public | Who::Any => 0,
                Who::Person(r) | Who::Key(r, _) => *r,
            };
            for (rank, token) in callers {
                let m: reqwest::Method = method.to_uppercase().parse().expect("method");
                let mut req = app
                    .client
                    .request(m, app.url(&fill(path)))
                    .bearer_auth(token);
                if method != "get" {
                    req = req.json(&json!({}));
                }
                let r = app.send(req).await;
                let why = refused(&r);
                if rank < least {
                    assert_eq!(
                        why.as_deref(),
                        Some("forbidden"),
                        "{method} {path} as rank {rank}: {} {}",
                        r.status,
                        r.body
                    );
                } else {
                    assert!(
                        why.is_none(),
                        "{method} {path} as rank {rank}: {} {}",
                        r.status,
                        r.body
                    );
                }
            }
        }

        // 3. Keys: the admin's key with exactly the row's scope gets through;
        //    where only a person may, no key does.
        for (method, path, who) in &rows {
            let scope = match who {
                Who::Key(_, scope) => scope.clone(),
                Who::Person(_) => "sites:read".to_string(),
                Who::Public | Who::Any => continue,
            };
            let key = app
                .post(
                    "/api-keys",
                    &app.admin_token,
                    json!({"name": format!("{method} {path}"), "scopes": [scope]}),
                )
                .await;
            assert_eq!(key.status, 201, "{}", key.body);
            let key = s(&key.body["secret"]);
            let m: reqwest::Method = method.to_uppercase().parse().expect("method");
            let mut req = app
                .client
                .request(m, app.url(&fill(path)))
                .bearer_auth(&key);
            if method != "get" {
                req = req.json(&json!({}));
            }
            let r = app.send(req).await;
            match who {
                Who::Person(_) => assert_eq!(
                    refused(&r).as_deref(),
                    Some("not_for_api_keys"),
                    "{method} {path}: {}",
                    r.body
                ),
                _ => assert!(
                    refused(&r).is_none(),
                    "{method} {path} with key {scope}: {} {}",
                    r.status,
                    r.body
                ),
            }
        }
    }
);
