//! Who may call each operation: the one table.
//!
//! Every operation of the API has one row here: the least role a signed-in
//! person needs, and whether an API key may call it, and with which scope.
//! The request middleware checks every caller against it before any
//! extractor runs, so no handler and no service checks a role or a scope
//! for an operation; the OpenAPI document's security requirements are
//! written from it (`app::startup::build_app_parts`); and the tests hold a
//! role × operation matrix written by hand against it
//! (`tests/tests/api/permissions.rs`).
//!
//! What one row cannot say lives with the object: another site's object
//! answers 404 (the site-scoped loaders, `kernel::scoped`), and the rules
//! about one object (a note's author may edit it; an interview's
//! interviewers run its sessions; who may read a transcript) stay in the
//! rules of that object.
use super::{Principal, Role, Scope};
use crate::kernel::error::ApiError;

/// Who may call an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: no caller is needed (signing in, the calendar feed behind
    /// its secret, health checks).
    Public,
    /// Any caller, a person or an API key with any scope (`GET /me`).
    AnyCaller,
    /// A signed-in person with at least this role; never an API key (the
    /// operation is about the person themself, or must be a person's act).
    Person(Role),
    /// A signed-in person with at least this role, or an API key that holds
    /// this scope and whose person has at least this role.
    Key(Role, Scope),
}

use Access::{AnyCaller, Key, Person, Public};
use Role::{Admin as A, Coordinator as C, Fieldworker as F};
use Scope::*;

