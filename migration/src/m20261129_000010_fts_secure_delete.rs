use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite only: the full-text index removes a deleted or changed text's
/// words at once (FTS5 `secure-delete`, SQLite 3.44+), instead of leaving
/// them in its segments until a merge. Redaction relies on it.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::on_sqlite(
            manager,
            &["INSERT INTO notes_fts(notes_fts, rank) VALUES ('secure-delete', 1)"],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::on_sqlite(
            manager,
            &["INSERT INTO notes_fts(notes_fts, rank) VALUES ('secure-delete', 0)"],
        )
        .await
    }
}
