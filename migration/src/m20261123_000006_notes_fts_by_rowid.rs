use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite only: the full-text index becomes an external-content FTS5 table
/// keyed by the notes' rowid. A search then reads only the index's doclists
/// and looks notes up by rowid, instead of reading a stored copy of every
/// matching note's id (about 3x faster for common words at 100 000 notes).
/// The index keeps no copy of the text. After a manual `VACUUM` (which may
/// renumber rowids) rebuild it: `INSERT INTO notes_fts(notes_fts) VALUES('rebuild')`.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::on_sqlite(
            manager,
            &[
                "DROP TRIGGER IF EXISTS notes_fts_insert",
                "DROP TRIGGER IF EXISTS notes_fts_update",
                "DROP TRIGGER IF EXISTS notes_fts_delete",
                "DROP TABLE IF EXISTS notes_fts",
                "CREATE VIRTUAL TABLE notes_fts USING fts5(body, content = 'notes', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 0')",
                "CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN INSERT INTO notes_fts(rowid, body) VALUES (new.rowid, new.body); END",
                "CREATE TRIGGER notes_fts_update AFTER UPDATE OF body ON notes BEGIN INSERT INTO notes_fts(notes_fts, rowid, body) VALUES ('delete', old.rowid, old.body); INSERT INTO notes_fts(rowid, body) VALUES (new.rowid, new.body); END",
                "CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN INSERT INTO notes_fts(notes_fts, rowid, body) VALUES ('delete', old.rowid, old.body); END",
                "INSERT INTO notes_fts(notes_fts) VALUES ('rebuild')",
            ],
        )
        .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
