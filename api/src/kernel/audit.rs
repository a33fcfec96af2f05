//! The append-only audit log. Nothing updates or deletes its rows; the
//! admin reads it with filters and a cursor ([`list`]).
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::kernel::{
    access::{Principal, RequestMeta},
    error::ApiResult,
};

/// Every action the audit log records: the one list. The OpenAPI document
/// gives it as the schema `AuditAction` (so the client's pick list and its
/// words come from here), `GET /audit` refuses an action not in it, and a
/// test reads the source for every action written and checks this list
/// against it both ways.
pub const ACTIONS: &[&str] = &[
    "api_key.create",
    "api_key.revoke",
    "auth.invitation_accepted",
    "auth.login",
    "auth.login_failed",
    "auth.logout",
    "auth.mfa_challenge",
    "auth.mfa_failed",
    "auth.password_reset",
    "auth.password_reset_requested",
    "auth.refresh_reuse_detected",
    "auth.session_ended",
    "calendar_feed.create",
    "calendar_feed.read",
    "calendar_feed.revoke",
    "code.create",
    "code.delete",
    "code.import",
    "code.update",
    "coding.create",
    "coding.delete",
    "coding.list",
    "coding.place",
    "consent.create",
    "consent.list",
    "consent.refused",
    "consent.withdraw",
    "demo.load",
    "export.download",
    "instrument.create",
    "instrument.replace",
    "interview.cancel",
    "interview.complete",
    "interview.create",
    "interview.enter_earlier",
    "interview.hand_over",
    "interview.list",
    "interview.postpone",
    "interview.postponements",
    "interview.read",
    "interview.reopen",
    "interview.reschedule",
    "interview.update",
    "mfa.disabled",
    "mfa.enabled",
    "mfa.enrol_started",
    "mfa.recovery_codes_renewed",
    "note.create",
    "note.delete",
    "note.history",
    "note.list",
    "note.read",
    "note.redact",
    "note.restore",
    "note.update",
    "participant.create",
    "participant.import",
    "participant.due",
    "participant.list",
    "participant.read",
    "participant.update",
    "passage.list",
    "readiness.read",
    "readiness.refused",
    "report.fieldwork",
    "screening.create",
    "screening.list",
    "session.end",
    "session.refused",
    "session.start",
    "settings.security_update",
    "settings.update",
    "site.create",
    "site.update",
    "transcript.create",
    "transcript.list",
    "transcript.read",
    "transcript.update",
    "user.create",
    "user.create_admin",
    "user.credentials_ended",
    "user.invitation_resent",
    "user.mfa_reset",
    "user.sessions_ended",
    "user.update",
    "user.update_self",
    "webhook.create",
    "webhook.delete",
    "webhook.test",
    "webhook.turned_off",
    "webhook.update",
];

/// The actions that change what an external app follows, and the change
/// type each is in the change feed and in webhook deliveries
/// (`<object>.<verb>`, past tense). An entry of one of these actions is a
/// change: [`row`] writes its type with it, so a change is in the feed if
/// and only if it is in the audit log. A test holds this list to
/// [`ACTIONS`].
pub const CHANGES: &[(&str, &str)] = &[
    ("note.create", "note.created"),
    ("note.update", "note.updated"),
    ("note.delete", "note.deleted"),
    ("note.restore", "note.restored"),
    ("note.redact", "note.redacted"),
    ("participant.create", "participant.created"),
    ("participant.update", "participant.updated"),
    ("screening.create", "screening.recorded"),
    ("consent.create", "consent.given"),
    ("consent.withdraw", "consent.withdrawn"),
    ("interview.create", "interview.created"),
    ("interview.enter_earlier", "interview.created"),
    ("interview.update", "interview.updated"),
    ("interview.reschedule", "interview.updated"),
    ("interview.hand_over", "interview.updated"),
    ("interview.reopen", "interview.updated"),
    ("interview.postpone", "interview.postponed"),
    ("interview.cancel", "interview.cancelled"),
    ("interview.complete", "interview.completed"),
    ("session.start", "session.started"),
    ("session.end", "session.ended"),
    ("transcript.create", "transcript.created"),
    ("transcript.update", "transcript.updated"),
    ("coding.create", "coding.created"),
    ("coding.place", "coding.updated"),
    ("coding.delete", "coding.deleted"),
];

