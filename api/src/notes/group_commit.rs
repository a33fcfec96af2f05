//! Group commit of notes (and of audit entries that belong to no other
//! write), on SQLite and PostgreSQL.
//!
//! Notes from concurrent requests are written by one writer task per
//! instance, several requests to a transaction, so one fsync makes a whole
//! group durable; the next group gathers while one commits. On SQLite it
//! writes on the single write connection; on PostgreSQL several instances
//! each group their own. (Two tasks per instance on PostgreSQL, which this
//! replaced, made groups half as big: at 16 clients each note then cost
//! PostgreSQL and the server about 15% more CPU.) A request is
//! answered only after its group's commit returned, so a 2xx still means "on
//! disk". Audit entries of reads and sign-ins join the same groups
//! (`NotesWriter::record`). On PostgreSQL the writer also counts the notes
//! it wrote, so the text index's pending list is merged every few hundred
//! (`search::IndexUpkeep`).
//!
//! On PostgreSQL a group is one statement (`GroupWrite::write_postgres`):
//! the rows travel as arrays, so one round trip, prepared once per
//! connection, writes a group of any size.
//!
//! On SQLite the group's statements are the ones `GroupWrite` builds for
//! sea-orm, sent in two round trips on the service's single write connection: `BEGIN
//! IMMEDIATE` with the notes' insert-or-nothing, then every other insert
//! with `COMMIT`. Each round trip to sqlx's connection thread costs two
//! thread switches, and those switches, not SQLite, were most of a group's
//! time when each statement (and the transaction's begin and commit) was a
//! round trip of its own.
use sea_orm::{DatabaseConnection, DbBackend, Statement};
use sea_query_binder::SqlxValues;
use sqlx::{pool::PoolConnection, Sqlite, SqlitePool};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::{
    kernel::{
        audit::Actor,
        error::{ApiError, ApiResult},
    },
    notes::{self, search::IndexUpkeep, Applied, Batch, GroupWrite, NoteIn},
};

/// Hands notes and audit entries to the writer task.
#[derive(Clone)]
pub struct NotesWriter {
    tx: mpsc::Sender<Job>,
}

struct Job {
    batch: Batch,
    reply: oneshot::Sender<ApiResult<Vec<Applied>>>,
}

/// Most requests in one group.
const GROUP: usize = 64;
/// A group takes more requests only while it holds fewer notes than this
/// (a single larger sync is still written whole).
const GROUP_NOTES: usize = 2000;

impl NotesWriter {
    /// Starts the writer task on `db`: the SQLite write connection's
    /// pool, or the PostgreSQL pool.
    pub fn spawn(db: DatabaseConnection) -> anyhow::Result<Self> {
        let upkeep = std::sync::Arc::new(IndexUpkeep::default());
        match db {
            DatabaseConnection::SqlxSqlitePoolConnection(_) => {}
            // what earlier runs left pending
            DatabaseConnection::SqlxPostgresPoolConnection(_) => {
                upkeep.start(db.get_postgres_connection_pool())
            }
            _ => anyhow::bail!("the notes writer needs SQLite or PostgreSQL"),
        }
        let (tx, rx) = mpsc::channel::<Job>(1024);
        tokio::spawn(run(db, rx, upkeep));
        Ok(NotesWriter { tx })
    }

    /// Creates one request's notes (see `notes::apply`).
    pub async fn submit(
        &self,
        user_id: Uuid,
        actor: Actor,
        notes: Vec<Result<NoteIn, ApiError>>,
    ) -> ApiResult<Vec<Applied>> {
        self.send(Batch {
            user_id,
            actor,
            notes,
            audit: Vec::new(),
        })
        .await
    }

    /// Writes audit entries that belong to no other write (reads, sign-ins)
    /// with the next group, and returns once they are on disk.
    pub async fn record(&self, audit: Vec<entity::audit_log::ActiveModel>) -> ApiResult<()> {
        self.send(Batch {
            user_id: Uuid::nil(),
            actor: Actor::system(),
            notes: Vec::new(),
            audit,
        })
        .await
        .map(|_| ())
    }

