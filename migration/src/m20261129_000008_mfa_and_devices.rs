use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AuthSessions {
    Table,
    UserAgent,
    LastUsedAt,
    Mfa,
}

#[derive(DeriveIden)]
enum MfaTotp {
    Table,
    UserId,
    Secret,
    CreatedAt,
    ConfirmedAt,
    LastStep,
}

#[derive(DeriveIden)]
enum MfaRecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum MfaChallenges {
    Table,
    Id,
    UserId,
    TokenHash,
    UserAgent,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

/// Two-factor sign-in (TOTP with recovery codes, and the short-lived
/// challenge between the password and the code) and what the list of a
/// person's devices shows: each sign-in's user agent, last use, and whether
/// it passed the second factor.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for col in [
            ColumnDef::new(AuthSessions::UserAgent)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(AuthSessions::LastUsedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new(AuthSessions::Mfa)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuthSessions::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(MfaTotp::Table)
                    .col(
                        ColumnDef::new(MfaTotp::UserId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(MfaTotp::Secret).text().not_null())
                    .col(ts(MfaTotp::CreatedAt))
                    .col(ts_null(MfaTotp::ConfirmedAt))
                    .col(ColumnDef::new(MfaTotp::LastStep).big_integer().null())
                    .foreign_key(&mut to_user(
                        "fk_mfa_totp_user",
                        MfaTotp::Table,
                        MfaTotp::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MfaRecoveryCodes::Table)
                    .col(
                        ColumnDef::new(MfaRecoveryCodes::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(MfaRecoveryCodes::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(MfaRecoveryCodes::CodeHash)
                            .text()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ts(MfaRecoveryCodes::CreatedAt))
                    .col(ts_null(MfaRecoveryCodes::UsedAt))
                    .foreign_key(&mut to_user(
                        "fk_mfa_recovery_codes_user",
                        MfaRecoveryCodes::Table,
                        MfaRecoveryCodes::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mfa_recovery_codes_user")
                    .table(MfaRecoveryCodes::Table)
                    .col(MfaRecoveryCodes::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MfaChallenges::Table)
                    .col(
                        ColumnDef::new(MfaChallenges::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(MfaChallenges::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(MfaChallenges::TokenHash)
                            .text()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(MfaChallenges::UserAgent).text().null())
                    .col(ts(MfaChallenges::CreatedAt))
                    .col(ts(MfaChallenges::ExpiresAt))
                    .col(ts_null(MfaChallenges::UsedAt))
                    .foreign_key(&mut to_user(
                        "fk_mfa_challenges_user",
                        MfaChallenges::Table,
                        MfaChallenges::UserId,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            MfaChallenges::Table.into_iden(),
            MfaRecoveryCodes::Table.into_iden(),
            MfaTotp::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        for c in [
            AuthSessions::Mfa.into_iden(),
            AuthSessions::LastUsedAt.into_iden(),
            AuthSessions::UserAgent.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuthSessions::Table)
                        .drop_column(c)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
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

fn to_user(
    name: &str,
    table: impl IntoIden + 'static,
    col: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}
