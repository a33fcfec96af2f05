//! Connecting to SQLite or PostgreSQL and bringing the schema up to date.
use std::{str::FromStr, time::Duration};

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

use crate::kernel::config::{Settings, SqliteSync};

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

/// Connections for exports. On SQLite a pool of its own, one read-only
/// connection per export slot (`FIELDNOTES_MAX_EXPORTS`): an export reads
/// the whole study page by page, and on the readers' pool it kept the
/// requests' own reads (every request's sign-in check among them) waiting.
/// On PostgreSQL the same pool as everything else (it has room).
pub async fn connect_exports(
    settings: &Settings,
    reader: &DatabaseConnection,
) -> anyhow::Result<DatabaseConnection> {
    if !settings.is_sqlite() {
        return Ok(reader.clone());
    }
    use sqlx::sqlite::SqlitePoolOptions;
    let opts = sqlite_options(settings)?
        .read_only(true)
        .row_buffer_size(256);
    let pool = SqlitePoolOptions::new()
        .max_connections(settings.max_exports as u32)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire(false)
        .connect_lazy_with(opts);
    Ok(sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

async fn connect_with(settings: &Settings, read_only: bool) -> anyhow::Result<DatabaseConnection> {
    if settings.is_sqlite() {
        use sqlx::sqlite::SqlitePoolOptions;
        let opts = sqlite_options(settings)?;
        let opts = if read_only {
            // A page of notes is 51 rows: with sqlx's default channel of 50
            // rows the connection's thread would stop and wait for the
            // request's thread to take them, two thread switches more.
            opts.read_only(true).row_buffer_size(256)
        } else {
            // Checkpoints are the checkpointer's job (see `spawn_checkpointer`);
            // this is only a backstop should it fall far behind. When the log
            // starts over, its file is cut back to 64 MiB. A larger
            // cache keeps a 1000-note sync from spilling pages mid-transaction.
            opts.pragma("wal_autocheckpoint", WRITER_AUTOCHECKPOINT)
                .pragma("journal_size_limit", "67108864")
                .pragma("cache_size", "-16384")
        };
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
            // A file connection cannot drop the way a network one can:
            // testing it before each use only cost a round trip to its
            // thread (about 5% of the CPU of a note's write).
            .test_before_acquire(false)
            .connect_with(opts)
            .await
            .context("cannot open the SQLite database")?;
        Ok(sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
    } else {
        use sqlx::{postgres::PgPoolOptions, ConnectOptions, Connection};
        let opts = sqlx::postgres::PgConnectOptions::from_str(&settings.database_url)
            .context("FIELDNOTES_DATABASE_URL is not a PostgreSQL address")?
            .disable_statement_logging();
        let pool = PgPoolOptions::new()
            .max_connections(settings.db_max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            // sqlx's default pings every connection it lends: a round trip
            // before each statement of a request. Only a connection idle
            // for a while is tested (PostgreSQL may have restarted, or a
            // firewall dropped it); a broken one is closed and another lent.
            .test_before_acquire(false)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    use sqlx::Executor;
                    conn.execute(PLANNER_SETTINGS).await?;
                    Ok(())
                })
            })
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PG_PING_IDLE {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(opts)
            .await
            .context("cannot connect to PostgreSQL")?;
        Ok(sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(
            pool,
        ))
    }
}

/// Planner settings for the service's own connections, applied only where
/// nobody set a value (`pg_settings.source` is `default`): one set in
/// postgresql.conf, for the database or role, or in the URL's `options`
/// stands.
///
/// - `random_page_cost` 1.1 instead of 4: 4 prices a page read at random as
///   four sequential ones, for disks with heads; on SSDs, or with the notes
///   in memory, 1.1 is the usual setting. At 4 the planner walked the time
///   index for a word in about 1% of notes (visiting some 5 000 notes, 7 -
///   15 ms) where fetching its 1 100 matches and sorting them took 2 - 3 ms;
///   over 400 benchmark searches the choices with 1.1 came within 9% of the
///   best possible (23% with 4).
/// - `max_parallel_workers_per_gather` 0 instead of 2: the service answers
///   many small requests at once, and a search that started two parallel
///   workers took CPU from the other requests (at 16 clients on two cores,
///   such searches took 150 - 360 ms).
const PLANNER_SETTINGS: &str = "SELECT set_config(name, value, false) FROM pg_settings \
     JOIN (VALUES ('random_page_cost', '1.1'), ('max_parallel_workers_per_gather', '0')) \
     AS ours (name, value) USING (name) WHERE source = 'default'";

/// A PostgreSQL connection idle this long is pinged before it is lent.
const PG_PING_IDLE: Duration = Duration::from_secs(10);

/// WAL pages (4 KiB each) after which the writer checkpoints by itself.
const WRITER_AUTOCHECKPOINT: &str = "20000";

pub(crate) fn sqlite_options(
    settings: &Settings,
) -> anyhow::Result<sqlx::sqlite::SqliteConnectOptions> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
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
        // Statement journals (a multi-row insert inside a transaction keeps
        // one) and sort scratch stay in memory instead of spilling to
        // temporary files.
        .pragma("temp_store", "memory")
        // Freed content is overwritten with zeros, so a redacted or erased
        // text does not linger in free pages of the file.
        .pragma("secure_delete", "ON")
        .busy_timeout(Duration::from_secs(10));
    if let Some(parent) = opts.get_filename().parent() {
        if !parent.as_os_str().is_empty() {
            private_dir(parent)?;
        }
    }
    if opts.get_filename() != std::path::Path::new(":memory:") {
        private_file(opts.get_filename())?;
    }
    Ok(opts)
}