/// Every operation: method, path template (as in the OpenAPI document),
/// who may call it.
pub const OPERATIONS: &[(&str, &str, Access)] = &[
    ("GET", "/health", Public),
    ("GET", "/health/live", Public),
    ("GET", "/health/ready", Public),
    // Signing in and out, invitations, password resets.
    ("POST", "/api/v1/auth/login", Public),
    ("POST", "/api/v1/auth/login/mfa", Public),
    ("POST", "/api/v1/auth/refresh", Public),
    ("POST", "/api/v1/auth/logout", Person(F)),
    ("POST", "/api/v1/auth/invitations/check", Public),
    ("POST", "/api/v1/auth/invitations/accept", Public),
    ("POST", "/api/v1/auth/password-reset", Public),
    ("POST", "/api/v1/auth/password-reset/check", Public),
    ("POST", "/api/v1/auth/password-reset/confirm", Public),
    // The caller themself.
    ("GET", "/api/v1/me", AnyCaller),
    ("PATCH", "/api/v1/me", Person(F)),
    ("GET", "/api/v1/me/interviews", Key(F, ScheduleRead)),
    ("GET", "/api/v1/me/mfa", Person(F)),
    ("DELETE", "/api/v1/me/mfa", Person(F)),
    ("POST", "/api/v1/me/mfa/totp", Person(F)),
    ("POST", "/api/v1/me/mfa/totp/confirm", Person(F)),
    ("POST", "/api/v1/me/mfa/recovery-codes", Person(F)),
    ("GET", "/api/v1/me/sessions", Person(F)),
    ("DELETE", "/api/v1/me/sessions/{id}", Person(F)),
    ("GET", "/api/v1/api-keys", Person(F)),
    ("POST", "/api/v1/api-keys", Person(F)),
    ("DELETE", "/api/v1/api-keys/{id}", Person(F)),
    ("GET", "/api/v1/calendar-feeds", Key(F, ScheduleRead)),
    // A feed's URL would outlive the key that made it.
    ("POST", "/api/v1/calendar-feeds", Person(F)),
    ("DELETE", "/api/v1/calendar-feeds/{id}", Person(F)),
    ("GET", "/api/v1/calendar/{token}.ics", Public),
    // The team and the study's settings.
    ("GET", "/api/v1/users", Key(F, Admin)),
    ("POST", "/api/v1/users", Key(A, Admin)),
    ("GET", "/api/v1/users/{id}", Key(F, Admin)),
    ("PATCH", "/api/v1/users/{id}", Key(A, Admin)),
    ("POST", "/api/v1/users/{id}/invitation", Key(A, Admin)),
    ("DELETE", "/api/v1/users/{id}/mfa", Person(A)),
    ("DELETE", "/api/v1/users/{id}/sessions", Person(A)),
    ("DELETE", "/api/v1/users/{id}/credentials", Person(A)),
    ("GET", "/api/v1/sites", Key(F, SitesRead)),
    ("POST", "/api/v1/sites", Key(A, Admin)),
    ("GET", "/api/v1/sites/{id}", Key(F, SitesRead)),
    ("PATCH", "/api/v1/sites/{id}", Key(A, Admin)),
    ("GET", "/api/v1/audit", Key(A, Admin)),
    ("GET", "/api/v1/changes", Key(F, ChangesRead)),
    ("GET", "/api/v1/webhooks", Key(A, Admin)),
    ("POST", "/api/v1/webhooks", Key(A, Admin)),
    ("GET", "/api/v1/webhooks/{id}", Key(A, Admin)),
    ("PATCH", "/api/v1/webhooks/{id}", Key(A, Admin)),
    ("DELETE", "/api/v1/webhooks/{id}", Key(A, Admin)),
    ("POST", "/api/v1/webhooks/{id}/test", Key(A, Admin)),
    ("GET", "/api/v1/webhooks/{id}/deliveries", Key(A, Admin)),
    ("GET", "/api/v1/settings/security", Key(A, Admin)),
    ("PATCH", "/api/v1/settings/security", Key(A, Admin)),
    (
        "GET",
        "/api/v1/settings/readiness",
        Key(F, ParticipantsRead),
    ),
    ("PATCH", "/api/v1/settings/readiness", Key(A, Admin)),
    ("GET", "/api/v1/settings/waves", Key(F, ScheduleRead)),
    ("PATCH", "/api/v1/settings/waves", Key(A, Admin)),
    ("GET", "/api/v1/instruments", Key(F, ParticipantsRead)),
    ("POST", "/api/v1/instruments", Key(A, Admin)),
    ("GET", "/api/v1/instruments/{id}", Key(F, ParticipantsRead)),
    ("PUT", "/api/v1/instruments/{id}", Key(A, Admin)),
    ("POST", "/api/v1/instruments/{id}/versions", Key(A, Admin)),
    // Participants, screening, readiness and consent.
    ("GET", "/api/v1/participants", Key(F, ParticipantsRead)),
    ("POST", "/api/v1/participants", Key(C, ParticipantsWrite)),
    (
        "POST",
        "/api/v1/participants/import",
        Key(C, ParticipantsWrite),
    ),
    ("GET", "/api/v1/participants/due", Key(C, ScheduleRead)),
    ("GET", "/api/v1/participants/{id}", Key(F, ParticipantsRead)),
    (
        "PATCH",
        "/api/v1/participants/{id}",
        Key(C, ParticipantsWrite),
    ),
    (
        "GET",
        "/api/v1/participants/{id}/screenings",
        Key(F, ParticipantsRead),
    ),
    (
        "POST",
        "/api/v1/participants/{id}/screenings",
        Key(F, ParticipantsWrite),
    ),
    (
        "GET",
        "/api/v1/participants/{id}/readiness",
        Key(F, ParticipantsRead),
    ),
    (
        "GET",
        "/api/v1/participants/{id}/consents",
        Key(F, ParticipantsRead),
    ),
    (
        "POST",
        "/api/v1/participants/{id}/consents",
        Key(F, ParticipantsWrite),
    ),
    (
        "POST",
        "/api/v1/consents/{id}/withdraw",
        Key(C, ParticipantsWrite),
    ),
    // Field notes and the codebook.
    ("GET", "/api/v1/notes", Key(F, NotesRead)),
    ("POST", "/api/v1/notes", Key(F, NotesWrite)),
    ("POST", "/api/v1/notes/sync", Key(F, NotesWrite)),
    ("GET", "/api/v1/notes/{id}", Key(F, NotesRead)),
    ("PATCH", "/api/v1/notes/{id}", Key(F, NotesWrite)),
    ("DELETE", "/api/v1/notes/{id}", Key(F, NotesWrite)),
    ("GET", "/api/v1/notes/{id}/history", Key(F, NotesRead)),
    ("POST", "/api/v1/notes/{id}/restore", Key(C, NotesWrite)),
    ("POST", "/api/v1/notes/{id}/redact", Key(C, NotesWrite)),
    ("GET", "/api/v1/notes/{id}/codings", Key(F, NotesRead)),
    ("POST", "/api/v1/notes/{id}/codings", Key(F, NotesWrite)),
    ("GET", "/api/v1/codes", Key(F, NotesRead)),
    ("POST", "/api/v1/codes", Key(C, NotesWrite)),
    ("POST", "/api/v1/codes/import", Key(C, NotesWrite)),
    ("PATCH", "/api/v1/codes/{id}", Key(C, NotesWrite)),
    ("DELETE", "/api/v1/codes/{id}", Key(C, NotesWrite)),
    ("GET", "/api/v1/codes/{id}/usage", Key(C, NotesRead)),
    ("GET", "/api/v1/codings", Key(C, NotesRead)),
    ("GET", "/api/v1/passages", Key(C, NotesRead)),
    ("PATCH", "/api/v1/codings/{id}", Key(F, NotesWrite)),
    ("DELETE", "/api/v1/codings/{id}", Key(F, NotesWrite)),
    // Interviews, their sessions and transcripts.
    ("GET", "/api/v1/interviews", Key(F, ScheduleRead)),
    ("POST", "/api/v1/interviews", Key(C, ScheduleWrite)),
    ("POST", "/api/v1/interviews/earlier", Key(C, ScheduleWrite)),
    ("GET", "/api/v1/interviews/{id}", Key(F, ScheduleRead)),
    ("PATCH", "/api/v1/interviews/{id}", Key(F, ScheduleWrite)),
    (
        "GET",
        "/api/v1/interviews/{id}/postponements",
        Key(F, ScheduleRead),
    ),
    (
        "POST",
        "/api/v1/interviews/{id}/postponements",
        Key(F, ScheduleWrite),
    ),
    (
        "POST",
        "/api/v1/interviews/{id}/cancel",
        Key(C, ScheduleWrite),
    ),
    (
        "POST",
        "/api/v1/interviews/{id}/reopen",
        Key(C, ScheduleWrite),
    ),
    (
        "POST",
        "/api/v1/interviews/{id}/sessions",
        Key(F, ScheduleWrite),
    ),
    (
        "POST",
        "/api/v1/interviews/{id}/sessions/{n}/end",
        Key(F, ScheduleWrite),
    ),
    (
        "POST",
        "/api/v1/interviews/{id}/complete",
        Key(F, ScheduleWrite),
    ),
    (
        "GET",
        "/api/v1/interviews/{id}/transcripts",
        Key(F, NotesRead),
    ),
    (
        "POST",
        "/api/v1/interviews/{id}/transcripts",
        Key(C, TranscriptsWrite),
    ),
    (
        "POST",
        "/api/v1/transcripts/docx-text",
        Key(C, TranscriptsWrite),
    ),
    ("GET", "/api/v1/transcripts/{id}", Key(F, NotesRead)),
    ("PUT", "/api/v1/transcripts/{id}", Key(C, TranscriptsWrite)),
    ("GET", "/api/v1/transcripts/{id}/codings", Key(F, NotesRead)),
    (
        "POST",
        "/api/v1/transcripts/{id}/codings",
        Key(C, NotesWrite),
    ),
    // Reports and exports.
    ("GET", "/api/v1/reports/fieldwork", Key(C, ReportsRead)),
    ("GET", "/api/v1/exports/project.qdpx", Key(C, ExportsRead)),
    ("GET", "/api/v1/exports/codebook.qdc", Key(C, ExportsRead)),
    ("GET", "/api/v1/exports/{kind}.csv", Key(C, ExportsRead)),
];

