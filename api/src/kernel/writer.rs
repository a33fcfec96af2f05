//! Where writes go: the write connection, and the group-commit writer that
//! takes notes and stand-alone audit entries (one fsync for many), on both
//! databases (`group` is `None` only where a tool writes without it).
use sea_orm::{DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use crate::{
    kernel::{
        audit::{self, Actor, Entry},
        error::{ApiError, ApiResult},
    },
    notes::{self, group_commit::NotesWriter, Applied, Batch, NoteIn},
};

#[derive(Clone)]
pub struct Writer {
    pub db: DatabaseConnection,
    pub group: Option<NotesWriter>,
}

impl Writer {
    /// One entry that belongs to no other write (a read, a sign-in), committed
    /// before this returns. It joins the notes writer's next group commit: one
    /// fsync for many entries, and on SQLite the read connections' page caches
    /// (which SQLite drops on every commit) are dropped once per group.
    pub async fn log(&self, actor: &Actor, entry: Entry<'_>) -> ApiResult<()> {
        match &self.group {
            Some(w) => w.record(vec![audit::row(actor, entry)]).await,
            None => Ok(audit::record(&self.db, actor, entry).await?),
        }
    }

    /// Creates the valid notes of a batch in one transaction. A note whose id
    /// exists with the same creation content is `Unchanged`; with other content
    /// it is rejected as a conflict. Safe against concurrent retries of the same
    /// id on both databases (insert-or-nothing, then compare).
    pub async fn notes(
        &self,
        user_id: Uuid,
        actor: Actor,
        notes: Vec<Result<NoteIn, ApiError>>,
    ) -> ApiResult<Vec<Applied>> {
        match &self.group {
            Some(w) => w.submit(user_id, actor, notes).await,
            None => {
                let batch = [Batch {
                    user_id,
                    actor,
                    notes,
                    audit: Vec::new(),
                }];
                let txn = self.db.begin().await?;
                let out = notes::apply_in(&txn, &batch).await?;
                txn.commit().await?;
                out.into_iter()
                    .next()
                    .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no result for a batch")))
            }
        }
    }
}
