use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sites {
    Table,
    Id,
    Name,
    Timezone,
    OpeningHours,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    DisplayName,
    Role,
    PeerResearcher,
    Active,
    PasswordHash,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserSites {
    Table,
    UserId,
    SiteId,
}

#[derive(DeriveIden)]
enum AuthSessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    RevokedReason,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    SessionId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum UserTokens {
    Table,
    Id,
    UserId,
    Purpose,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    UserId,
    Name,
    Prefix,
    KeyHash,
    Scopes,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorUserId,
    ActorApiKeyId,
    Action,
    ObjectType,
    ObjectId,
    SiteId,
    RequestId,
    Ip,
    Detail,
}

#[derive(DeriveIden)]
enum LoginAttempts {
    Table,
    Id,
    Email,
    Ip,
    At,
    Success,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    DedupeKey,
    ToAddr,
    Subject,
    BodyText,
    CreatedAt,
    NextAttemptAt,
    Attempts,
    LockedUntil,
    SentAt,
    LastError,
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn ts_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn uuid_pk(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .uuid()
        .not_null()
        .primary_key()
        .to_owned()
}

fn uuid_col(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().not_null().to_owned()
}

fn text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
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
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Sites::Table)
                    .col(uuid_pk(Sites::Id))
                    .col(text(Sites::Name).unique_key().to_owned())
                    .col(text(Sites::Timezone))
                    .col(ColumnDef::new(Sites::OpeningHours).json().not_null())
                    .col(ts(Sites::CreatedAt))
                    .col(ts(Sites::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(uuid_pk(Users::Id))
                    .col(text(Users::Email).unique_key().to_owned())
                    .col(text(Users::DisplayName))
                    .col(text(Users::Role))
                    .col(ColumnDef::new(Users::PeerResearcher).boolean().not_null())
                    .col(ColumnDef::new(Users::Active).boolean().not_null())
                    .col(ColumnDef::new(Users::PasswordHash).text().null())
                    .col(ts(Users::CreatedAt))
                    .col(ts(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserSites::Table)
                    .col(uuid_col(UserSites::UserId))
                    .col(uuid_col(UserSites::SiteId))
                    .primary_key(
                        Index::create()
                            .col(UserSites::UserId)
                            .col(UserSites::SiteId),
                    )
                    .foreign_key(&mut fk(
                        "fk_user_sites_user",
                        (UserSites::Table, UserSites::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_user_sites_site",
                        (UserSites::Table, UserSites::SiteId),
                        (Sites::Table, Sites::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuthSessions::Table)
                    .col(uuid_pk(AuthSessions::Id))
                    .col(uuid_col(AuthSessions::UserId))
                    .col(ts(AuthSessions::CreatedAt))
                    .col(ts(AuthSessions::ExpiresAt))
                    .col(ts_null(AuthSessions::RevokedAt))
                    .col(ColumnDef::new(AuthSessions::RevokedReason).text().null())
                    .foreign_key(&mut fk(
                        "fk_auth_sessions_user",
                        (AuthSessions::Table, AuthSessions::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(uuid_pk(RefreshTokens::Id))
                    .col(uuid_col(RefreshTokens::SessionId))
                    .col(text(RefreshTokens::TokenHash).unique_key().to_owned())
                    .col(ts(RefreshTokens::CreatedAt))
                    .col(ts(RefreshTokens::ExpiresAt))
                    .col(ts_null(RefreshTokens::UsedAt))
                    .foreign_key(&mut fk(
                        "fk_refresh_tokens_session",
                        (RefreshTokens::Table, RefreshTokens::SessionId),
                        (AuthSessions::Table, AuthSessions::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserTokens::Table)
                    .col(uuid_pk(UserTokens::Id))
                    .col(uuid_col(UserTokens::UserId))
                    .col(text(UserTokens::Purpose))
                    .col(text(UserTokens::TokenHash).unique_key().to_owned())
                    .col(ts(UserTokens::CreatedAt))
                    .col(ts(UserTokens::ExpiresAt))
                    .col(ts_null(UserTokens::UsedAt))
                    .foreign_key(&mut fk(
                        "fk_user_tokens_user",
                        (UserTokens::Table, UserTokens::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(uuid_pk(ApiKeys::Id))
                    .col(uuid_col(ApiKeys::UserId))
                    .col(text(ApiKeys::Name))
                    .col(text(ApiKeys::Prefix))
                    .col(text(ApiKeys::KeyHash).unique_key().to_owned())
                    .col(ColumnDef::new(ApiKeys::Scopes).json().not_null())
                    .col(ts(ApiKeys::CreatedAt))
                    .col(ts_null(ApiKeys::LastUsedAt))
                    .col(ts_null(ApiKeys::RevokedAt))
                    .foreign_key(&mut fk(
                        "fk_api_keys_user",
                        (ApiKeys::Table, ApiKeys::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // The audit log has no foreign keys on purpose: it must outlive what it describes.
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(uuid_pk(AuditLog::Id))
                    .col(ts(AuditLog::At))
                    .col(ColumnDef::new(AuditLog::ActorUserId).uuid().null())
                    .col(ColumnDef::new(AuditLog::ActorApiKeyId).uuid().null())
                    .col(text(AuditLog::Action))
                    .col(text(AuditLog::ObjectType))
                    .col(ColumnDef::new(AuditLog::ObjectId).text().null())
                    .col(ColumnDef::new(AuditLog::SiteId).uuid().null())
                    .col(ColumnDef::new(AuditLog::RequestId).text().null())
                    .col(ColumnDef::new(AuditLog::Ip).text().null())
                    .col(ColumnDef::new(AuditLog::Detail).json().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_at")
                    .table(AuditLog::Table)
                    .col(AuditLog::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginAttempts::Table)
                    .col(uuid_pk(LoginAttempts::Id))
                    .col(text(LoginAttempts::Email))
                    .col(text(LoginAttempts::Ip))
                    .col(ts(LoginAttempts::At))
                    .col(ColumnDef::new(LoginAttempts::Success).boolean().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_attempts_email_at")
                    .table(LoginAttempts::Table)
                    .col(LoginAttempts::Email)
                    .col(LoginAttempts::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_attempts_ip_at")
                    .table(LoginAttempts::Table)
                    .col(LoginAttempts::Ip)
                    .col(LoginAttempts::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(uuid_pk(Outbox::Id))
                    .col(ColumnDef::new(Outbox::DedupeKey).text().null().unique_key())
                    .col(text(Outbox::ToAddr))
                    .col(text(Outbox::Subject))
                    .col(text(Outbox::BodyText))
                    .col(ts(Outbox::CreatedAt))
                    .col(ts(Outbox::NextAttemptAt))
                    .col(ColumnDef::new(Outbox::Attempts).integer().not_null())
                    .col(ts_null(Outbox::LockedUntil))
                    .col(ts_null(Outbox::SentAt))
                    .col(ColumnDef::new(Outbox::LastError).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_due")
                    .table(Outbox::Table)
                    .col(Outbox::SentAt)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Outbox::Table.into_iden(),
            LoginAttempts::Table.into_iden(),
            AuditLog::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            UserTokens::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            AuthSessions::Table.into_iden(),
            UserSites::Table.into_iden(),
            Users::Table.into_iden(),
            Sites::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
