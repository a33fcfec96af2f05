use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CalendarFeeds {
    Table,
    Scope,
}

/// What a calendar feed serves: `mine` (the person's own interviews, as
/// every feed did before) or `sites` (every interview at the person's sites,
/// for a coordinator).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CalendarFeeds::Table)
                    .add_column(
                        ColumnDef::new(CalendarFeeds::Scope)
                            .text()
                            .not_null()
                            .default("mine"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CalendarFeeds::Table)
                    .drop_column(CalendarFeeds::Scope)
                    .to_owned(),
            )
            .await
    }
}
