//! Who works where: the active team members among some people, with their
//! sites. Bookings, hand-overs and interview mail all ask it.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::kernel::access::Role;

/// Active team members and the sites each works at: who may hear about,
/// or be booked for, a site's interviews.
pub struct Placed {
    pub users: std::collections::HashMap<Uuid, entity::user::Model>,
    sites: std::collections::HashSet<(Uuid, Uuid)>,
}

impl Placed {
    /// `user` is active and may see `site` (admins see every site).
    pub fn at_site(&self, user: Uuid, site: Uuid) -> bool {
        self.users
            .get(&user)
            .is_some_and(|u| u.role == Role::Admin.as_str() || self.sites.contains(&(user, site)))
    }

    /// The sites `user` works at.
    pub fn sites_of(&self, user: Uuid) -> impl Iterator<Item = Uuid> + '_ {
        self.sites
            .iter()
            .filter(move |(u, _)| *u == user)
            .map(|(_, s)| *s)
    }
}

/// The active ones of `ids`, with their sites (two statements).
pub async fn placed(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Placed, sea_orm::DbErr> {
    let users = entity::user::Entity::find()
        .filter(entity::user::Column::Id.is_in(ids.to_vec()))
        .filter(entity::user::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let sites = entity::user_site::Entity::find()
        .filter(entity::user_site::Column::UserId.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.user_id, l.site_id))
        .collect();
    Ok(Placed { users, sites })
}
