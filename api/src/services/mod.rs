//! Database work over `&impl ConnectionTrait`, so callers choose the
//! transaction. Multi-row writes always run in one transaction.
pub mod audit;
pub mod auth;
pub mod interviews;
pub mod note_writer;
pub mod notes;
pub mod outbox;
pub mod readiness;
pub mod search;
pub mod settings;
pub mod sites;
pub mod users;

use sea_orm::{ActiveModelTrait, DbBackend, EntityTrait, QueryTrait, Statement};

/// Multi-row inserts of `rows`, `per` rows a statement (SQLite takes at most
/// 32 766 parameters a statement).
pub fn insert_statements<A>(rows: &[A], per: usize, backend: DbBackend) -> Vec<Statement>
where
    A: ActiveModelTrait + Clone,
{
    rows.chunks(per)
        .map(|chunk| A::Entity::insert_many(chunk.to_vec()).build(backend))
        .collect()
}