/// Creates `dir` (and its parents) when missing and makes it readable by
/// this service's user only: it holds participant data and mail with links
/// that sign people in.
pub fn private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} private", dir.display()))?;
    }
    Ok(())
}

/// Makes `file` readable and writable by this service's user only, creating
/// it empty (mode 0600) when missing. SQLite gives its `-wal` and `-shm`
/// files the database file's permissions.
///
/// An existing file is never opened, only `chmod`ed: SQLite's locks are
/// POSIX locks, which belong to the process, and closing *any* descriptor of
/// the database file drops every lock the process holds on it. A process
/// that did so beside open connections looked, to another process closing
/// its own connection (`fieldnotes backup`), like no process used the
/// database any more, and that one then deleted the live `-wal` and `-shm`
/// files: every write after it was lost at the next crash.
pub fn private_file(file: &std::path::Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if std::fs::symlink_metadata(file).is_err() {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(file)
            {
                Ok(_) => {}
                // Another process made it meanwhile: fine, chmod it below.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot create {}", file.display()))
                }
            }
        }
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private", file.display()))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// SQLite: copies committed pages from the write-ahead log into the database
/// file once a second, on a connection of its own, so that no request's
/// commit waits for a checkpoint and its fsync (a 500-note sync used to pay
/// for one now and then). PASSIVE never blocks the writer or the readers.
pub async fn spawn_checkpointer(settings: &Settings) -> anyhow::Result<()> {
    use sqlx::ConnectOptions;
    let mut conn = sqlite_options(settings)?
        .connect()
        .await
        .context("cannot open the SQLite database for checkpoints")?;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&mut conn)
                .await
            {
                tracing::warn!(error = %e, "WAL checkpoint failed; the writer's own checkpoints remain");
            }
        }
    });
    Ok(())
}

/// Brings the database up to the service's version: applies pending
/// migrations, then seeds the built-in screening instruments (missing ones
/// only; `readiness::seed_builtins`). On PostgreSQL several
/// instances may start at once; an advisory lock held for the transaction
/// makes them take turns (PostgreSQL DDL is transactional, so a failed
/// migration leaves nothing). This module belongs with the start-up: it is
/// above the services, not below them.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            let txn = db.begin().await?;
            txn.execute_unprepared("SELECT pg_advisory_xact_lock(7746031)")
                .await?;
            Migrator::up(&txn, None).await.context("migration failed")?;
            crate::readiness::seed_builtins(&txn).await?;
            txn.commit().await?;
        }
        _ => {
            Migrator::up(db, None).await.context("migration failed")?;
            crate::readiness::seed_builtins(db).await?;
        }
    }
    Ok(())
}