/// The event a webhook's "send a test event" delivers: in no feed.
pub const TEST_EVENT: &str = "webhook.test";

/// The change type of an audit action, if it is a change.
pub fn change_of(action: &str) -> Option<&'static str> {
    CHANGES.iter().find(|(a, _)| *a == action).map(|(_, c)| *c)
}

/// Every change type, each once, in the order of [`CHANGES`] (notes,
/// participants, interviews, transcripts, codings).
pub fn change_types() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = Vec::new();
    for (_, c) in CHANGES {
        if !all.contains(c) {
            all.push(c);
        }
    }
    all
}

/// One type of change: the schema `ChangeType`, from [`CHANGES`].
pub struct ChangeType;

impl utoipa::PartialSchema for ChangeType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(change_types()))
            .description(Some(
                "What happened: `<object>.<verb>`, e.g. `note.created`, `interview.postponed`.",
            ))
            .into()
    }
}

impl ToSchema for ChangeType {
    fn name() -> std::borrow::Cow<'static, str> {
        "ChangeType".into()
    }
}

/// One action of the audit log, one of [`ACTIONS`].
pub struct AuditAction;

impl utoipa::PartialSchema for AuditAction {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(ACTIONS.iter().copied()))
            .description(Some(
                "What was done: `<object>.<verb>`, e.g. `participant.read`, `note.update`.",
            ))
            .into()
    }
}

impl ToSchema for AuditAction {
    fn name() -> std::borrow::Cow<'static, str> {
        "AuditAction".into()
    }
}

/// Who did something: a principal (user or API key) or nobody yet (a login).
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
}

impl Actor {
    pub fn new(p: &Principal, meta: &RequestMeta) -> Self {
        Actor {
            user_id: Some(p.user_id),
            api_key_id: p.api_key_id,
            request_id: meta.request_id.clone(),
            ip: meta.ip.clone(),
        }
    }
    pub fn anonymous(meta: &RequestMeta) -> Self {
        Actor {
            user_id: None,
            api_key_id: None,
            request_id: meta.request_id.clone(),
            ip: meta.ip.clone(),
        }
    }
    pub fn system() -> Self {
        Actor::default()
    }
}

/// One entry. `detail` must never hold secrets or note bodies.
pub struct Entry<'a> {
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: Option<String>,
    pub site_id: Option<Uuid>,
    pub detail: Option<serde_json::Value>,
}

impl<'a> Entry<'a> {
    pub fn new(action: &'a str, object_type: &'a str, object_id: impl ToString) -> Self {
        Entry {
            action,
            object_type,
            object_id: Some(object_id.to_string()),
            site_id: None,
            detail: None,
        }
    }
    pub fn site(mut self, site_id: Option<Uuid>) -> Self {
        self.site_id = site_id;
        self
    }
    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }
}

/// The row of one entry.
pub fn row(actor: &Actor, entry: Entry<'_>) -> entity::audit_log::ActiveModel {
    entity::audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(Utc::now()),
        actor_user_id: Set(actor.user_id),
        actor_api_key_id: Set(actor.api_key_id),
        change_type: Set(change_of(entry.action).map(str::to_string)),
        feed_seq: Set(None),
        action: Set(entry.action.to_string()),
        object_type: Set(entry.object_type.to_string()),
        object_id: Set(entry.object_id),
        site_id: Set(entry.site_id),
        request_id: Set(actor.request_id.clone()),
        ip: Set(actor.ip.clone()),
        detail: Set(entry.detail),
    }
}

pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    entry: Entry<'_>,
) -> Result<(), sea_orm::DbErr> {
    entity::audit_log::Entity::insert(row(actor, entry))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries by this user.
    pub actor_user_id: Option<Uuid>,
    /// e.g. `auth.login_failed`, `note.update`.
    #[param(value_type = Option<AuditAction>)]
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub site_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryOut {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub actor_api_key_id: Option<Uuid>,
    #[schema(value_type = AuditAction)]
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub site_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
}

/// A page of audit entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryOut>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<Uuid>,
}

