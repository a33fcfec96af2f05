//! `fieldnotes backup` and `fieldnotes restore`: a consistent copy of a
//! running SQLite database, and putting one back. (PostgreSQL has
//! `pg_dump`; see README.)
use std::{path::Path, str::FromStr, time::Duration};

use anyhow::{bail, Context};
use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions, Connection, SqliteConnection};

use crate::{app::db, kernel::config::Settings};

/// What a backup or restore found in the copy.
#[derive(Debug)]
pub struct Checked {
    pub notes: i64,
}

fn sqlite_only(settings: &Settings) -> anyhow::Result<()> {
    if !settings.is_sqlite() {
        bail!("backup and restore are for SQLite; on PostgreSQL use pg_dump and pg_restore (README, \"Backups\")");
    }
    Ok(())
}

/// Opens `file` (which must exist), rebuilds its search index (a copy may
/// renumber rows, and the index is keyed by row), and checks it whole.
async fn check(file: &Path) -> anyhow::Result<Checked> {
    let mut conn: SqliteConnection = SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(false)
        .connect()
        .await
        .with_context(|| format!("cannot open {}", file.display()))?;
    sqlx::query("INSERT INTO notes_fts(notes_fts) VALUES ('rebuild')")
        .execute(&mut conn)
        .await
        .context("cannot rebuild the search index of the copy")?;
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await?;
    if verdict != "ok" {
        bail!("{} failed its integrity check: {verdict}", file.display());
    }
    let notes: i64 = sqlx::query_scalar("SELECT count(*) FROM notes")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    std::fs::File::open(file)?.sync_all()?;
    Ok(Checked { notes })
}

/// Copies the database into `to` (a new file, readable by this user only)
/// while the service keeps running: `VACUUM INTO` reads one consistent
/// snapshot, so every write committed before it started is in the copy.
///
/// The live database is only read, through a read-only connection that sets
/// no pragma: it cannot change the journal mode, cannot checkpoint, and so
/// never deletes or truncates the live `-wal` and `-shm` files when it
/// closes (see `db::private_file` for how that once happened).
pub async fn backup(settings: &Settings, to: &Path) -> anyhow::Result<Checked> {
    sqlite_only(settings)?;
    new_private_file(to)?;
    let live = SqliteConnectOptions::from_str(&settings.database_url)
        .context("FIELDNOTES_DATABASE_URL is not a SQLite address")?
        .create_if_missing(false)
        .read_only(true)
        .busy_timeout(Duration::from_secs(10));
    let copied = async {
        let mut conn = live.connect().await.context("cannot open the database")?;
        let target = to.to_string_lossy().replace('\'', "''");
        let copied = sqlx::query(&format!("VACUUM INTO '{target}'"))
            .execute(&mut conn)
            .await;
        conn.close().await?;
        copied.context("the copy failed")
    }
    .await;
    if let Err(e) = copied {
        let _ = std::fs::remove_file(to);
        return Err(e);
    }
    check(to).await
}

/// Creates `to` empty with mode 0600, refusing anything already at that
/// path: a file, a directory, or a symlink, dangling or not (`O_EXCL` does
/// not follow a symlink), so a backup never writes through one.
fn new_private_file(to: &Path) -> anyhow::Result<()> {
    if std::fs::symlink_metadata(to).is_ok() {
        bail!("{} exists; name a new file", to.display());
    }
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    match open.open(to) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("{} exists; name a new file", to.display())
        }
        Err(e) => Err(e).with_context(|| format!("cannot create {}", to.display())),
    }
}

/// Puts the backup `from` in place of the database. Stop every instance
/// first. The backup is checked before anything is replaced; the old
/// database's log files go with it.
pub async fn restore(settings: &Settings, from: &Path) -> anyhow::Result<Checked> {
    sqlite_only(settings)?;
    let opts = db::sqlite_options(settings)?;
    let target = opts.get_filename().to_path_buf();
    let staging = target.with_extension("restoring");
    std::fs::copy(from, &staging)
        .with_context(|| format!("cannot copy {} into place", from.display()))?;
    db::private_file(&staging)?;
    let checked = check(&staging).await?;
    let name = target.to_string_lossy().to_string();
    for suffix in ["-wal", "-shm"] {
        let log = std::path::PathBuf::from(format!("{name}{suffix}"));
        if log.exists() {
            std::fs::remove_file(&log)?;
        }
    }
    std::fs::rename(&staging, &target)
        .with_context(|| format!("cannot replace {}", target.display()))?;
    Ok(checked)
}
