use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{prelude::Uuid, ConnectionTrait};

use crate::pseudonym;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Participants {
    Table,
    Id,
    SiteId,
    Pseudonym,
    PseudonymKey,
    PseudonymFolded,
}

/// Pseudonyms become unique per site (a pseudonym used at a site the caller
/// cannot see no longer answers 409), and look-alikes count as the same
/// (NFKC, case folding and UTS #39 confusables). `pseudonym_key`, unique
/// since the first migration, now holds the site and the look-alike form;
/// `pseudonym_folded` holds the lower-cased form for search by prefix.
/// Two existing participants of one site whose pseudonyms look alike keep
/// both; the later gets a key with its id, so nothing is lost, and a
/// coordinator should rename one.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Participants::Table)
                    .add_column(ColumnDef::new(Participants::PseudonymFolded).text().null())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let select = Query::select()
            .columns([
                Participants::Id,
                Participants::SiteId,
                Participants::Pseudonym,
            ])
            .from(Participants::Table)
            .order_by(Participants::Id, Order::Asc)
            .to_owned();
        let rows = db.query_all(backend.build(&select)).await?;
        let mut seen = std::collections::HashSet::new();
        for row in rows {
            let id: Uuid = row.try_get("", "id")?;
            let site: Uuid = row.try_get("", "site_id")?;
            let name: String = row.try_get("", "pseudonym")?;
            let mut key = pseudonym::site_key(&site.simple().to_string(), &name);
            if !seen.insert(key.clone()) {
                key = format!("{key}#{}", id.simple());
            }
            let update = Query::update()
                .table(Participants::Table)
                .values([
                    (Participants::PseudonymKey, key.into()),
                    (
                        Participants::PseudonymFolded,
                        pseudonym::folded(&name).into(),
                    ),
                ])
                .and_where(Expr::col(Participants::Id).eq(id))
                .to_owned();
            db.execute(backend.build(&update)).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_participants_pseudonym_folded")
                    .table(Participants::Table)
                    .col(Participants::PseudonymFolded)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "pseudonyms stay unique per site: this migration cannot be undone".into(),
        ))
    }
}
