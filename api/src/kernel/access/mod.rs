//! Who is calling, and what they may do.
//!
//! A caller is either a signed-in user (JWT access token) or an external app
//! (API key, `fnk_…`). Both resolve to a [`Principal`]: a user with a role,
//! the sites they are assigned to, and for API keys a narrowed set of scopes.
pub mod objects;
pub mod permissions;
pub mod rules;
pub mod tokens;

use chrono::Utc;
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QuerySelect, RelationTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::kernel::{error::ApiError, lang::Lang};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    Admin,
    Coordinator,
    Fieldworker,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<Role> {
        s.parse().ok()
    }
}

/// What an API key may do. A key never has more than the user who made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum Scope {
    #[serde(rename = "sites:read")]
    SitesRead,
    #[serde(rename = "notes:read")]
    NotesRead,
    #[serde(rename = "notes:write")]
    NotesWrite,
    #[serde(rename = "participants:read")]
    ParticipantsRead,
    #[serde(rename = "participants:write")]
    ParticipantsWrite,
    #[serde(rename = "schedule:read")]
    ScheduleRead,
    #[serde(rename = "schedule:write")]
    ScheduleWrite,
    #[serde(rename = "reports:read")]
    ReportsRead,
    /// Upload and replace interview transcripts (a transcription pipeline).
    #[serde(rename = "transcripts:write")]
    TranscriptsWrite,
    /// Download the project and CSV exports.
    #[serde(rename = "exports:read")]
    ExportsRead,
    /// Follow the change feed.
    #[serde(rename = "changes:read")]
    ChangesRead,
    #[serde(rename = "admin")]
    Admin,
}

impl Scope {
    /// Every scope, in the order the API documents them.
    pub const ALL: [Scope; 12] = [
        Scope::SitesRead,
        Scope::NotesRead,
        Scope::NotesWrite,
        Scope::ParticipantsRead,
        Scope::ParticipantsWrite,
        Scope::ScheduleRead,
        Scope::ScheduleWrite,
        Scope::ReportsRead,
        Scope::TranscriptsWrite,
        Scope::ExportsRead,
        Scope::ChangesRead,
        Scope::Admin,
    ];

