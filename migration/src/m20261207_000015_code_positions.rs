use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Codes {
    Table,
    Position,
}

/// The order the team gives its codes (Table 1's order, not alphabetical):
/// a code's place among its siblings, from 0. The codes there were are
/// numbered in the order they were listed before, by name.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Codes::Table)
                    .add_column(
                        ColumnDef::new(Codes::Position)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE codes SET position = (SELECT COUNT(*) FROM codes AS o \
                 WHERE ((o.parent_id IS NULL AND codes.parent_id IS NULL) OR o.parent_id = codes.parent_id) \
                 AND (lower(o.name) < lower(codes.name) OR (lower(o.name) = lower(codes.name) AND o.id < codes.id)))",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Codes::Table)
                    .drop_column(Codes::Position)
                    .to_owned(),
            )
            .await
    }
}
