use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{auth::Role, error::ApiError};

pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub peer_researcher: bool,
    pub site_ids: Vec<Uuid>,
    pub password_hash: Option<String>,
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

/// Those of `ids` who are active and may see `site` (admins see every
/// site): the people who may hear about, or be booked for, its interviews.
pub async fn active_at_site(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    site: Uuid,
) -> Result<Vec<entity::user::Model>, sea_orm::DbErr> {
    let at_site: Vec<Uuid> = entity::user_site::Entity::find()
        .filter(entity::user_site::Column::UserId.is_in(ids.to_vec()))
        .filter(entity::user_site::Column::SiteId.eq(site))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.user_id)
        .collect();
    Ok(entity::user::Entity::find()
        .filter(entity::user::Column::Id.is_in(ids.to_vec()))
        .filter(entity::user::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .filter(|u| u.role == Role::Admin.as_str() || at_site.contains(&u.id))
        .collect())
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
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}