    /// Its name on the wire (`notes:read`).
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// What it allows, in a sentence for the API's documentation.
    pub fn allows(self) -> &'static str {
        match self {
            Scope::SitesRead => "Read the clinics (sites) and their opening hours.",
            Scope::NotesRead => "Read and search field notes, their history, codings and coded passages.",
            Scope::NotesWrite => "Write, sync, change and delete field notes, and code them.",
            Scope::ParticipantsRead => "Read participants (pseudonyms only), their screenings, readiness and consents, and the readiness settings and instruments.",
            Scope::ParticipantsWrite => "Register and change participants, record screenings and consents.",
            Scope::ScheduleRead => "Read interviews, postponements, sessions, who is due, the waves, and calendar feeds.",
            Scope::ScheduleWrite => "Book, change, postpone, cancel and complete interviews, and run their sessions.",
            Scope::ReportsRead => "Read the fieldwork report and the methods paragraph.",
            Scope::TranscriptsWrite => "Upload and replace interview transcripts (a transcription pipeline).",
            Scope::ExportsRead => "Download the REFI-QDA project and the CSV files.",
            Scope::ChangesRead => "Follow the change feed: which objects changed on the key's sites, by id, in commit order.",
            Scope::Admin => "Manage the team, sites, settings and instruments, and read the audit log (an admin's key).",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub peer_researcher: bool,
    pub site_ids: Vec<Uuid>,
    pub session_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
    /// `None` for a signed-in user (every scope their role allows).
    pub scopes: Option<Vec<Scope>>,
    /// When the key or sign-in was last recorded as used.
    pub last_used_at: Option<chrono::DateTime<Utc>>,
    /// This sign-in passed the second factor.
    pub session_mfa: bool,
    /// The person's role must sign in with a second factor and this sign-in
    /// did not: they may only set one up until they do.
    pub second_factor_missing: bool,
}

impl Principal {
    /// A signed-in person with every scope their role allows, before any
    /// sign-in or key is attached.
    pub fn person(
        user_id: Uuid,
        email: String,
        display_name: String,
        role: Role,
        peer_researcher: bool,
        site_ids: Vec<Uuid>,
    ) -> Self {
        Principal {
            user_id,
            email,
            display_name,
            role,
            peer_researcher,
            site_ids,
            session_id: None,
            api_key_id: None,
            scopes: None,
            last_used_at: None,
            session_mfa: false,
            second_factor_missing: false,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether the caller is a coordinator or an admin, for the rules of
    /// one object (a note's author or a coordinator may edit it). Who may
    /// call an operation at all is the permission table's
    /// ([`permissions`]).
    pub fn require_coordinator(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin | Role::Coordinator => Ok(()),
            Role::Fieldworker => Err(ApiError::Forbidden(
                "Only a coordinator or an admin may do this.".into(),
            )),
        }
    }

    /// Admins see every site; everyone else only the sites they are assigned to.
    pub fn can_see_site(&self, site_id: Uuid) -> bool {
        self.is_admin() || self.site_ids.contains(&site_id)
    }

    /// The sites a list may include: `None` means all.
    pub fn visible_sites(&self) -> Option<&[Uuid]> {
        if self.is_admin() {
            None
        } else {
            Some(&self.site_ids)
        }
    }
}

pub async fn authenticate(
    read: &sea_orm::DatabaseConnection,
    jwt: &tokens::JwtKeys,
    token: &str,
) -> Result<Principal, ApiError> {
    let denied = || {
        ApiError::unauthorized(
            "The access token or API key is missing, invalid, expired or revoked.",
        )
    };
    let now = Utc::now();
    if let Some(secret) = token.strip_prefix(tokens::API_KEY_PREFIX) {
        if secret.is_empty() {
            return Err(denied());
        }
        let key = entity::api_key::Entity::find()
            .filter(entity::api_key::Column::KeyHash.eq(tokens::sha256_hex(token)))
            .filter(entity::api_key::Column::RevokedAt.is_null())
            .one(read)
            .await?
            .ok_or_else(denied)?;
        use entity::user as u;
        let rows: Vec<UserRow> = with_user(u::Entity::find().select_only())
            .filter(u::Column::Id.eq(key.user_id))
            .into_model()
            .all(read)
            .await?;
        let mut p = principal(&rows).ok_or_else(denied)?;
        p.api_key_id = Some(key.id);
        p.last_used_at = key.last_used_at;
        p.scopes = Some(serde_json::from_value(key.scopes.clone()).unwrap_or_default());
        // A key of a person whose role must use a second factor they have
        // not set up works only once they have.
        p.second_factor_missing = rules::factor_missing(read, p.user_id, p.role).await?;
        return Ok(p);
    }
    let claims = jwt.verify(token).ok_or_else(denied)?;
    // The sign-in, its user and the user's sites in one query: this runs on
    // every request.
    use entity::auth_session as s;
    let rows: Vec<SignedIn> = with_user(
        s::Entity::find()
            .select_only()
            .column(s::Column::ExpiresAt)
            .column(s::Column::RevokedAt)
            .column_as(s::Column::LastUsedAt, "session_last_used_at")
            .column(s::Column::Mfa)
            // The study's sign-in rules ride along: no second query.
            .column_as(
                sea_orm::sea_query::Expr::cust(rules::SECURITY_SUBQUERY),
                "security",
            )
            .join(JoinType::InnerJoin, s::Relation::User.def()),
    )
    .filter(s::Column::Id.eq(claims.sid))
    .into_model()
    .all(read)
    .await?;
    let live = rows.first().is_some_and(|r| {
        r.user.user_id == claims.sub && r.revoked_at.is_none() && r.expires_at > now
    });
    if !live {
        return Err(denied());
    }
    let (last_used_at, mfa, security) = rows
        .first()
        .map(|r| (r.last_used_at, r.mfa, r.security.clone()))
        .unwrap_or_default();
    let users: Vec<UserRow> = rows.into_iter().map(|r| r.user).collect();
    let mut p = principal(&users).ok_or_else(denied)?;
    p.session_id = Some(claims.sid);
    p.last_used_at = last_used_at;
    p.session_mfa = mfa;
    p.second_factor_missing = !mfa
        && rules::SecuritySettings::from_stored(security)
            .require_mfa_for
            .contains(&p.role);
    Ok(p)
}

/// Users to their sites (the entity declares only the other direction).
fn user_sites() -> sea_orm::RelationDef {
    use entity::{user as u, user_site as us};
    let to_user: sea_orm::RelationDef = us::Entity::belongs_to(u::Entity)
        .from(us::Column::UserId)
        .to(u::Column::Id)
        .into();
    to_user.rev()
}

/// `sel`, which has `users` in it, with the user's columns and one row per
/// site of the user (see [`UserRow`]).
fn with_user<E: EntityTrait>(sel: sea_orm::Select<E>) -> sea_orm::Select<E> {
    use entity::{user as u, user_site as us};
    sel.column_as(u::Column::Id, "user_id")
        .column(u::Column::Email)
        .column(u::Column::DisplayName)
        .column(u::Column::Role)
        .column(u::Column::PeerResearcher)
        .column(u::Column::Active)
        .column(us::Column::SiteId)
        .join(JoinType::LeftJoin, user_sites())
}

/// One row per site of a user (one with no site when they have none).
#[derive(FromQueryResult)]
struct UserRow {
    user_id: Uuid,
    email: String,
    display_name: String,
    role: String,
    peer_researcher: bool,
    active: bool,
    site_id: Option<Uuid>,
}

/// A sign-in's validity, with its user's rows.
struct SignedIn {
    expires_at: chrono::DateTime<Utc>,
    revoked_at: Option<chrono::DateTime<Utc>>,
    last_used_at: Option<chrono::DateTime<Utc>>,
    mfa: bool,
    /// The stored sign-in rules, if any.
    security: Option<serde_json::Value>,
    user: UserRow,
}

impl FromQueryResult for SignedIn {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> Result<Self, sea_orm::DbErr> {
        Ok(SignedIn {
            expires_at: res.try_get(pre, "expires_at")?,
            revoked_at: res.try_get(pre, "revoked_at")?,
            last_used_at: res.try_get(pre, "session_last_used_at")?,
            mfa: res.try_get(pre, "mfa")?,
            security: res.try_get(pre, "security")?,
            user: UserRow::from_query_result(res, pre)?,
        })
    }
}

/// The active user of `rows` with every scope; callers narrow it for API keys.
fn principal(rows: &[UserRow]) -> Option<Principal> {
    let user = rows.first().filter(|u| u.active)?;
    Some(Principal::person(
        user.user_id,
        user.email.clone(),
        user.display_name.clone(),
        Role::parse(&user.role)?,
        user.peer_researcher,
        rows.iter().filter_map(|r| r.site_id).collect(),
    ))
}

/// Who made a request and from where: what the audit log records.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub request_id: Option<String>,
    pub ip: Option<String>,
    /// The language the caller reads messages in (`Accept-Language`).
    pub lang: Lang,
    /// The browser or app as it names itself (`User-Agent`), for the list
    /// of a person's sign-ins: printable characters only, at most 512.
    pub user_agent: Option<String>,
}
