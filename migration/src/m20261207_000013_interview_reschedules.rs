use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every change of an interview's time that is not a postponement: a time
/// agreed for an interview whose time was to be agreed, or a plan changed
/// with no reason to report. Kept apart from the postponements, so that the
/// methods numbers count only what could not happen as planned.
#[derive(DeriveIden)]
enum InterviewReschedules {
    Table,
    Id,
    InterviewId,
    /// `NULL` when the time was to be agreed.
    PreviousScheduledAt,
    NewScheduledAt,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Interviews {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ts = |c: InterviewReschedules| {
            ColumnDef::new(c)
                .timestamp_with_time_zone()
                .not_null()
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table(InterviewReschedules::Table)
                    .col(
                        ColumnDef::new(InterviewReschedules::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(InterviewReschedules::InterviewId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InterviewReschedules::PreviousScheduledAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ts(InterviewReschedules::NewScheduledAt))
                    .col(
                        ColumnDef::new(InterviewReschedules::CreatedBy)
                            .uuid()
                            .null(),
                    )
                    .col(ts(InterviewReschedules::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_interview_reschedules_interview")
                            .from(
                                InterviewReschedules::Table,
                                InterviewReschedules::InterviewId,
                            )
                            .to(Interviews::Table, Interviews::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_interview_reschedules_interview")
                    .table(InterviewReschedules::Table)
                    .col(InterviewReschedules::InterviewId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(InterviewReschedules::Table).to_owned())
            .await
    }
}
