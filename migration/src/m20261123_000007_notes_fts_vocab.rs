use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite only: the terms of the full-text index, so that a search for a word
/// as a prefix can be rewritten into the few whole terms that start with it.
/// FTS5 answers a prefix query by merging every matching doclist in memory;
/// whole terms it streams, which lets a search stop as soon as its page is
/// full.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::on_sqlite(
            manager,
            &["CREATE VIRTUAL TABLE IF NOT EXISTS notes_fts_vocab USING fts5vocab(notes_fts, row)"],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::on_sqlite(manager, &["DROP TABLE IF EXISTS notes_fts_vocab"]).await
    }
}