    async fn send(&self, batch: Batch) -> ApiResult<Vec<Applied>> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job { batch, reply })
            .await
            .map_err(|_| ApiError::Unavailable)?;
        answer.await.map_err(|_| ApiError::Unavailable)?
    }
}

/// The writer task: takes whatever requests are waiting (up to `GROUP`
/// requests and about `GROUP_NOTES` notes), writes them as one group, and
/// starts over; requests that come meanwhile wait in `queue` for the next
/// group. Ends when every `NotesWriter` is gone.
async fn run(
    db: DatabaseConnection,
    mut queue: mpsc::Receiver<Job>,
    upkeep: std::sync::Arc<IndexUpkeep>,
) {
    let mut carried: Option<Job> = None;
    loop {
        let first = match carried.take() {
            Some(j) => j,
            None => match queue.recv().await {
                Some(j) => j,
                None => return,
            },
        };
        let mut notes = first.batch.notes.len();
        let mut jobs = vec![first];
        while jobs.len() < GROUP {
            match queue.try_recv() {
                Ok(j) if notes + j.batch.notes.len() > GROUP_NOTES => {
                    carried = Some(j);
                    break;
                }
                Ok(j) => {
                    notes += j.batch.notes.len();
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        // A panic must not take the writer down with it: the group's
        // requests are dropped (they answer 503 and the phones retry;
        // nothing was committed) and the next group goes on.
        let group = std::panic::AssertUnwindSafe(write_group(&db, &upkeep, jobs));
        if futures_util::FutureExt::catch_unwind(group).await.is_err() {
            tracing::error!("notes writer: a group panicked; its requests got 503");
        }
    }
}

async fn write_group(
    db: &DatabaseConnection,
    upkeep: &std::sync::Arc<IndexUpkeep>,
    jobs: Vec<Job>,
) {
    metrics::histogram!(crate::kernel::meters::NOTES_GROUP_SIZE).record(jobs.len() as f64);
    let (batches, replies): (Vec<Batch>, Vec<_>) =
        jobs.into_iter().map(|j| (j.batch, j.reply)).unzip();
    match write_together(db, upkeep, &batches).await {
        Ok(results) => {
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(Ok(result));
            }
        }
        // Something in the group failed (rare: a database error). Nothing
        // was committed; each request gets its own transaction, so one
        // request's trouble is never another's.
        Err(e) if batches.len() > 1 => {
            tracing::warn!(error = %e, "notes group failed; writing its requests one by one");
            for (reply, batch) in replies.into_iter().zip(batches) {
                let one = [batch];
                let result = write_together(db, upkeep, &one)
                    .await
                    .and_then(|mut r| r.pop().ok_or(ApiError::Unavailable));
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            for reply in replies {
                let _ = reply.send(Err(e.duplicate()));
            }
        }
    }
}

/// All requests of a group in one transaction, committed before this returns.
async fn write_together(
    db: &DatabaseConnection,
    upkeep: &std::sync::Arc<IndexUpkeep>,
    batches: &[Batch],
) -> ApiResult<Vec<Vec<Applied>>> {
    let mut g = GroupWrite::new(batches);
    if let DatabaseConnection::SqlxPostgresPoolConnection(_) = db {
        let pool = db.get_postgres_connection_pool();
        g.write_postgres(pool).await?;
        upkeep.wrote(pool, batches.iter().map(|b| b.notes.len()).sum());
    } else {
        write_sqlite(db, &mut g).await?;
    }
    // Committed: from here on nothing may fail the group (it would be
    // written again). Retries of notes stored earlier are read now (they
    // were committed before this group began, and never go away); should
    // that fail, only those notes are answered 503, to be sent again.
    let found = match notes::load(db, g.existing_ids()).await {
        Ok(found) => Some(found),
        Err(e) => {
            tracing::warn!(error = %e, "notes writer: cannot load the notes a group found stored");
            None
        }
    };
    Ok(g.finish(found.as_ref()))
}

/// The group on SQLite's write connection, in two round trips.
async fn write_sqlite(db: &DatabaseConnection, g: &mut GroupWrite<'_>) -> ApiResult<()> {
    let mut txn = Transaction::begin(db.get_sqlite_connection_pool()).await?;
    let inserts = g.note_inserts(DbBackend::Sqlite);
    let mut commit = vec![];
    if inserts.is_empty() {
        commit.push(Statement::from_string(DbBackend::Sqlite, "BEGIN IMMEDIATE"));
    } else {
        let mut first = vec![Statement::from_string(DbBackend::Sqlite, "BEGIN IMMEDIATE")];
        first.extend(inserts);
        let rows: Vec<(Uuid,)> = txn.fetch(first).await?;
        g.inserted(rows.into_iter().map(|(id,)| id));
    }
    commit.extend(g.follow_ups(DbBackend::Sqlite));
    commit.push(Statement::from_string(DbBackend::Sqlite, "COMMIT"));
    txn.commit(commit).await
}

/// The write connection, taken from its pool for one transaction that is
/// begun and committed by statements of its own (sqlx knows nothing of it).
/// Unless `commit` succeeded, the connection is closed instead of going back
/// to the pool (SQLite rolls back what was not committed), so no later
/// borrower finds a transaction open: also when the group fails half-way,
/// panics, or its future is dropped.
struct Transaction {
    conn: Option<PoolConnection<Sqlite>>,
}

impl Transaction {
    async fn begin(pool: &SqlitePool) -> ApiResult<Self> {
        let conn = pool.acquire().await.map_err(internal)?;
        Ok(Transaction { conn: Some(conn) })
    }

    fn conn(&mut self) -> ApiResult<&mut PoolConnection<Sqlite>> {
        self.conn.as_mut().ok_or(ApiError::Unavailable)
    }

    /// Runs `stmts` as one script and returns the rows they return.
    async fn fetch<T>(&mut self, stmts: Vec<Statement>) -> ApiResult<Vec<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
    {
        let (sql, values, keep) = script(stmts);
        sqlx::query_as_with(&sql, values)
            .persistent(keep)
            .fetch_all(&mut **self.conn()?)
            .await
            .map_err(internal)
    }

    /// Runs `stmts`, which end with `COMMIT`, as one script.
    async fn commit(mut self, stmts: Vec<Statement>) -> ApiResult<()> {
        let (sql, values, keep) = script(stmts);
        sqlx::query_with(&sql, values)
            .persistent(keep)
            .execute(&mut **self.conn()?)
            .await
            .map_err(internal)?;
        // Committed: the connection may go back to the pool.
        self.conn.take();
        Ok(())
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            tracing::warn!(
                "notes writer: closing the write connection of a transaction that did not commit"
            );
            drop(conn.detach());
        }
    }
}

/// Most values in a script whose prepared statements sqlx keeps for the next
/// group of the same shape. The small groups of concurrent requests recur;
/// a large sync's statements would only fill the cache (megabytes each).
const KEEP_PREPARED: usize = 1024;

/// Statements joined into one script (sqlx binds their `?` parameters in
/// order across the statements), and whether to keep it prepared.
fn script(stmts: Vec<Statement>) -> (String, SqlxValues, bool) {
    let mut sql = String::new();
    let mut values = Vec::new();
    for s in stmts {
        sql.push_str(&s.sql);
        sql.push_str(";\n");
        values.extend(s.values.map(|v| v.0).unwrap_or_default());
    }
    let keep = values.len() <= KEEP_PREPARED;
    (sql, SqlxValues(sea_orm::sea_query::Values(values)), keep)
}

fn internal(e: impl Into<anyhow::Error>) -> ApiError {
    ApiError::Internal(e.into())
}