/// A request's method as the table files it (HEAD is a GET).
fn table_method(method: &str) -> &str {
    if method == "HEAD" {
        "GET"
    } else {
        method
    }
}

/// Who may call `method` `path` (a route template), if it is an operation.
pub fn access(method: &str, path: &str) -> Option<Access> {
    let method = table_method(method);
    OPERATIONS
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, a)| *a)
}

/// Whether `method` `path` needs no caller (or is no operation at all: the
/// answer is then 404 or 405, whoever asks).
pub fn is_public(method: &str, path: Option<&str>) -> bool {
    path.and_then(|p| access(method, p))
        .is_none_or(|a| a == Public)
}

fn rank(r: Role) -> u8 {
    match r {
        Role::Fieldworker => 0,
        Role::Coordinator => 1,
        Role::Admin => 2,
    }
}

fn role_refusal(least: Role) -> ApiError {
    ApiError::Forbidden(
        match least {
            Role::Admin => "Only an admin may do this.",
            _ => "Only a coordinator or an admin may do this.",
        }
        .into(),
    )
}

/// Refuses a caller the table does not let call `method` `path`: a key
/// where only a person may (403 `not_for_api_keys`), a key without the
/// scope (403 `missing_scope`), a role below the operation's (403
/// `forbidden`), and anyone at all for an operation missing from the table.
pub fn check(method: &str, path: Option<&str>, p: &Principal) -> Result<(), ApiError> {
    // No route here: the answer is 404 or 405, whoever asks.
    let Some(path) = path else {
        return Ok(());
    };
    // A handler that asks for its caller is an operation; one without a row
    // is refused until the table says who may call it (its tests fail
    // first: the table and the document must list the same operations).
    let Some(access) = access(method, path) else {
        return Err(ApiError::forbidden(
            "not_in_permission_table",
            "This operation has no row in the permission table, so nobody may call it.",
        ));
    };
    let keyed = p.scopes.as_ref();
    let least = match access {
        Public | AnyCaller => return Ok(()),
        Person(least) => {
            if keyed.is_some() {
                return Err(ApiError::forbidden(
                    "not_for_api_keys",
                    "This operation is for a signed-in person, not an API key.",
                ));
            }
            least
        }
        Key(least, scope) => {
            if keyed.is_some_and(|held| !held.contains(&scope)) {
                let name = serde_json::to_value(scope)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                return Err(ApiError::forbidden(
                    "missing_scope",
                    format!("This API key lacks the scope `{name}`, which this operation needs."),
                )
                .with("missing_scopes", serde_json::json!([name])));
            }
            least
        }
    };
    if rank(p.role) < rank(least) {
        return Err(role_refusal(least));
    }
    Ok(())
}

