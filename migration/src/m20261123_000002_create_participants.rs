use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Participants are known by pseudonym only: there is deliberately no column
/// for a name, phone number, address or national id.
#[derive(DeriveIden)]
enum Participants {
    Table,
    Id,
    SiteId,
    Pseudonym,
    PseudonymKey,
    TreatmentStartedOn,
    Status,
    Gender,
    AgeBand,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Sites {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Participants::Table)
                    .col(
                        ColumnDef::new(Participants::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Participants::SiteId).uuid().not_null())
                    .col(ColumnDef::new(Participants::Pseudonym).text().not_null())
                    // lower-cased pseudonym: unique in the study, case-insensitive
                    .col(
                        ColumnDef::new(Participants::PseudonymKey)
                            .text()
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Participants::TreatmentStartedOn)
                            .date()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Participants::Status).text().not_null())
                    .col(ColumnDef::new(Participants::Gender).text().null())
                    .col(ColumnDef::new(Participants::AgeBand).text().null())
                    .col(
                        ColumnDef::new(Participants::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Participants::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_participants_site")
                            .from(Participants::Table, Participants::SiteId)
                            .to(Sites::Table, Sites::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Participants::Table).to_owned())
            .await
    }
}
