//! Connecting to SQLite or PostgreSQL and bringing the schema up to date.
use std::{str::FromStr, time::Duration};

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, TransactionTrait};

use crate::config::{Settings, SqliteSync};

/// Opens the database named by the settings.
///
/// SQLite runs in WAL mode with `synchronous=FULL` by default, so a 2xx means
/// the row is on disk and survives a power cut. SQLite allows one writer at a
/// time; the pool holds a single connection so that write transactions queue
/// in the service instead of failing with `SQLITE_BUSY` when a deferred
/// transaction tries to upgrade its lock.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    connect_with(settings, false).await
}

/// Connections for reads only. On SQLite a pool of read-only connections
/// beside the single writer: in WAL mode readers never wait for the writer,
/// and each statement sees everything committed before it began. On
/// PostgreSQL the same pool as writes.
pub async fn connect_reader(
    settings: &Settings,
    writer: &DatabaseConnection,
) -> anyhow::Result<DatabaseConnection> {
    if settings.is_sqlite() {
        connect_with(settings, true).await
    } else {
        Ok(writer.clone())
    }
}

async fn connect_with(settings: &Settings, read_only: bool) -> anyhow::Result<DatabaseConnection> {
    if settings.is_sqlite() {
        use sqlx::sqlite::{
            SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
        };
        let opts = SqliteConnectOptions::from_str(&settings.database_url)
            .with_context(|| {
                format!(
                    "FIELDNOTES_DATABASE_URL: cannot parse {:?}",
                    settings.database_url
                )
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match settings.sqlite_synchronous {
                SqliteSync::Full => SqliteSynchronous::Full,
                SqliteSync::Normal => SqliteSynchronous::Normal,
            })
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        if let Some(parent) = opts.get_filename().parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
        }
        let opts = opts.read_only(read_only);
        let pool = SqlitePoolOptions::new()
            .max_connections(if read_only {
                // No more readers than cores: more would add no parallelism,
                // only more page caches, each dropped on every commit.
                let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
                settings.db_max_connections.min(cores.max(2))
            } else {
                1
            })
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await
            .context("cannot open the SQLite database")?;
        Ok(sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
    } else {
        let mut opts = ConnectOptions::new(settings.database_url.clone());
        opts.max_connections(settings.db_max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30))
            .sqlx_logging(false);
        Database::connect(opts)
            .await
            .context("cannot connect to PostgreSQL")
    }
}

/// Applies pending migrations. On PostgreSQL several instances may start at
/// once; an advisory lock held for the migration transaction makes them take
/// turns (PostgreSQL DDL is transactional, so a failed migration leaves nothing).
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            let txn = db.begin().await?;
            txn.execute_unprepared("SELECT pg_advisory_xact_lock(7746031)")
                .await?;
            Migrator::up(&txn, None).await.context("migration failed")?;
            crate::services::readiness::seed_builtins(&txn).await?;
            txn.commit().await?;
        }
        _ => {
            Migrator::up(db, None).await.context("migration failed")?;
            crate::services::readiness::seed_builtins(db).await?;
        }
    }
    Ok(())
}