/// The operation's security requirement for the OpenAPI document: none
/// (`[]`) for a public one; `bearer` with the scope a key needs; `person`
/// where no key may.
pub fn security(access: Access) -> serde_json::Value {
    match access {
        Public => serde_json::json!([]),
        AnyCaller => serde_json::json!([{ "bearer": [] }]),
        Person(_) => serde_json::json!([{ "person": [] }]),
        Key(_, scope) => serde_json::json!([{ "bearer": [scope] }]),
    }
}

fn roles_from(least: Role) -> &'static str {
    match least {
        Role::Fieldworker => "anyone on the team (fieldworker, coordinator or admin)",
        Role::Coordinator => "a coordinator or an admin",
        Role::Admin => "an admin",
    }
}

/// Who may call an operation, in a sentence for its description.
pub fn who(access: Access) -> String {
    match access {
        Public => "**Access:** public; no credentials.".into(),
        AnyCaller => "**Access:** any signed-in person, or an API key with any scope.".into(),
        Person(least) => format!(
            "**Access:** {}, signed in; API keys are refused.",
            roles_from(least)
        ),
        Key(least, scope) => format!(
            "**Access:** {}, signed in; or an API key with the scope `{}` whose person is {}.",
            roles_from(least),
            scope.name(),
            roles_from(least)
        ),
    }
}

