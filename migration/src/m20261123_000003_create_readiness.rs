use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One row per instrument version. A version that a screening used is never
/// changed: changes make a new version.
#[derive(DeriveIden)]
enum Instruments {
    Table,
    Id,
    Key,
    Version,
    Name,
    Kind,
    Definition,
    Builtin,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

/// Study-wide settings, one JSON document per key.
#[derive(DeriveIden)]
enum Settings {
    Table,
    Key,
    Value,
    UpdatedAt,
    UpdatedBy,
}

/// Append-only.
#[derive(DeriveIden)]
enum Screenings {
    Table,
    Id,
    ParticipantId,
    SiteId,
    InstrumentId,
    InstrumentKey,
    PerformedAt,
    PerformedBy,
    Responses,
    Total,
    Outcome,
    Reasons,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Consents {
    Table,
    Id,
    ParticipantId,
    SiteId,
    FormVersion,
    Method,
    Note,
    ObtainedBy,
    ObtainedAt,
    ScreeningIds,
    WithdrawnAt,
    WithdrawnBy,
    WithdrawReason,
    DataDecision,
}

#[derive(DeriveIden)]
enum Participants {
    Table,
    Id,
}

fn ts(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Instruments::Table)
                    .col(
                        ColumnDef::new(Instruments::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Instruments::Key).text().not_null())
                    .col(ColumnDef::new(Instruments::Version).integer().not_null())
                    .col(ColumnDef::new(Instruments::Name).text().not_null())
                    .col(ColumnDef::new(Instruments::Kind).text().not_null())
                    .col(ColumnDef::new(Instruments::Definition).json().not_null())
                    .col(ColumnDef::new(Instruments::Builtin).boolean().not_null())
                    .col(ColumnDef::new(Instruments::CreatedBy).uuid().null())
                    .col(ts(Instruments::CreatedAt))
                    .col(ts(Instruments::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_instruments_key_version")
                    .table(Instruments::Table)
                    .col(Instruments::Key)
                    .col(Instruments::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Settings::Table)
                    .col(
                        ColumnDef::new(Settings::Key)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Settings::Value).json().not_null())
                    .col(ts(Settings::UpdatedAt))
                    .col(ColumnDef::new(Settings::UpdatedBy).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Screenings::Table)
                    .col(
                        ColumnDef::new(Screenings::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Screenings::ParticipantId).uuid().not_null())
                    .col(ColumnDef::new(Screenings::SiteId).uuid().not_null())
                    .col(ColumnDef::new(Screenings::InstrumentId).uuid().not_null())
                    .col(ColumnDef::new(Screenings::InstrumentKey).text().not_null())
                    .col(ts(Screenings::PerformedAt))
                    .col(ColumnDef::new(Screenings::PerformedBy).uuid().null())
                    .col(ColumnDef::new(Screenings::Responses).json().not_null())
                    .col(ColumnDef::new(Screenings::Total).integer().null())
                    .col(ColumnDef::new(Screenings::Outcome).text().not_null())
                    .col(ColumnDef::new(Screenings::Reasons).json().not_null())
                    .col(ColumnDef::new(Screenings::Note).text().null())
                    .col(ts(Screenings::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_screenings_participant")
                            .from(Screenings::Table, Screenings::ParticipantId)
                            .to(Participants::Table, Participants::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_screenings_instrument")
                            .from(Screenings::Table, Screenings::InstrumentId)
                            .to(Instruments::Table, Instruments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_screenings_participant_time")
                    .table(Screenings::Table)
                    .col(Screenings::ParticipantId)
                    .col(Screenings::PerformedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_screenings_instrument")
                    .table(Screenings::Table)
                    .col(Screenings::InstrumentId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Consents::Table)
                    .col(ColumnDef::new(Consents::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Consents::ParticipantId).uuid().not_null())
                    .col(ColumnDef::new(Consents::SiteId).uuid().not_null())
                    .col(ColumnDef::new(Consents::FormVersion).text().not_null())
                    .col(ColumnDef::new(Consents::Method).text().not_null())
                    .col(ColumnDef::new(Consents::Note).text().null())
                    .col(ColumnDef::new(Consents::ObtainedBy).uuid().null())
                    .col(ts(Consents::ObtainedAt))
                    .col(ColumnDef::new(Consents::ScreeningIds).json().not_null())
                    .col(
                        ColumnDef::new(Consents::WithdrawnAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(Consents::WithdrawnBy).uuid().null())
                    .col(ColumnDef::new(Consents::WithdrawReason).text().null())
                    .col(ColumnDef::new(Consents::DataDecision).text().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_consents_participant")
                            .from(Consents::Table, Consents::ParticipantId)
                            .to(Participants::Table, Participants::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_consents_participant")
                    .table(Consents::Table)
                    .col(Consents::ParticipantId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Consents::Table.into_iden(),
            Screenings::Table.into_iden(),
            Settings::Table.into_iden(),
            Instruments::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
