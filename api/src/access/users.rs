//! The team: users, their roles, peer-researcher flag and sites.
use crate::kernel::field::{not_found, FieldProblem};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    access::password,
    interviews::{lifecycle, rules::InterviewStatus},
    kernel::{
        access::{Principal, Role},
        audit::Entry,
        ctx::Ctx,
        error::{ApiError, ApiResult, FieldError},
        lang::Lang,
        mail,
    },
};

pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub peer_researcher: bool,
    pub site_ids: Vec<Uuid>,
    pub password_hash: Option<String>,
    pub language: Lang,
}

pub async fn site_ids_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<Uuid>, sea_orm::DbErr> {
    Ok(entity::user_site::Entity::find()
        .filter(entity::user_site::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.site_id)
        .collect())
}

pub async fn email_taken(
    db: &impl ConnectionTrait,
    email: &str,
    except: Option<Uuid>,
) -> Result<bool, sea_orm::DbErr> {
    let mut q = entity::user::Entity::find().filter(entity::user::Column::Email.eq(email));
    if let Some(id) = except {
        q = q.filter(entity::user::Column::Id.ne(id));
    }
    Ok(q.one(db).await?.is_some())
}

pub async fn create(
    db: &impl ConnectionTrait,
    new: NewUser,
) -> Result<entity::user::Model, ApiError> {
    if email_taken(db, &new.email, None).await? {
        return Err(
            ApiError::conflict("email_taken", "A user with this email already exists.")
                .with("pointer", serde_json::json!("/email")),
        );
    }
    let now = Utc::now();
    let user = entity::user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(new.email),
        display_name: Set(new.display_name),
        role: Set(new.role.as_str().to_string()),
        peer_researcher: Set(new.peer_researcher),
        active: Set(true),
        password_hash: Set(new.password_hash),
        language: Set(new.language.as_str().to_string()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    set_sites(db, user.id, &new.site_ids).await?;
    Ok(user)
}

pub async fn set_sites(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    site_ids: &[Uuid],
) -> Result<(), sea_orm::DbErr> {
    entity::user_site::Entity::delete_many()
        .filter(entity::user_site::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let mut seen = std::collections::HashSet::new();
    for site_id in site_ids.iter().filter(|s| seen.insert(**s)) {
        entity::user_site::ActiveModel {
            user_id: Set(user_id),
            site_id: Set(*site_id),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// A plausible email address: something@something.something, no spaces.
pub fn valid_email(email: &str) -> bool {
    email.len() <= 254 && email.parse::<lettre::Address>().is_ok() && email.contains('.')
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub peer_researcher: bool,
    pub active: bool,
    pub site_ids: Vec<Uuid>,
    /// False until an invited user has set a password.
    pub has_password: bool,
    /// The language of the person's client and mail.
    pub language: Lang,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserOut {
    pub fn from_model(m: entity::user::Model, site_ids: Vec<Uuid>) -> Self {
        UserOut {
            id: m.id,
            email: m.email,
            display_name: m.display_name,
            role: Role::parse(&m.role).unwrap_or(Role::Fieldworker),
            peer_researcher: m.peer_researcher,
            active: m.active,
            site_ids,
            has_password: m.password_hash.is_some(),
            language: Lang::parse(&m.language),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A new team member. Without `password`, an invitation email with a
/// single-use link (valid 7 days) lets them choose one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    #[schema(example = "peer@example.org")]
    pub email: String,
    #[schema(example = "Kari", min_length = 1, max_length = 120)]
    pub display_name: String,
    pub role: Role,
    /// A researcher with lived experience; shown in the team list, never a lesser role.
    #[serde(default)]
    pub peer_researcher: bool,
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub site_ids: Vec<Uuid>,
    /// At least 12 characters. Leave out to send an invitation instead.
    #[schema(min_length = 12, max_length = 256)]
    pub password: Option<String>,
    /// The language of their client and mail (the invitation too); the
    /// inviter's language when left out.
    pub language: Option<Lang>,
}

/// Changes to a user; absent fields stay as they are. `active: false` ends
/// every sign-in of the user at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[schema(min_length = 1, max_length = 120)]
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub peer_researcher: Option<bool>,
    #[schema(max_items = 1000)]
    pub site_ids: Option<Vec<Uuid>>,
    pub active: Option<bool>,
    pub language: Option<Lang>,
    /// When disabling someone with open interviews: the person who takes
    /// their place in each (mailed to the interviewers, audited as
    /// `interview.hand_over`). They must be active at each interview's site
    /// and free at its time.
    pub hand_interviews_to: Option<Uuid>,
    /// When disabling someone with open interviews: disable them anyway and
    /// leave those interviews with them, to hand over one by one.
    #[serde(default)]
    pub keep_interviews: bool,
}

/// An open interview of a person being disabled, as the refusal lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StrandedInterview {
    pub id: Uuid,
    pub participant_id: Uuid,
    pub pseudonym: String,
    pub site_id: Uuid,
    pub status: InterviewStatus,
    pub scheduled_at: DateTime<Utc>,
}

fn check_display_name(errors: &mut Vec<FieldError>, name: &str) {
    crate::kernel::error::check_line(errors, "/display_name", Some(name), 1, 120);
}

/// The team: admins see everyone, others the members of their own sites
/// (and themselves). Site lists are cut to the sites the caller can see.
pub async fn team(db: &impl ConnectionTrait, p: &Principal) -> ApiResult<Vec<UserOut>> {
    let users = entity::user::Entity::find()
        .order_by_asc(entity::user::Column::DisplayName)
        .all(db)
        .await?;
    let links = entity::user_site::Entity::find().all(db).await?;
    let mut out = Vec::new();
    for u in users {
        let sites: Vec<Uuid> = links
            .iter()
            .filter(|l| l.user_id == u.id)
            .map(|l| l.site_id)
            .filter(|s| p.can_see_site(*s))
            .collect();
        if p.is_admin() || u.id == p.user_id || !sites.is_empty() {
            out.push(UserOut::from_model(u, sites));
        }
    }
    Ok(out)
}

/// One member of the team the caller can see, with the sites the caller
/// can see.
pub async fn get_user(db: &impl ConnectionTrait, p: &Principal, id: Uuid) -> ApiResult<UserOut> {
    let (user, sites) = visible_user(db, p, id).await?;
    let sites = sites.into_iter().filter(|s| p.can_see_site(*s)).collect();
    Ok(UserOut::from_model(user, sites))
}

/// The caller (the owner of the API key): their role and sites as signed in.
pub async fn me(db: &impl ConnectionTrait, p: &Principal) -> ApiResult<UserOut> {
    let user = entity::user::Entity::find_by_id(p.user_id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    Ok(UserOut::from_model(user, p.site_ids.clone()))
}

pub async fn visible_user(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: Uuid,
) -> ApiResult<(entity::user::Model, Vec<Uuid>)> {
    let user = entity::user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    let sites = site_ids_of(db, id).await?;
    let shares_site = sites.iter().any(|s| p.can_see_site(*s));
    if p.is_admin() || id == p.user_id || shares_site {
        Ok((user, sites))
    } else {
        Err(ApiError::NotFound("user"))
    }
}

/// Create a user (admin). Without a password, an invitation is emailed.
pub async fn create_user(cx: &Ctx<'_>, body: UserIn) -> ApiResult<UserOut> {
    let email = crate::access::auth::normalize_email(&body.email);
    let mut errors = Vec::new();
    if !crate::access::users::valid_email(&email) {
        errors.push(FieldError::new("/email", FieldProblem::Email));
    }
    check_display_name(&mut errors, &body.display_name);
    if let Some(pw) = &body.password {
        if let Err(e) = password::check_strength("/password", pw) {
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    crate::sites::check_exist(cx.read, "/site_ids", &body.site_ids).await?;
    let hash = match body.password {
        Some(pw) => Some(password::hash(pw).await?),
        None => None,
    };
    let invite = hash.is_none();
    let mut ch = cx.begin().await?;
    let user = crate::access::users::create(
        ch.db(),
        NewUser {
            email,
            display_name: body.display_name.trim().to_string(),
            role: body.role,
            peer_researcher: body.peer_researcher,
            site_ids: body.site_ids,
            password_hash: hash,
            language: body.language.unwrap_or(cx.lang),
        },
    )
    .await?;
    if invite {
        mail_invitation(&mut ch, &user).await?;
    }
    ch.audit(
        Entry::new("user.create", "user", user.id)
            .detail(serde_json::json!({"role": user.role, "invited": invite})),
    )
    .await?;
    let sites = crate::access::users::site_ids_of(ch.db(), user.id).await?;
    ch.commit().await?;
    Ok(UserOut::from_model(user, sites))
}

/// Change a user (admin). Disabling ends all their sessions.
pub async fn patch_user(cx: &Ctx<'_>, id: Uuid, body: UserPatch) -> ApiResult<UserOut> {
    let (user, _) = visible_user(cx.read, cx.p, id).await?;
    let mut errors = Vec::new();
    if let Some(n) = &body.display_name {
        check_display_name(&mut errors, n);
    }
    if user.id == cx.p.user_id
        && (body.active == Some(false) || body.role.is_some_and(|r| r != Role::Admin))
    {
        errors.push(FieldError::new(
            if body.active == Some(false) {
                "/active"
            } else {
                "/role"
            },
            FieldProblem::SelfLockout,
        ));
    }
    let disabling = body.active == Some(false) && user.active;
    if !disabling {
        if body.hand_interviews_to.is_some() {
            errors.push(FieldError::new(
                "/hand_interviews_to",
                FieldProblem::OnlyWhenDisabling,
            ));
        }
        if body.keep_interviews {
            errors.push(FieldError::new(
                "/keep_interviews",
                FieldProblem::OnlyWhenDisabling,
            ));
        }
    }
    if body.hand_interviews_to == Some(user.id) {
        errors.push(FieldError::new(
            "/hand_interviews_to",
            FieldProblem::HandOverToSelf,
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if let Some(ids) = &body.site_ids {
        crate::sites::check_exist(cx.read, "/site_ids", ids).await?;
    }
    let stranded = if disabling {
        lifecycle::open_of(cx.read, user.id).await?
    } else {
        Vec::new()
    };
    if !stranded.is_empty() {
        match body.hand_interviews_to {
            Some(to) => check_hand_over(cx.read, to, &stranded).await?,
            None if body.keep_interviews => {}
            None => return Err(strands(cx, &user, &stranded).await?),
        }
    }
    let mut ch = cx.begin().await?;
    let mut am: entity::user::ActiveModel = user.into();
    if let Some(n) = body.display_name {
        am.display_name = Set(n.trim().to_string());
    }
    if let Some(r) = body.role {
        am.role = Set(r.as_str().to_string());
    }
    if let Some(pr) = body.peer_researcher {
        am.peer_researcher = Set(pr);
    }
    if let Some(a) = body.active {
        am.active = Set(a);
    }
    if let Some(l) = body.language {
        am.language = Set(l.as_str().to_string());
    }
    am.updated_at = Set(Utc::now());
    let user = am.update(ch.db()).await?;
    if let Some(ids) = &body.site_ids {
        crate::access::users::set_sites(ch.db(), user.id, ids).await?;
    }
    if disabling {
        crate::access::auth::revoke_all_sessions(ch.db(), user.id, "user_disabled").await?;
    }
    let handed_to = body.hand_interviews_to.filter(|_| !stranded.is_empty());
    if let Some(to) = handed_to {
        for m in &stranded {
            lifecycle::hand_over_in(&mut ch, m, user.id, to).await?;
        }
    }
    ch.audit(
        Entry::new("user.update", "user", user.id).detail(serde_json::json!({
            "disabled": disabling,
            "open_interviews": stranded.len(),
            "handed_to": handed_to,
        })),
    )
    .await?;
    let sites = crate::access::users::site_ids_of(ch.db(), user.id).await?;
    ch.commit().await?;
    Ok(UserOut::from_model(user, sites))
}

/// The refusal of disabling someone who has open interviews, listing them
/// so the client can ask first.
async fn strands(
    cx: &Ctx<'_>,
    user: &entity::user::Model,
    open: &[entity::interview::Model],
) -> ApiResult<ApiError> {
    let names: std::collections::HashMap<Uuid, String> = entity::participant::Entity::find()
        .filter(
            entity::participant::Column::Id
                .is_in(open.iter().map(|m| m.participant_id).collect::<Vec<_>>()),
        )
        .all(cx.read)
        .await?
        .into_iter()
        .map(|p| (p.id, p.pseudonym))
        .collect();
    let list = open
        .iter()
        .map(|m| {
            Ok(StrandedInterview {
                id: m.id,
                participant_id: m.participant_id,
                pseudonym: names.get(&m.participant_id).cloned().unwrap_or_default(),
                site_id: m.site_id,
                status: InterviewStatus::parse(&m.status)?,
                scheduled_at: m.scheduled_at,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(ApiError::conflict(
        "has_open_interviews",
        format!(
            "{} is an interviewer of {} open {}. Hand them to someone else (`hand_interviews_to`), or keep them with {} to hand over one by one (`keep_interviews`).",
            user.display_name,
            list.len(),
            if list.len() == 1 { "interview" } else { "interviews" },
            user.display_name,
        ),
    )
    .with("interviews", serde_json::json!(list)))
}

/// The person taking over `open` is active at every one of their sites.
async fn check_hand_over(
    db: &impl ConnectionTrait,
    to: Uuid,
    open: &[entity::interview::Model],
) -> ApiResult<()> {
    let placed = crate::kernel::team::placed(db, &[to]).await?;
    let Some(person) = placed.users.get(&to) else {
        return Err(ApiError::field(
            "/hand_interviews_to",
            not_found("team_member"),
        ));
    };
    if open.iter().any(|m| !placed.at_site(to, m.site_id)) {
        return Err(ApiError::field(
            "/hand_interviews_to",
            FieldProblem::NoAccessToSite {
                name: person.display_name.clone(),
            },
        ));
    }
    Ok(())
}

/// A person's own settings; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    /// The language of the client and of the mail the person gets.
    pub language: Option<Lang>,
}

/// Change the caller's own settings (a signed-in person, not an API key).
pub async fn patch_me(cx: &Ctx<'_>, body: MePatch) -> ApiResult<UserOut> {
    let user = entity::user::Entity::find_by_id(cx.p.user_id)
        .one(cx.read)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    let mut am: entity::user::ActiveModel = user.into();
    if let Some(l) = body.language {
        am.language = Set(l.as_str().to_string());
    }
    am.updated_at = Set(Utc::now());
    let ch = cx.begin().await?;
    let user = am.update(ch.db()).await?;
    ch.audit(
        Entry::new("user.update_self", "user", user.id)
            .detail(serde_json::json!({"language": user.language})),
    )
    .await?;
    ch.commit().await?;
    Ok(UserOut::from_model(user, cx.p.site_ids.clone()))
}

/// Send an invitation again (admin): a new link, valid 7 days, in the
/// person's language; the links sent before stop working. Only for someone
/// who has not yet chosen a password and is not disabled.
pub async fn resend_invitation(cx: &Ctx<'_>, id: Uuid) -> ApiResult<()> {
    let (user, _) = visible_user(cx.read, cx.p, id).await?;
    if user.password_hash.is_some() {
        return Err(ApiError::conflict(
            "invitation_accepted",
            "This person has already chosen a password; they can reset it from the sign-in screen.",
        ));
    }
    if !user.active {
        return Err(ApiError::conflict(
            "user_disabled",
            "This person is disabled; enable them first.",
        ));
    }
    let mut ch = cx.begin().await?;
    {
        use entity::user_token::{Column, Entity};
        Entity::update_many()
            .col_expr(Column::UsedAt, sea_orm::sea_query::Expr::value(Utc::now()))
            .filter(Column::UserId.eq(user.id))
            .filter(Column::Purpose.eq(crate::access::auth::PURPOSE_INVITATION))
            .filter(Column::UsedAt.is_null())
            .exec(ch.db())
            .await?;
    }
    mail_invitation(&mut ch, &user).await?;
    ch.audit(Entry::new("user.invitation_resent", "user", user.id))
        .await?;
    ch.commit().await
}

/// A new invitation link (valid 7 days) mailed to `user` in their language,
/// in the change that invites them.
async fn mail_invitation(
    ch: &mut crate::kernel::ctx::Change<'_>,
    user: &entity::user::Model,
) -> ApiResult<()> {
    let token = crate::access::auth::create_user_token(
        ch.db(),
        user.id,
        crate::access::auth::PURPOSE_INVITATION,
        Duration::days(7),
    )
    .await?;
    let cx = ch.cx();
    ch.tell(
        &user.email,
        mail::invitation(
            Lang::parse(&user.language),
            &user.display_name,
            &cx.p.display_name,
            &format!("{}/#/accept?token={token}", cx.public_url),
        ),
    )
    .await?;
    Ok(())
}