/// A page of the audit log, newest first, with the query's filters.
pub async fn list(db: &impl ConnectionTrait, q: &AuditQuery) -> ApiResult<AuditPage> {
    let limit = crate::kernel::ctx::limit(q.limit)?;
    use entity::audit_log::{Column, Entity};
    let mut sel = Entity::find().order_by_desc(Column::Id).limit(limit + 1);
    if let Some(v) = q.actor_user_id {
        sel = sel.filter(Column::ActorUserId.eq(v));
    }
    if let Some(v) = &q.action {
        if !ACTIONS.contains(&v.as_str()) {
            return Err(crate::kernel::error::ApiError::field(
                "/action",
                crate::kernel::field::FieldProblem::NotOneOf {
                    allowed: ACTIONS.iter().map(|a| a.to_string()).collect(),
                },
            ));
        }
        sel = sel.filter(Column::Action.eq(v.clone()));
    }
    if let Some(v) = &q.object_type {
        sel = sel.filter(Column::ObjectType.eq(v.clone()));
    }
    if let Some(v) = &q.object_id {
        sel = sel.filter(Column::ObjectId.eq(v.clone()));
    }
    if let Some(v) = q.site_id {
        sel = sel.filter(Column::SiteId.eq(v));
    }
    if let Some(v) = q.from {
        sel = sel.filter(Column::At.gte(v));
    }
    if let Some(v) = q.to {
        sel = sel.filter(Column::At.lt(v));
    }
    if let Some(c) = q.cursor {
        sel = sel.filter(Column::Id.lt(c));
    }
    let (rows, next_cursor) = crate::kernel::ctx::page(sel.all(db).await?, limit, |r| r.id);
    let items = rows
        .into_iter()
        .map(|r| AuditEntryOut {
            id: r.id,
            at: r.at,
            actor_user_id: r.actor_user_id,
            actor_api_key_id: r.actor_api_key_id,
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            site_id: r.site_id,
            request_id: r.request_id,
            ip: r.ip,
            detail: r.detail,
        })
        .collect();
    Ok(AuditPage { items, next_cursor })
}

#[cfg(test)]
mod actions_tests {
    use super::ACTIONS;
    use std::collections::BTreeSet;

    /// Every `"<word>.<word>"` string of the service's source outside this
    /// file, but file names.
    fn written() -> BTreeSet<String> {
        const FILES: &[&str] = &[
            "db", "html", "js", "json", "qde", "qdpx", "qdc", "csv", "ics", "txt", "xml", "rs",
        ];
        let mut found = BTreeSet::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("source dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("kernel/audit.rs")
                {
                    let text = std::fs::read_to_string(&path).expect("source");
                    for (i, lit) in text.split('"').enumerate() {
                        let Some((object, verb)) = lit.split_once('.') else {
                            continue;
                        };
                        let word = |s: &str| {
                            !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                        };
                        if i % 2 == 1 && word(object) && word(verb) && !FILES.contains(&verb) {
                            found.insert(lit.to_string());
                        }
                    }
                }
            }
        }
        found
    }

    #[test]
    fn the_list_of_actions_is_the_actions_written() {
        let listed: BTreeSet<String> = ACTIONS.iter().map(|a| a.to_string()).collect();
        assert_eq!(listed.len(), ACTIONS.len(), "an action listed twice");
        let written = written();
        let missing: Vec<_> = written.difference(&listed).collect();
        let unused: Vec<_> = listed.difference(&written).collect();
        assert!(
            missing.is_empty(),
            "written but not in kernel::audit::ACTIONS: {missing:?}"
        );
        assert!(
            unused.is_empty(),
            "in kernel::audit::ACTIONS but never written: {unused:?}"
        );
    }

    #[test]
    fn every_change_is_an_action_once() {
        let mut seen = BTreeSet::new();
        for (action, change) in super::CHANGES {
            assert!(ACTIONS.contains(action), "{action} is not an action");
            assert!(seen.insert(*action), "{action} listed twice");
            // a change is about the object its action is about
            let object = change.split_once('.').map(|(o, _)| o);
            assert_eq!(object, action.split_once('.').map(|(o, _)| o), "{change}");
        }
    }
}
