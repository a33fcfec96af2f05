use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    Url,
    Events,
    Description,
    Secret,
    Active,
    FeedCursor,
    FailingSince,
    DisabledAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    WebhookId,
    EventType,
    Payload,
    CreatedAt,
    NextAttemptAt,
    Attempts,
    LockedUntil,
    DeliveredAt,
    GaveUpAt,
    LastStatus,
    LastError,
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

/// Webhooks (an admin's subscription of a URL to change types, with its
/// signing secret, and how far along the change feed it has been queued)
/// and their deliveries: one row per change and webhook, queued from the
/// feed a window at a time and sent, retried and logged from there (the
/// webhook outbox).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .col(ColumnDef::new(Webhooks::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Webhooks::Url).text().not_null())
                    .col(ColumnDef::new(Webhooks::Events).json().not_null())
                    .col(ColumnDef::new(Webhooks::Description).text().not_null())
                    .col(ColumnDef::new(Webhooks::Secret).text().not_null())
                    .col(ColumnDef::new(Webhooks::Active).boolean().not_null())
                    .col(
                        ColumnDef::new(Webhooks::FeedCursor)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ts_null(Webhooks::FailingSince))
                    .col(ts_null(Webhooks::DisabledAt))
                    .col(ColumnDef::new(Webhooks::CreatedBy).uuid().not_null())
                    .col(ts(Webhooks::CreatedAt))
                    .col(ts(Webhooks::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(
                        ColumnDef::new(WebhookDeliveries::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::WebhookId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::EventType)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebhookDeliveries::Payload).text().not_null())
                    .col(ts(WebhookDeliveries::CreatedAt))
                    .col(ts(WebhookDeliveries::NextAttemptAt))
                    .col(
                        ColumnDef::new(WebhookDeliveries::Attempts)
                            .integer()
                            .not_null(),
                    )
                    .col(ts_null(WebhookDeliveries::LockedUntil))
                    .col(ts_null(WebhookDeliveries::DeliveredAt))
                    .col(ts_null(WebhookDeliveries::GaveUpAt))
                    .col(
                        ColumnDef::new(WebhookDeliveries::LastStatus)
                            .integer()
                            .null(),
                    )
                    .col(ColumnDef::new(WebhookDeliveries::LastError).text().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_deliveries_webhook")
                            .from(WebhookDeliveries::Table, WebhookDeliveries::WebhookId)
                            .to(Webhooks::Table, Webhooks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_webhook")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::WebhookId)
                    .col(WebhookDeliveries::Id)
                    .to_owned(),
            )
            .await?;
        // What the senders look for and count per webhook: deliveries
        // neither delivered nor given up (a window's worth per webhook).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_webhook_deliveries_due ON webhook_deliveries (webhook_id, next_attempt_at) \
                 WHERE delivered_at IS NULL AND gave_up_at IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Webhooks::Table).to_owned())
            .await
    }
}
