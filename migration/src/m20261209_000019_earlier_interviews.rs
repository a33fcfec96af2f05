use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Interviews {
    Table,
    EnteredLater,
    ScreeningNote,
}

/// Interviews held before the study used Fieldnotes (`POST
/// /interviews/earlier`): marked `entered_later`, with the team's own
/// words on how readiness was checked at the time (`screening_note`),
/// since no screening of Fieldnotes' stands behind them.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Interviews::Table)
                    .add_column(
                        ColumnDef::new(Interviews::EnteredLater)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Interviews::Table)
                    .add_column(ColumnDef::new(Interviews::ScreeningNote).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [Interviews::ScreeningNote, Interviews::EnteredLater] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Interviews::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
