use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// An interview of a participant in a wave. `scheduled_at`/`ends_at` hold the
/// last agreed time (while `postponed` it is "to be agreed"); `sequence` is
/// the calendar SEQUENCE, bumped on every change.
#[derive(DeriveIden)]
enum Interviews {
    Table,
    Id,
    ParticipantId,
    SiteId,
    Wave,
    ScheduledAt,
    EndsAt,
    DurationMinutes,
    Location,
    Note,
    Status,
    FirstScheduledAt,
    Sequence,
    CancelReason,
    CompletedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InterviewInterviewers {
    Table,
    InterviewId,
    UserId,
}

/// Every postponement, never overwritten.
#[derive(DeriveIden)]
enum Postponements {
    Table,
    Id,
    InterviewId,
    Reason,
    ReadinessReasons,
    PreviousScheduledAt,
    NewScheduledAt,
    Note,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InterviewSessions {
    Table,
    Id,
    InterviewId,
    N,
    StartedAt,
    EndedAt,
    StartedBy,
    ScreeningIds,
    Note,
    Recorded,
    RecordingLabel,
}

/// Secret calendar feed URLs; only a hash of the token is kept.
#[derive(DeriveIden)]
enum CalendarFeeds {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Participants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn ts(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn ts_null(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn fk(
    name: &str,
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Interviews::Table)
                    .col(
                        ColumnDef::new(Interviews::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Interviews::ParticipantId).uuid().not_null())
                    .col(ColumnDef::new(Interviews::SiteId).uuid().not_null())
                    .col(ColumnDef::new(Interviews::Wave).integer().not_null())
                    .col(ts(Interviews::ScheduledAt))
                    .col(ts(Interviews::EndsAt))
                    .col(
                        ColumnDef::new(Interviews::DurationMinutes)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Interviews::Location).text().null())
                    .col(ColumnDef::new(Interviews::Note).text().null())
                    .col(ColumnDef::new(Interviews::Status).text().not_null())
                    .col(ts(Interviews::FirstScheduledAt))
                    .col(ColumnDef::new(Interviews::Sequence).integer().not_null())
                    .col(ColumnDef::new(Interviews::CancelReason).text().null())
                    .col(ts_null(Interviews::CompletedAt))
                    .col(ColumnDef::new(Interviews::CreatedBy).uuid().null())
                    .col(ts(Interviews::CreatedAt))
                    .col(ts(Interviews::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_interviews_participant",
                        (Interviews::Table, Interviews::ParticipantId),
                        (Participants::Table, Participants::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_interviews_time", vec![Interviews::ScheduledAt]),
            (
                "ix_interviews_participant",
                vec![Interviews::ParticipantId, Interviews::Wave],
            ),
            (
                "ix_interviews_site_time",
                vec![Interviews::SiteId, Interviews::ScheduledAt],
            ),
        ] {
            let mut idx = Index::create()
                .name(name)
                .table(Interviews::Table)
                .to_owned();
            for c in cols {
                idx.col(c);
            }
            manager.create_index(idx).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(InterviewInterviewers::Table)
                    .col(
                        ColumnDef::new(InterviewInterviewers::InterviewId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InterviewInterviewers::UserId)
                            .uuid()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(InterviewInterviewers::InterviewId)
                            .col(InterviewInterviewers::UserId),
                    )
                    .foreign_key(&mut fk(
                        "fk_interview_interviewers_interview",
                        (
                            InterviewInterviewers::Table,
                            InterviewInterviewers::InterviewId,
                        ),
                        (Interviews::Table, Interviews::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_interview_interviewers_user",
                        (InterviewInterviewers::Table, InterviewInterviewers::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_interview_interviewers_user")
                    .table(InterviewInterviewers::Table)
                    .col(InterviewInterviewers::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Postponements::Table)
                    .col(
                        ColumnDef::new(Postponements::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Postponements::InterviewId).uuid().not_null())
                    .col(ColumnDef::new(Postponements::Reason).text().not_null())
                    .col(
                        ColumnDef::new(Postponements::ReadinessReasons)
                            .json()
                            .not_null(),
                    )
                    .col(ts(Postponements::PreviousScheduledAt))
                    .col(ts_null(Postponements::NewScheduledAt))
                    .col(ColumnDef::new(Postponements::Note).text().null())
                    .col(ColumnDef::new(Postponements::CreatedBy).uuid().null())
                    .col(ts(Postponements::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_postponements_interview",
                        (Postponements::Table, Postponements::InterviewId),
                        (Interviews::Table, Interviews::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_postponements_interview")
                    .table(Postponements::Table)
                    .col(Postponements::InterviewId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InterviewSessions::Table)
                    .col(
                        ColumnDef::new(InterviewSessions::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(InterviewSessions::InterviewId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(InterviewSessions::N).integer().not_null())
                    .col(ts(InterviewSessions::StartedAt))
                    .col(ts_null(InterviewSessions::EndedAt))
                    .col(ColumnDef::new(InterviewSessions::StartedBy).uuid().null())
                    .col(
                        ColumnDef::new(InterviewSessions::ScreeningIds)
                            .json()
                            .not_null(),
                    )
                    .col(ColumnDef::new(InterviewSessions::Note).text().null())
                    .col(
                        ColumnDef::new(InterviewSessions::Recorded)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InterviewSessions::RecordingLabel)
                            .text()
                            .null(),
                    )
                    .foreign_key(&mut fk(
                        "fk_interview_sessions_interview",
                        (InterviewSessions::Table, InterviewSessions::InterviewId),
                        (Interviews::Table, Interviews::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_interview_sessions_n")
                    .table(InterviewSessions::Table)
                    .col(InterviewSessions::InterviewId)
                    .col(InterviewSessions::N)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CalendarFeeds::Table)
                    .col(
                        ColumnDef::new(CalendarFeeds::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(CalendarFeeds::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(CalendarFeeds::TokenHash)
                            .text()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ts(CalendarFeeds::CreatedAt))
                    .col(ts_null(CalendarFeeds::RevokedAt))
                    .foreign_key(&mut fk(
                        "fk_calendar_feeds_user",
                        (CalendarFeeds::Table, CalendarFeeds::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            CalendarFeeds::Table.into_iden(),
            InterviewSessions::Table.into_iden(),
            Postponements::Table.into_iden(),
            InterviewInterviewers::Table.into_iden(),
            Interviews::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
