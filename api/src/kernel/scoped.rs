//! Loading an object of a site for a caller: another site's object answers
//! 404, exactly as a missing one. Every table whose rows belong to a site
//! (participants, interviews, consents, screenings, notes, codings,
//! transcripts) is read by id through [`load`]; the codebook is the
//! study's, shared by every site, so codes are not. Also the participant
//! queries the services that act on a participant share (its row lock, its
//! consent in force).
use crate::kernel::field::not_found;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PrimaryKeyTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use crate::kernel::{
    access::Principal,
    error::{ApiError, ApiResult},
};

/// A table whose rows belong to one site.
pub trait SiteScoped: EntityTrait {
    /// The word a 404 uses.
    const WHAT: &'static str;
    fn site_of(m: &Self::Model) -> Uuid;
}

/// The object `id` when the caller may see its site. Another site's object
/// is "not found", exactly like a missing one: nothing leaks.
pub async fn load<E>(db: &impl ConnectionTrait, p: &Principal, id: Uuid) -> ApiResult<E::Model>
where
    E: SiteScoped,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    E::find_by_id(id)
        .one(db)
        .await?
        .filter(|m| p.can_see_site(E::site_of(m)))
        .ok_or(ApiError::NotFound(E::WHAT))
}

/// As [`load`], for an id given in a request body: a missing or hidden
/// object is an invalid field, named by `pointer`.
pub async fn load_field<E>(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: Uuid,
    pointer: &str,
) -> ApiResult<E::Model>
where
    E: SiteScoped,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    match load::<E>(db, p, id).await {
        Err(ApiError::NotFound(what)) => Err(ApiError::field(pointer, not_found(what))),
        other => other,
    }
}

impl SiteScoped for entity::note::Entity {
    const WHAT: &'static str = "note";
    fn site_of(m: &Self::Model) -> Uuid {
        m.site_id
    }
}

impl SiteScoped for entity::coding::Entity {
    const WHAT: &'static str = "coding";
    fn site_of(m: &Self::Model) -> Uuid {
        m.site_id
    }
}

impl SiteScoped for entity::transcript::Entity {
    const WHAT: &'static str = "transcript";
    fn site_of(m: &Self::Model) -> Uuid {
        m.site_id
    }
}

impl SiteScoped for entity::participant::Entity {
    const WHAT: &'static str = "participant";
    fn site_of(m: &Self::Model) -> Uuid {
        m.site_id
    }
}

impl SiteScoped for entity::interview::Entity {
    const WHAT: &'static str = "interview";
    fn site_of(m: &Self::Model) -> Uuid {
        m.site_id
    }
}

impl SiteScoped for entity::consent::Entity {
    const WHAT: &'static str = "consent";
    fn site_of(m: &Self::Model) -> Uuid {
        m.site_id
    }
}

/// Locks the participant's row until the change ends (PostgreSQL; on
/// SQLite the one writer already serialises), so a screening, consent,
/// session start or withdrawal of the same participant cannot interleave.
pub async fn lock_participant(
    txn: &DatabaseTransaction,
    id: Uuid,
) -> ApiResult<entity::participant::Model> {
    entity::participant::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(ApiError::NotFound("participant"))
}

/// The consent in force of a participant, if any.
pub async fn consent_in_force(
    db: &impl ConnectionTrait,
    participant: Uuid,
) -> ApiResult<Option<entity::consent::Model>> {
    Ok(entity::consent::Entity::find()
        .filter(entity::consent::Column::ParticipantId.eq(participant))
        .filter(entity::consent::Column::WithdrawnAt.is_null())
        .one(db)
        .await?)
}
