use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Transcripts {
    Table,
    Id,
    InterviewId,
    SiteId,
    ParticipantId,
    SessionNumber,
    Language,
    Body,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TranscriptVersions {
    Table,
    Id,
    TranscriptId,
    Version,
    Body,
    ChangedBy,
    ChangedAt,
}

#[derive(DeriveIden)]
enum Codings {
    Table,
    Id,
    CodeId,
    SiteId,
    NoteId,
    TranscriptId,
    StartPos,
    EndPos,
    Quote,
    Anchored,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Interviews {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Notes {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Codes {
    Table,
    Id,
}

fn ts(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn uuid(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).uuid().not_null().to_owned()
}

fn index(name: &str, table: impl IntoIden + 'static, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(c);
    }
    i.to_owned()
}

/// Interview transcripts (de-identified plain text, versioned like notes)
/// and passage codings: a code on a span of a note or a transcript, in
/// Unicode code points, with the quoted words kept so an edit can move the
/// coding or mark it unanchored instead of pointing it at other words.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Transcripts::Table)
                    .col(uuid(Transcripts::Id).primary_key())
                    .col(uuid(Transcripts::InterviewId))
                    .col(uuid(Transcripts::SiteId))
                    .col(uuid(Transcripts::ParticipantId))
                    .col(ColumnDef::new(Transcripts::SessionNumber).integer().null())
                    .col(ColumnDef::new(Transcripts::Language).text().not_null())
                    .col(ColumnDef::new(Transcripts::Body).text().not_null())
                    .col(ColumnDef::new(Transcripts::Version).integer().not_null())
                    .col(ColumnDef::new(Transcripts::CreatedBy).uuid().null())
                    .col(ts(Transcripts::CreatedAt))
                    .col(ts(Transcripts::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_transcripts_interview")
                            .from(Transcripts::Table, Transcripts::InterviewId)
                            .to(Interviews::Table, Interviews::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_transcripts_interview",
                Transcripts::Table,
                vec![Transcripts::InterviewId.into_iden()],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_transcripts_site",
                Transcripts::Table,
                vec![Transcripts::SiteId.into_iden(), Transcripts::Id.into_iden()],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TranscriptVersions::Table)
                    .col(uuid(TranscriptVersions::Id).primary_key())
                    .col(uuid(TranscriptVersions::TranscriptId))
                    .col(
                        ColumnDef::new(TranscriptVersions::Version)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(TranscriptVersions::Body).text().not_null())
                    .col(ColumnDef::new(TranscriptVersions::ChangedBy).uuid().null())
                    .col(ts(TranscriptVersions::ChangedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_transcript_versions_transcript")
                            .from(TranscriptVersions::Table, TranscriptVersions::TranscriptId)
                            .to(Transcripts::Table, Transcripts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "idx_transcript_versions_unique",
                    TranscriptVersions::Table,
                    vec![
                        TranscriptVersions::TranscriptId.into_iden(),
                        TranscriptVersions::Version.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Codings::Table)
                    .col(uuid(Codings::Id).primary_key())
                    .col(uuid(Codings::CodeId))
                    .col(uuid(Codings::SiteId))
                    .col(ColumnDef::new(Codings::NoteId).uuid().null())
                    .col(ColumnDef::new(Codings::TranscriptId).uuid().null())
                    .col(ColumnDef::new(Codings::StartPos).integer().not_null())
                    .col(ColumnDef::new(Codings::EndPos).integer().not_null())
                    .col(ColumnDef::new(Codings::Quote).text().not_null())
                    .col(
                        ColumnDef::new(Codings::Anchored)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(ColumnDef::new(Codings::CreatedBy).uuid().null())
                    .col(ts(Codings::CreatedAt))
                    .col(ts(Codings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_codings_code")
                            .from(Codings::Table, Codings::CodeId)
                            .to(Codes::Table, Codes::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_codings_note")
                            .from(Codings::Table, Codings::NoteId)
                            .to(Notes::Table, Notes::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_codings_transcript")
                            .from(Codings::Table, Codings::TranscriptId)
                            .to(Transcripts::Table, Transcripts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_codings_note", Codings::NoteId),
            ("idx_codings_transcript", Codings::TranscriptId),
            ("idx_codings_code", Codings::CodeId),
        ] {
            manager
                .create_index(index(name, Codings::Table, vec![col.into_iden()]))
                .await?;
        }
        manager
            .create_index(index(
                "idx_codings_unanchored",
                Codings::Table,
                vec![Codings::SiteId.into_iden(), Codings::Anchored.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Codings::Table.into_iden(),
            TranscriptVersions::Table.into_iden(),
            Transcripts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
