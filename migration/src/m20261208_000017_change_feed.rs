use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    ChangeType,
    FeedSeq,
}

/// The change feed (`GET /changes`) reads the audit log: an entry that
/// changed something an external app follows carries its change type
/// (`note.created`), written with the entry, and a feed number given after
/// its transaction committed (see `integrations::feed::sequence`).
///
/// The entries written before this migration get their change types here,
/// from the same table of actions the service uses today, and are numbered
/// by the first sequencer pass, oldest first.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .add_column(ColumnDef::new(AuditLog::ChangeType).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .add_column(ColumnDef::new(AuditLog::FeedSeq).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_feed_seq")
                    .table(AuditLog::Table)
                    .col(AuditLog::FeedSeq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // What the sequencer looks for: committed changes not yet numbered.
        // A partial index keeps it small (the same SQL on both databases).
        db.execute_unprepared(
            "CREATE INDEX idx_audit_log_unsequenced ON audit_log (id) \
             WHERE change_type IS NOT NULL AND feed_seq IS NULL",
        )
        .await?;
        for (action, change) in EARLIER {
            let q = Query::update()
                .table(AuditLog::Table)
                .value(AuditLog::ChangeType, *change)
                .and_where(Expr::col(Alias::new("action")).eq(*action))
                .to_owned();
            manager.exec_stmt(q).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_audit_log_unsequenced")
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_audit_log_feed_seq")
                    .table(AuditLog::Table)
                    .to_owned(),
            )
            .await?;
        for col in [AuditLog::FeedSeq, AuditLog::ChangeType] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditLog::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// The audit actions that were changes when this migration was written, and
/// their change types (a copy: a migration must not follow later edits of
/// the service's table, `kernel::audit::CHANGES`).
const EARLIER: &[(&str, &str)] = &[
    ("note.create", "note.created"),
    ("note.update", "note.updated"),
    ("note.delete", "note.deleted"),
    ("note.restore", "note.restored"),
    ("note.redact", "note.redacted"),
    ("participant.create", "participant.created"),
    ("participant.update", "participant.updated"),
    ("screening.create", "screening.recorded"),
    ("consent.create", "consent.given"),
    ("consent.withdraw", "consent.withdrawn"),
    ("interview.create", "interview.created"),
    ("interview.update", "interview.updated"),
    ("interview.reschedule", "interview.updated"),
    ("interview.hand_over", "interview.updated"),
    ("interview.reopen", "interview.updated"),
    ("interview.postpone", "interview.postponed"),
    ("interview.cancel", "interview.cancelled"),
    ("interview.complete", "interview.completed"),
    ("session.start", "session.started"),
    ("session.end", "session.ended"),
    ("transcript.create", "transcript.created"),
    ("transcript.update", "transcript.updated"),
    ("coding.create", "coding.created"),
    ("coding.place", "coding.updated"),
    ("coding.delete", "coding.deleted"),
];