/// The scopes, each with what it allows and the operations that need it,
/// for the description of the `bearer` security scheme.
pub fn scopes_described() -> String {
    let mut out = String::from(
        "A signed-in person's access token, or an API key (`fnk_…`). A key holds scopes and never more than the role of the person who made it; an operation names the scope it needs in its description and in its `security` requirement.\n\n**Scopes**\n",
    );
    for scope in Scope::ALL {
        let ops: Vec<String> = OPERATIONS
            .iter()
            .filter(|(_, _, a)| matches!(a, Key(_, s) if *s == scope))
            .map(|(m, p, _)| format!("`{m} {}`", p.trim_start_matches("/api/v1")))
            .collect();
        out.push_str(&format!(
            "\n- `{}`: {} Needed by {}.",
            scope.name(),
            scope.allows(),
            ops.join(", ")
        ));
    }
    out
}

/// The least role, for the operation's description in the document.
pub fn least_role(access: Access) -> Option<Role> {
    match access {
        Public | AnyCaller => None,
        Person(r) | Key(r, _) => Some(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_one_row_and_every_row_an_operation() {
        let doc = crate::app::startup::api_doc();
        let ops: Vec<(&str, &str)> = doc
            .paths
            .paths
            .iter()
            .flat_map(|(path, item)| {
                crate::app::startup::operations(item).map(move |(m, _)| (m, path.as_str()))
            })
            .collect();
        for (method, path) in &ops {
            let rows = OPERATIONS
                .iter()
                .filter(|(m, p, _)| m == method && p == path)
                .count();
            assert_eq!(rows, 1, "{method} {path}: {rows} rows in the table");
        }
        for (method, path, _) in OPERATIONS {
            assert!(
                ops.contains(&(*method, *path)),
                "{method} {path} is in the table but is no operation"
            );
        }
    }

    #[test]
    fn roles_rank_and_keys_need_their_scope() {
        let mut p = Principal::person(
            uuid::Uuid::nil(),
            String::new(),
            String::new(),
            Role::Fieldworker,
            false,
            vec![],
        );
        assert!(check("POST", Some("/api/v1/notes"), &p).is_ok());
        assert!(check("POST", Some("/api/v1/codes"), &p).is_err());
        assert!(check("POST", Some("/api/v1/sites"), &p).is_err());
        p.role = Role::Coordinator;
        assert!(check("POST", Some("/api/v1/codes"), &p).is_ok());
        assert!(check("POST", Some("/api/v1/sites"), &p).is_err());
        p.scopes = Some(vec![Scope::NotesRead]);
        assert!(check("GET", Some("/api/v1/notes"), &p).is_ok());
        assert!(check("HEAD", Some("/api/v1/notes"), &p).is_ok());
        assert!(check("POST", Some("/api/v1/notes"), &p).is_err());
        assert!(check("GET", Some("/api/v1/api-keys"), &p).is_err());
        assert!(check("GET", Some("/api/v1/me"), &p).is_ok());
        assert!(is_public("POST", Some("/api/v1/auth/login")));
        p.role = Role::Admin;
        p.scopes = None;
        assert!(check("GET", Some("/api/v1/not-in-the-table"), &p).is_err());
        assert!(check("GET", None, &p).is_ok());
        assert!(!is_public("GET", Some("/api/v1/notes")));
    }
}
