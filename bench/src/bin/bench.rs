//! `bench`: how many notes the Fieldnotes server takes and finds per second on
//! this machine, at what latency and memory, next to what the disk allows.
//!
//! One run measures, in order:
//! (a) raw SQLite: single-row inserts, one commit each, WAL + synchronous=FULL
//!     on a fresh file in the same filesystem as the server's data: the
//!     physical floor of a durable write;
//! (b) `POST /api/v1/notes` with 1, 16 and 64 closed-loop clients (one
//!     keep-alive connection each, fresh uuid v4 per note, ~300-character
//!     bodies): requests/s, p50/p90/p99 latency, errors;
//! (c) (b) at 16 clients divided by (a);
//! (d) `POST /api/v1/notes/sync` with 500 notes per request: time per batch
//!     and notes/s;
//! (e) `GET /api/v1/notes?q=…&limit=50` with 1, 4 and 16 clients after topping the
//!     database up to 100 000 notes through sync batches (and, on PostgreSQL,
//!     an `ANALYZE`, as autovacuum would make soon after such a load);
//! (f) the server's RSS: idle after start, the peak of every phase (sampled
//!     every 200 ms) and VmHWM at the end;
//! (g) the exports of those 100 000 notes (the fill codes each with one or
//!     two of 12 codes and links some to one of 20 participants):
//!     `GET /api/v1/exports/project.qdpx` and `GET /api/v1/exports/notes.csv`,
//!     read to the last byte: seconds, bytes, and how much the server's RSS
//!     grew over what it was before the download;
//! (h) `POST /api/v1/notes` at 4 clients, idle and then while 12 clients
//!     download the project export over and over (a refused one, 429, waits
//!     a second and asks again): p99 during ÷ p99 idle. The server runs at
//!     most `FIELDNOTES_MAX_EXPORTS` (1) at once, and exports give way to
//!     requests, so phones are not starved.
//! (i) `POST /api/v1/notes` at 16 clients, then again with one webhook
//!     subscribed to `note.created` whose receiver answers after 1 s:
//!     throughput with ÷ without (issue 31 asks at least 0.9: deliveries
//!     must not hold up writes), and how many deliveries arrived meanwhile.
//!
//! The server runs with synchronous=FULL, workers on, on a fresh temporary
//! data directory (or a fresh PostgreSQL database with `--database postgres`),
//! with an admin made by `fieldnotes create-admin`, one site, and the admin's
//! token. A table goes to stdout and everything to a JSON file.
//!
//! Run: `cargo build --release -p fieldnotes-api && cargo run --release -p bench --bin bench`
//! (add `-- --database postgres`, `--duration-secs 5`, `--json out.json`, …;
//! `--help` lists all flags). The exit status is non-zero when any request
//! failed.
use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use anyhow::{bail, Context};
use bench::{
    client, ms, round,
    server::{self, DatabaseKind, PgDatabase, ServerConfig},
    sys::{self, PhasePeak, RssSampler},
    text::{self, Vocabulary},
    us_to_ms,
};
use clap::Parser;
use hdrhistogram::Histogram;
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::{de::IgnoredAny, Deserialize, Serialize};
use uuid::Uuid;

#[derive(Parser, Debug, Clone, Serialize)]
#[command(about = "Throughput, latency and memory of the Fieldnotes server")]
struct Args {
    /// Measured seconds per concurrency level of POST /notes, and of the search phase.
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// Unmeasured seconds before each load level.
    #[arg(long, default_value_t = 1)]
    warmup_secs: u64,
    /// Concurrent clients for POST /notes (comma-separated levels).
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    concurrency: Vec<usize>,
    /// Seconds of raw SQLite inserts.
    #[arg(long, default_value_t = 3.0)]
    raw_sqlite_secs: f64,
    /// Measured sync batches (one more runs first as a warm-up).
    #[arg(long, default_value_t = 20)]
    sync_batches: usize,
    /// Notes per sync batch (also used to top the database up for search).
    #[arg(long, default_value_t = 500)]
    sync_batch_size: usize,
    /// Notes in the database before the search phase.
    #[arg(long, default_value_t = 100_000)]
    notes_for_search: u64,
    /// Concurrent clients in the search phase (comma-separated levels).
    #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
    search_clients: Vec<usize>,
    /// Characters per generated note body.
    #[arg(long, default_value_t = 300)]
    body_chars: usize,
    /// Pseudo-words in the vocabulary of note bodies and queries.
    #[arg(long, default_value_t = 4000)]
    vocabulary: usize,
    #[arg(long, value_enum, default_value_t = DatabaseKind::Sqlite)]
    database: DatabaseKind,
    /// The server binary [default: $CARGO_TARGET_DIR/release/fieldnotes].
    #[arg(long)]
    server: Option<PathBuf>,
    /// Where the JSON report goes.
    #[arg(long, default_value = "bench-results.json")]
    json: PathBuf,
    /// Parent of the run's temporary directory (the raw SQLite file and the
    /// server's data directory live there).
    #[arg(long, default_value_os_t = std::env::temp_dir())]
    tmp_dir: PathBuf,
    /// Keep the temporary directory (database, server log) and the PostgreSQL
    /// database after the run.
    #[arg(long)]
    keep_data: bool,
    /// Seed of the generated text and queries.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// (h) Clients downloading exports while the notes API is measured.
    #[arg(long, default_value_t = 12)]
    export_clients: usize,
    /// (h) Clients posting notes, idle and during the exports.
    #[arg(long, default_value_t = 4)]
    export_notes_clients: usize,
    /// The server's `FIELDNOTES_MAX_EXPORTS` (its default, 1, when unset;
    /// a large value shows (h) without the bound).
    #[arg(long)]
    max_exports: Option<usize>,
    /// (i): how long the webhook receiver takes to answer, in ms.
    #[arg(long, default_value_t = 1000)]
    webhook_delay_ms: u64,
}

// ---------------------------------------------------------------- report --

#[derive(Serialize)]
struct Report {
    started_at: String,
    command_line: String,
    machine: sys::Machine,
    args: Args,
    server_binary: String,
    server_version: Option<String>,
    server_startup_ms: Option<f64>,
    raw_sqlite: Option<RawSqlite>,
    /// PostgreSQL runs only: single-row durable inserts from 16 connections.
    raw_postgres: Option<RawPostgres>,
    create: Vec<LoadResult>,
    /// (b) at 16 clients ÷ (a).
    create_16_clients_vs_raw_sqlite: Option<f64>,
    /// PostgreSQL runs: (b) at 16 clients ÷ the raw PostgreSQL rate.
    create_16_clients_vs_raw_postgres: Option<f64>,
    /// PostgreSQL runs on this machine: the most `POST /notes` a second at
    /// 16 clients' CPU time per request (`cpu_bound_max_per_sec`) ÷ the raw
    /// PostgreSQL rate: the ratio above cannot pass it on these cores.
    create_16_clients_cpu_bound_vs_raw_postgres: Option<f64>,
    sync: Option<SyncResult>,
    search_fill: Option<FillResult>,
    search: Vec<LoadResult>,
    exports: Vec<ExportResult>,
    exports_load: Option<ExportsLoad>,
    webhook_load: Option<WebhookLoad>,
    rss: Rss,
    /// Phases that could not run to the end, with the reason.
    failures: Vec<String>,
}

#[derive(Serialize, Default)]
struct Rss {
    idle_after_start_kib: Option<u64>,
    phases: Vec<PhasePeak>,
    vm_hwm_kib: Option<u64>,
}

#[derive(Serialize)]
struct RawSqlite {
    sqlite_version: String,
    journal_mode: String,
    synchronous: String,
    commits: u64,
    seconds: f64,
    commits_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

#[derive(Serialize)]
struct LoadResult {
    clients: usize,
    seconds: f64,
    ok: u64,
    errors: u64,
    error_samples: Vec<String>,
    per_sec: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// Search only: mean notes per page, and pages with none.
    mean_items: Option<f64>,
    empty_pages: Option<u64>,
    peak_rss_kib: Option<u64>,
    /// CPU time per answered request over the measured seconds: the server
    /// process, and this load generator (which shares the machine's cores).
    server_cpu_us_per_req: Option<f64>,
    client_cpu_us_per_req: Option<f64>,
    /// PostgreSQL runs on a local server: the CPU time of all its processes
    /// per answered request.
    database_cpu_us_per_req: Option<f64>,
    /// The most requests a second the machine's cores could answer at this
    /// CPU time per request (server, load generator and, on PostgreSQL,
    /// the database; SQLite's work is in the server's): cores ÷ CPU time.
    cpu_bound_max_per_sec: Option<f64>,
}

#[derive(Serialize)]
struct SyncResult {
    batches: usize,
    batch_size: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    notes_per_sec: f64,
    /// Failed requests plus notes whose status was not `created`.
    errors: u64,
    error_samples: Vec<String>,
    peak_rss_kib: Option<u64>,
}

/// (g) One export, read to its last byte.
#[derive(Serialize)]
struct ExportResult {
    path: String,
    seconds: f64,
    bytes: u64,
    /// Whether the body ends as a whole file does (a zip's end record).
    complete: bool,
    rss_before_kib: Option<u64>,
    peak_rss_kib: Option<u64>,
    /// Peak during the download minus the RSS just before it.
    rss_growth_kib: Option<u64>,
}

/// (h) The notes API while exports run.
#[derive(Serialize)]
struct ExportsLoad {
    export_clients: usize,
    idle: LoadResult,
    during: LoadResult,
    /// Exports read to their end, and refused (429 `export_busy`), while
    /// `during` was measured.
    exports_done: u64,
    exports_refused: u64,
    export_errors: u64,
    /// `during.p99_ms ÷ idle.p99_ms` (issue 28 asks at most 2).
    p99_ratio: Option<f64>,
}

/// (i) The notes API with a slow webhook subscribed.
#[derive(Serialize)]
struct WebhookLoad {
    receiver_delay_ms: u64,
    without: LoadResult,
    with: LoadResult,
    /// Deliveries the receiver got while `with` was measured.
    delivered: u64,
    /// `with.per_sec ÷ without.per_sec` (issue 31 asks at least 0.9).
    throughput_ratio: Option<f64>,
}

#[derive(Serialize)]
struct FillResult {
    notes_before: u64,
    notes_added: u64,
    notes_after: u64,
    seconds: f64,
    notes_per_sec: f64,
    /// Time of the first and of the last full batch of the fill.
    first_batch_ms: Option<f64>,
    last_batch_ms: Option<f64>,
    peak_rss_kib: Option<u64>,
}

// --------------------------------------------------------- raw PostgreSQL --

#[derive(Serialize)]
struct RawPostgres {
    connections: usize,
    commits: u64,
    seconds: f64,
    commits_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// CPU time per commit of PostgreSQL's processes (when it runs on this
    /// machine) and of this process's inserting tasks.
    database_cpu_us_per_commit: Option<f64>,
    client_cpu_us_per_commit: Option<f64>,
}

/// The floor of the PostgreSQL write path, measured like pgbench's
/// single-row insert: `connections` clients, each inserting one row per
/// transaction (autocommit, `synchronous_commit` as the server has it) into
/// a table of its own database, for `secs` seconds. With `local` (PostgreSQL
/// on this machine) it also counts PostgreSQL's CPU time.
async fn raw_postgres(
    url: &str,
    local: bool,
    connections: usize,
    secs: f64,
    vocab: &Vocabulary,
    seed: u64,
) -> anyhow::Result<RawPostgres> {
    use sqlx::{Connection, Executor};
    let mut setup = sqlx::PgConnection::connect(url).await?;
    setup
        .execute("CREATE TABLE raw_notes (id uuid PRIMARY KEY, body text NOT NULL)")
        .await?;
    let mut rng = StdRng::seed_from_u64(seed);
    let bodies: Arc<Vec<String>> = Arc::new((0..256).map(|_| vocab.body(&mut rng, 300)).collect());
    let cpu = || {
        (
            local.then(|| sys::processes_cpu_time("postgres")).flatten(),
            sys::cpu_time(std::process::id()),
        )
    };
    let cpu_start = cpu();
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (url, bodies) = (url.to_string(), bodies.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = sqlx::PgConnection::connect(&url).await?;
            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            let mut n = 0usize;
            while Instant::now() < deadline {
                let t0 = Instant::now();
                sqlx::query("INSERT INTO raw_notes (id, body) VALUES ($1, $2)")
                    .bind(Uuid::new_v4())
                    .bind(&bodies[n % bodies.len()])
                    .execute(&mut conn)
                    .await?;
                hist.saturating_record(t0.elapsed().as_micros() as u64);
                n += 1;
            }
            // The connection stays open until PostgreSQL's CPU time is read.
            anyhow::Ok((hist, conn))
        }));
    }
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut open = Vec::new();
    for t in tasks {
        let (hist, conn) = t.await??;
        all.add(hist)?;
        open.push(conn);
    }
    let seconds = start.elapsed().as_secs_f64();
    let cpu_stop = cpu();
    drop(open);
    setup.execute("DROP TABLE raw_notes").await?;
    let per_commit = |a: Option<Duration>, b: Option<Duration>| {
        let used = b?.checked_sub(a?)?;
        (!all.is_empty()).then(|| round(used.as_secs_f64() * 1e6 / all.len() as f64, 0))
    };
    Ok(RawPostgres {
        connections,
        commits: all.len(),
        seconds: round(seconds, 3),
        commits_per_sec: round(all.len() as f64 / seconds, 1),
        p50_ms: us_to_ms(all.value_at_quantile(0.5)),
        p99_ms: us_to_ms(all.value_at_quantile(0.99)),
        database_cpu_us_per_commit: per_commit(cpu_start.0, cpu_stop.0),
        client_cpu_us_per_commit: per_commit(cpu_start.1, cpu_stop.1),
    })
}

// ------------------------------------------------------------- raw SQLite --

fn raw_sqlite(
    dir: &std::path::Path,
    secs: f64,
    vocab: &Vocabulary,
    seed: u64,
) -> anyhow::Result<RawSqlite> {
    let path = dir.join("raw.db");
    let mut conn = rusqlite::Connection::open(&path)?;
    let journal_mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    let synchronous: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
    if journal_mode != "wal" || synchronous != 2 {
        bail!("SQLite refused WAL/FULL: journal_mode={journal_mode}, synchronous={synchronous}");
    }
    conn.execute_batch("CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL)")?;
    // Bodies made beforehand, so the loop times SQLite alone.
    let mut rng = StdRng::seed_from_u64(seed);
    let bodies: Vec<String> = (0..256).map(|_| vocab.body(&mut rng, 300)).collect();
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let mut commits = 0u64;
    while Instant::now() < deadline {
        let t0 = Instant::now();
        let tx = conn.transaction()?;
        tx.prepare_cached("INSERT INTO notes (id, body) VALUES (?1, ?2)")?
            .execute(rusqlite::params![
                Uuid::new_v4().to_string(),
                bodies[commits as usize % bodies.len()]
            ])?;
        tx.commit()?;
        hist.saturating_record(t0.elapsed().as_micros() as u64);
        commits += 1;
    }
    let seconds = start.elapsed().as_secs_f64();
    drop(conn);
    let _ = std::fs::remove_file(&path);
    Ok(RawSqlite {
        sqlite_version: rusqlite::version().to_string(),
        journal_mode,
        synchronous: "FULL".into(),
        commits,
        seconds: round(seconds, 3),
        commits_per_sec: round(commits as f64 / seconds, 1),
        p50_ms: us_to_ms(hist.value_at_quantile(0.5)),
        p99_ms: us_to_ms(hist.value_at_quantile(0.99)),
        max_ms: us_to_ms(hist.max()),
    })
}

// ------------------------------------------------------------ load driver --

struct Ctx {
    /// The server's process id, for its CPU time.
    server_pid: u32,
    database: DatabaseKind,
    /// PostgreSQL runs on this machine: count its processes' CPU time.
    postgres_here: bool,
    base: String,
    token: String,
    site_id: Uuid,
    vocab: Vocabulary,
    body_chars: usize,
    seed: u64,
    /// Notes the server said it created (201s and `created` sync results).
    created: AtomicU64,
    /// Codes and participants the fill links its notes to, so that the
    /// exports have codings and cases to write.
    code_ids: Vec<Uuid>,
    participant_ids: Vec<Uuid>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Work {
    Create,
    Search,
}

#[derive(Deserialize)]
struct Page {
    items: Vec<IgnoredAny>,
}

struct ClientTally {
    hist: Histogram<u64>,
    ok: u64,
    errors: u64,
    samples: Vec<String>,
    items: u64,
    empty: u64,
}

/// One closed-loop client: send, wait for the whole answer, send the next.
/// Only requests started in `[from, end)` are counted.
async fn client_loop(
    ctx: Arc<Ctx>,
    work: Work,
    task: u64,
    from: Instant,
    end: Instant,
) -> anyhow::Result<ClientTally> {
    let http = client::http_client(Duration::from_secs(60))?;
    let mut rng = StdRng::seed_from_u64(ctx.seed ^ task.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut t = ClientTally {
        hist: Histogram::new_with_bounds(1, 120_000_000, 3)?,
        ok: 0,
        errors: 0,
        samples: Vec::new(),
        items: 0,
        empty: 0,
    };
    let notes_url = format!("{}/api/v1/notes", ctx.base);
    loop {
        let t0 = Instant::now();
        if t0 >= end {
            break;
        }
        let outcome: Result<Option<usize>, String> = match work {
            Work::Create => {
                let note = text::random_note(&ctx.vocab, &mut rng, ctx.site_id, ctx.body_chars);
                match http
                    .post(&notes_url)
                    .bearer_auth(&ctx.token)
                    .json(&note)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => {
                        if r.status().as_u16() == 201 {
                            ctx.created.fetch_add(1, Ordering::Relaxed);
                        }
                        r.bytes().await.map(|_| None).map_err(|e| e.to_string())
                    }
                    Ok(r) => Err(client::describe(r).await),
                    Err(e) => Err(e.to_string()),
                }
            }
            Work::Search => {
                let q = ctx.vocab.query(&mut rng);
                match http
                    .get(&notes_url)
                    .bearer_auth(&ctx.token)
                    .query(&[("q", q.as_str()), ("limit", "50")])
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => match r.bytes().await {
                        Ok(b) => serde_json::from_slice::<Page>(&b)
                            .map(|p| Some(p.items.len()))
                            .map_err(|e| format!("unreadable page: {e}")),
                        Err(e) => Err(e.to_string()),
                    },
                    Ok(r) => Err(client::describe(r).await),
                    Err(e) => Err(e.to_string()),
                }
            }
        };
        let elapsed = t0.elapsed();
        let failed = outcome.is_err();
        if t0 >= from {
            match outcome {
                Ok(items) => {
                    t.ok += 1;
                    t.hist.saturating_record(elapsed.as_micros() as u64);
                    if let Some(n) = items {
                        t.items += n as u64;
                        t.empty += u64::from(n == 0);
                    }
                }
                Err(e) => {
                    t.errors += 1;
                    if t.samples.len() < 3 && !t.samples.contains(&e) {
                        t.samples.push(e);
                    }
                }
            }
        }
        if failed {
            // Do not spin on a server that is down or refusing everything.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    Ok(t)
}

async fn closed_loop(
    ctx: &Arc<Ctx>,
    work: Work,
    clients: usize,
    warmup: Duration,
    measure: Duration,
) -> anyhow::Result<LoadResult> {
    let from = Instant::now() + warmup;
    let end = from + measure;
    let tasks: Vec<_> = (0..clients)
        .map(|i| tokio::spawn(client_loop(ctx.clone(), work, i as u64, from, end)))
        .collect();
    // CPU used by the server and by this process over the measured seconds
    let cpu = {
        let server = ctx.server_pid;
        let me = std::process::id();
        let postgres_here = ctx.postgres_here;
        let database = move || {
            postgres_here
                .then(|| sys::processes_cpu_time("postgres"))
                .flatten()
        };
        tokio::spawn(async move {
            tokio::time::sleep_until(from.into()).await;
            let start = (sys::cpu_time(server), sys::cpu_time(me), database());
            tokio::time::sleep_until(end.into()).await;
            let stop = (sys::cpu_time(server), sys::cpu_time(me), database());
            let used = |a: Option<Duration>, b: Option<Duration>| b?.checked_sub(a?);
            (
                used(start.0, stop.0),
                used(start.1, stop.1),
                used(start.2, stop.2),
            )
        })
    };
    let mut hist = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3)?;
    let (mut ok, mut errors, mut items, mut empty) = (0, 0, 0, 0);
    let mut samples: Vec<String> = Vec::new();
    for t in tasks {
        let t = t.await.context("a client task panicked")??;
        hist.add(&t.hist)?;
        ok += t.ok;
        errors += t.errors;
        items += t.items;
        empty += t.empty;
        for s in t.samples {
            if samples.len() < 5 && !samples.contains(&s) {
                samples.push(s);
            }
        }
    }
    let (server_cpu, client_cpu, database_cpu) = cpu.await.unwrap_or((None, None, None));
    let per_req = |d: Option<Duration>| {
        d.filter(|_| ok > 0)
            .map(|d| round(d.as_secs_f64() * 1e6 / ok as f64, 0))
    };
    let seconds = measure.as_secs_f64();
    let search = work == Work::Search;
    let (server_us, client_us, database_us) = (
        per_req(server_cpu),
        per_req(client_cpu),
        per_req(database_cpu),
    );
    // SQLite's work is in the server's CPU time; a PostgreSQL elsewhere is
    // not counted, so no bound is given for it.
    let in_all = match ctx.database {
        DatabaseKind::Sqlite => Some(0.0),
        DatabaseKind::Postgres => database_us,
    };
    let cpu_bound_max_per_sec = match (server_us, client_us, in_all) {
        (Some(s), Some(c), Some(d)) if s + c + d > 0.0 => {
            Some(round(sys::cores() as f64 * 1e6 / (s + c + d), 1))
        }
        _ => None,
    };
    Ok(LoadResult {
        clients,
        seconds,
        ok,
        errors,
        error_samples: samples,
        per_sec: round(ok as f64 / seconds, 1),
        p50_ms: us_to_ms(hist.value_at_quantile(0.5)),
        p90_ms: us_to_ms(hist.value_at_quantile(0.9)),
        p99_ms: us_to_ms(hist.value_at_quantile(0.99)),
        max_ms: us_to_ms(hist.max()),
        mean_items: (search && ok > 0).then(|| round(items as f64 / ok as f64, 1)),
        empty_pages: search.then_some(empty),
        peak_rss_kib: None,
        server_cpu_us_per_req: server_us,
        client_cpu_us_per_req: client_us,
        database_cpu_us_per_req: database_us,
        cpu_bound_max_per_sec,
    })
}

/// `work` at each level of concurrency, one RSS phase each; a level that
/// fails is reported in `failures` and left out.
async fn levels(
    ctx: &Arc<Ctx>,
    sampler: &RssSampler,
    (work, label): (Work, &str),
    levels: &[usize],
    (warmup, measure): (Duration, Duration),
    failures: &mut Vec<String>,
) -> Vec<LoadResult> {
    let mut out = Vec::new();
    for &clients in levels {
        eprintln!("{label} with {clients} clients …");
        sampler.phase(&format!("{label}, {clients} clients"));
        let r = closed_loop(ctx, work, clients, warmup, measure).await;
        let peak = sampler.end_phase();
        match r {
            Ok(mut r) => {
                r.peak_rss_kib = peak;
                out.push(r);
            }
            Err(e) => failures.push(format!("{label}, {clients} clients: {e:#}")),
        }
    }
    out
}

// ------------------------------------------------------------------- sync --

#[derive(Deserialize)]
struct SyncOut {
    results: Vec<SyncItem>,
}

#[derive(Deserialize)]
struct SyncItem {
    status: String,
    problem: Option<serde_json::Value>,
}

/// One `POST /notes/sync` of `size` fresh notes; returns its time and how
/// many notes were created. The request body is built before the clock starts.
async fn sync_batch(
    ctx: &Ctx,
    http: &reqwest::Client,
    rng: &mut StdRng,
    size: usize,
    linked: bool,
) -> anyhow::Result<(Duration, u64, Vec<String>)> {
    let notes: Vec<_> = (0..size)
        .map(|_| {
            let mut n = text::random_note(&ctx.vocab, rng, ctx.site_id, ctx.body_chars);
            if linked && !ctx.code_ids.is_empty() {
                let k = rng.gen_range(1..=2);
                let mut codes: Vec<Uuid> = (0..k)
                    .map(|_| ctx.code_ids[rng.gen_range(0..ctx.code_ids.len())])
                    .collect();
                codes.dedup();
                n["code_ids"] = serde_json::json!(codes);
                if !ctx.participant_ids.is_empty() && rng.gen_bool(0.3) {
                    let p = ctx.participant_ids[rng.gen_range(0..ctx.participant_ids.len())];
                    n["participant_ids"] = serde_json::json!([p]);
                }
            }
            n
        })
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({ "notes": notes }))?;
    let t0 = Instant::now();
    let r = http
        .post(format!("{}/api/v1/notes/sync", ctx.base))
        .bearer_auth(&ctx.token)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .context("POST /api/v1/notes/sync")?;
    if r.status().as_u16() != 200 {
        bail!("POST /api/v1/notes/sync: {}", client::describe(r).await);
    }
    let bytes = r.bytes().await?;
    let elapsed = t0.elapsed();
    let out: SyncOut = serde_json::from_slice(&bytes).context("reading the sync answer")?;
    let mut created = 0;
    let mut problems = Vec::new();
    for item in &out.results {
        if item.status == "created" {
            created += 1;
        } else if problems.len() < 3 {
            problems.push(format!(
                "{}: {}",
                item.status,
                item.problem
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_default()
            ));
        }
    }
    if out.results.len() != size {
        problems.push(format!("{} results for {size} notes", out.results.len()));
    }
    ctx.created.fetch_add(created, Ordering::Relaxed);
    Ok((elapsed, created, problems))
}

async fn sync_phase(ctx: &Ctx, batches: usize, size: usize) -> anyhow::Result<SyncResult> {
    let http = client::http_client(Duration::from_secs(300))?;
    let mut rng = StdRng::seed_from_u64(ctx.seed ^ 0x5959);
    let mut hist = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)?;
    let (mut total, mut created, mut errors) = (Duration::ZERO, 0u64, 0u64);
    let mut samples = Vec::new();
    for i in 0..=batches {
        let (elapsed, c, problems) = match sync_batch(ctx, &http, &mut rng, size, false).await {
            Ok(x) => x,
            Err(e) => (Duration::ZERO, 0, vec![format!("{e:#}")]),
        };
        if i == 0 {
            continue; // warm-up
        }
        if c == size as u64 {
            hist.saturating_record(elapsed.as_micros() as u64);
        }
        total += elapsed;
        created += c;
        errors += size as u64 - c.min(size as u64);
        for p in problems {
            if samples.len() < 5 {
                samples.push(p);
            }
        }
    }
    Ok(SyncResult {
        batches,
        batch_size: size,
        p50_ms: us_to_ms(hist.value_at_quantile(0.5)),
        p99_ms: us_to_ms(hist.value_at_quantile(0.99)),
        max_ms: us_to_ms(hist.max()),
        notes_per_sec: if total.is_zero() {
            0.0
        } else {
            round(created as f64 / total.as_secs_f64(), 1)
        },
        errors,
        error_samples: samples,
        peak_rss_kib: None,
    })
}

/// Sync batches until the server has created `target` notes in this run.
async fn fill(ctx: &Ctx, target: u64, size: usize) -> anyhow::Result<FillResult> {
    let http = client::http_client(Duration::from_secs(300))?;
    let mut rng = StdRng::seed_from_u64(ctx.seed ^ 0xF111);
    let before = ctx.created.load(Ordering::Relaxed);
    let start = Instant::now();
    let (mut first, mut last) = (None, None);
    let mut next_report = before + 10_000;
    let mut failures = 0;
    loop {
        let have = ctx.created.load(Ordering::Relaxed);
        if have >= target {
            break;
        }
        let n = size.min((target - have) as usize);
        match sync_batch(ctx, &http, &mut rng, n, true).await {
            Ok((elapsed, c, problems)) => {
                if c < n as u64 {
                    bail!("sync created {c} of {n} notes: {}", problems.join("; "));
                }
                if n == size {
                    first.get_or_insert(ms(elapsed));
                    last = Some(ms(elapsed));
                }
            }
            Err(e) => {
                failures += 1;
                if failures >= 3 {
                    return Err(e.context("three sync batches failed while filling"));
                }
            }
        }
        let have = ctx.created.load(Ordering::Relaxed);
        if have >= next_report {
            eprintln!("  … {have} notes ({:.0} s)", start.elapsed().as_secs_f64());
            next_report += 10_000;
        }
    }
    let after = ctx.created.load(Ordering::Relaxed);
    let seconds = start.elapsed().as_secs_f64();
    Ok(FillResult {
        notes_before: before,
        notes_added: after - before,
        notes_after: after,
        seconds: round(seconds, 2),
        notes_per_sec: if seconds > 0.0 {
            round((after - before) as f64 / seconds, 1)
        } else {
            0.0
        },
        first_batch_ms: first,
        last_batch_ms: last,
        peak_rss_kib: None,
    })
}

/// Twelve codes in a small tree (as a study's codebook) and twenty
/// participants.
async fn codebook_and_people(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    site: Uuid,
) -> anyhow::Result<(Vec<Uuid>, Vec<Uuid>)> {
    let post = |path: &'static str, body: serde_json::Value| async move {
        let r = http
            .post(format!("{base}/api/v1{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        if r.status().as_u16() != 201 {
            bail!("POST {path}: {}", client::describe(r).await);
        }
        let v: serde_json::Value = r.json().await?;
        v["id"]
            .as_str()
            .and_then(|s| s.parse::<Uuid>().ok())
            .context("an id")
    };
    let mut codes = Vec::new();
    for root in ["Benefits", "Challenges", "Relations"] {
        let parent = post("/codes", serde_json::json!({"name": root})).await?;
        codes.push(parent);
        for i in 1..=3 {
            codes.push(
                post(
                    "/codes",
                    serde_json::json!({"name": format!("{root} {i}"), "parent_id": parent, "dimension": "medical"}),
                )
                .await?,
            );
        }
    }
    let started = (chrono::Utc::now() - chrono::Duration::days(200)).date_naive();
    let mut people = Vec::new();
    for i in 1..=20 {
        people.push(
            post(
                "/participants",
                serde_json::json!({"pseudonym": format!("Deltaker {i}"), "site_id": site, "treatment_started_on": started}),
            )
            .await?,
        );
    }
    Ok((codes, people))
}

/// (g) Reads an export to its last byte, a chunk at a time.
async fn export(ctx: &Ctx, path: &str) -> anyhow::Result<ExportResult> {
    let http = client::http_client(Duration::from_secs(600))?;
    let rss_before = sys::proc_status_kib(ctx.server_pid, "VmRSS");
    let t0 = Instant::now();
    let mut r = http
        .get(format!("{}{path}", ctx.base))
        .bearer_auth(&ctx.token)
        .send()
        .await
        .with_context(|| format!("GET {path}"))?;
    if r.status().as_u16() != 200 {
        bail!("GET {path}: {}", client::describe(r).await);
    }
    let mut bytes = 0u64;
    let mut tail: Vec<u8> = Vec::new();
    while let Some(chunk) = r.chunk().await? {
        bytes += chunk.len() as u64;
        tail.extend_from_slice(&chunk);
        if tail.len() > 256 {
            tail.drain(..tail.len() - 256);
        }
    }
    let seconds = t0.elapsed().as_secs_f64();
    // A zip ends with its end-of-central-directory record (22 bytes with
    // no comment); a CSV with a line end.
    let complete = if path.ends_with(".qdpx") {
        tail.len() >= 22 && tail[tail.len() - 22..].starts_with(b"PK\x05\x06")
    } else {
        tail.ends_with(b"\n")
    };
    Ok(ExportResult {
        path: path.to_string(),
        seconds: round(seconds, 2),
        bytes,
        complete,
        rss_before_kib: rss_before,
        peak_rss_kib: None,
        rss_growth_kib: None,
    })
}

/// (h) One export client: the project, read to its end, again and again
/// until `stop`; a 429 waits a second.
async fn export_client(
    ctx: Arc<Ctx>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    counts: Arc<[AtomicU64; 3]>,
) -> anyhow::Result<()> {
    let http = client::http_client(Duration::from_secs(600))?;
    let url = format!("{}/api/v1/exports/project.qdpx", ctx.base);
    while !stop.load(Ordering::Relaxed) {
        let r = http.get(&url).bearer_auth(&ctx.token).send().await;
        let which = match r {
            Ok(mut r) if r.status().as_u16() == 200 => {
                let mut whole = true;
                loop {
                    match r.chunk().await {
                        Ok(Some(_)) if !stop.load(Ordering::Relaxed) => {}
                        Ok(None) => break,
                        Ok(Some(_)) => {
                            whole = false;
                            break;
                        }
                        Err(_) => {
                            whole = false;
                            break;
                        }
                    }
                }
                if whole {
                    0
                } else {
                    continue;
                }
            }
            Ok(r) if r.status().as_u16() == 429 => {
                tokio::time::sleep(Duration::from_secs(1)).await;
                1
            }
            _ => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                2
            }
        };
        counts[which].fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// (h) `POST /notes` idle, then while the export clients run.
async fn exports_load(
    ctx: &Arc<Ctx>,
    args: &Args,
    (warmup, measure): (Duration, Duration),
) -> anyhow::Result<ExportsLoad> {
    let idle = closed_loop(
        ctx,
        Work::Create,
        args.export_notes_clients,
        warmup,
        measure,
    )
    .await?;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let counts: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
    let exporters: Vec<_> = (0..args.export_clients)
        .map(|_| tokio::spawn(export_client(ctx.clone(), stop.clone(), counts.clone())))
        .collect();
    // Let the exports get under way before measuring.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before: Vec<u64> = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    let during = closed_loop(
        ctx,
        Work::Create,
        args.export_notes_clients,
        warmup,
        measure,
    )
    .await;
    let after: Vec<u64> = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    stop.store(true, Ordering::Relaxed);
    for e in exporters {
        e.await.context("an export client panicked")??;
    }
    let during = during?;
    // No request answered while the exports ran: no ratio (the phones
    // were starved; `during.ok` says so).
    let p99_ratio =
        (idle.p99_ms > 0.0 && during.ok > 0).then(|| round(during.p99_ms / idle.p99_ms, 2));
    Ok(ExportsLoad {
        export_clients: args.export_clients,
        idle,
        during,
        exports_done: after[0] - before[0],
        exports_refused: after[1] - before[1],
        export_errors: after[2] - before[2],
        p99_ratio,
    })
}

/// A webhook receiver that answers 204 after `delay`, counting what it got:
/// its URL.
async fn slow_receiver(delay: Duration, got: Arc<AtomicU64>) -> anyhow::Result<String> {
    use actix_web::{web, App, HttpResponse, HttpServer};
    let server = HttpServer::new(move || {
        let got = got.clone();
        App::new().default_service(web::to(move || {
            let got = got.clone();
            async move {
                tokio::time::sleep(delay).await;
                got.fetch_add(1, Ordering::Relaxed);
                HttpResponse::NoContent().finish()
            }
        }))
    })
    .workers(2)
    .max_connections(100_000)
    .bind(("127.0.0.1", 0))?;
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    Ok(format!("http://127.0.0.1:{port}/fieldnotes"))
}

/// (i) `POST /notes` at 16 clients, without and then with a webhook on
/// `note.created` whose receiver is slow.
async fn webhook_load(
    ctx: &Arc<Ctx>,
    delay: Duration,
    (warmup, measure): (Duration, Duration),
) -> anyhow::Result<WebhookLoad> {
    let without = closed_loop(ctx, Work::Create, 16, warmup, measure).await?;
    let got = Arc::new(AtomicU64::new(0));
    let url = slow_receiver(delay, got.clone()).await?;
    let http = client::http_client(Duration::from_secs(30))?;
    let r = http
        .post(format!("{}/api/v1/webhooks", ctx.base))
        .bearer_auth(&ctx.token)
        .json(&serde_json::json!({"url": url, "events": ["note.created"], "description": "bench: a slow receiver"}))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("making the webhook: {}", client::describe(r).await);
    }
    let hook: serde_json::Value = r.json().await?;
    let before = got.load(Ordering::Relaxed);
    let with = closed_loop(ctx, Work::Create, 16, warmup, measure).await;
    let delivered = got.load(Ordering::Relaxed) - before;
    // The backlog goes with the webhook: later phases run without it.
    let id = hook["id"].as_str().unwrap_or_default();
    http.delete(format!("{}/api/v1/webhooks/{id}", ctx.base))
        .bearer_auth(&ctx.token)
        .send()
        .await?;
    let with = with?;
    let throughput_ratio =
        (without.per_sec > 0.0).then(|| round(with.per_sec / without.per_sec, 3));
    Ok(WebhookLoad {
        receiver_delay_ms: delay.as_millis() as u64,
        without,
        with,
        delivered,
        throughput_ratio,
    })
}

// ------------------------------------------------------------------- main --

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // One thread for the whole load generator: it shares the cores with the server.
    match rt.block_on(run(args)) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("bench: some requests or phases failed (see the report)");
            std::process::ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn command_line() -> String {
    std::env::args()
        .map(|a| {
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
                format!("'{}'", a.replace('\'', r"'\''"))
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

async fn run(args: Args) -> anyhow::Result<bool> {
    let server_bin = args
        .server
        .clone()
        .unwrap_or_else(|| server::default_server(true));
    server::check_server_binary(&server_bin)?;
    if args.concurrency.is_empty() || args.concurrency.contains(&0) {
        bail!("--concurrency: give levels of 1 or more clients");
    }
    let tmp = tempfile::Builder::new()
        .prefix("fieldnotes-bench-")
        .tempdir_in(&args.tmp_dir)
        .with_context(|| format!("making a directory in {}", args.tmp_dir.display()))?;
    let mut report = Report {
        started_at: chrono::Utc::now().to_rfc3339(),
        command_line: command_line(),
        machine: sys::machine(tmp.path()),
        args: args.clone(),
        server_binary: server_bin.display().to_string(),
        server_version: server::server_version(&server_bin),
        server_startup_ms: None,
        raw_sqlite: None,
        raw_postgres: None,
        create: Vec::new(),
        create_16_clients_vs_raw_sqlite: None,
        create_16_clients_vs_raw_postgres: None,
        create_16_clients_cpu_bound_vs_raw_postgres: None,
        sync: None,
        search_fill: None,
        search: Vec::new(),
        exports: Vec::new(),
        exports_load: None,
        webhook_load: None,
        rss: Rss::default(),
        failures: Vec::new(),
    };
    print_header(&report);
    let vocab = Vocabulary::new(args.vocabulary, 1.07, args.seed);

    eprintln!("(a) raw SQLite inserts for {} s …", args.raw_sqlite_secs);
    match raw_sqlite(tmp.path(), args.raw_sqlite_secs, &vocab, args.seed) {
        Ok(r) => report.raw_sqlite = Some(r),
        Err(e) => report.failures.push(format!("raw SQLite: {e:#}")),
    }

    // The server, on a fresh database.
    let mut pg = match args.database {
        DatabaseKind::Postgres => Some(PgDatabase::create("fieldnotes_bench")?),
        DatabaseKind::Sqlite => None,
    };
    if let Some(p) = &pg {
        eprintln!(
            "(a') raw PostgreSQL inserts from 16 connections for {} s …",
            args.raw_sqlite_secs
        );
        let url = p.url();
        let raw = raw_postgres(
            &url,
            p.is_local(),
            16,
            args.raw_sqlite_secs,
            &vocab,
            args.seed,
        );
        match raw.await {
            Ok(r) => report.raw_postgres = Some(r),
            Err(e) => report.failures.push(format!("raw PostgreSQL: {e:#}")),
        }
    }
    let data_dir = tmp.path().join("data");
    std::fs::create_dir_all(&data_dir)?;
    let mut cfg = ServerConfig::new(server_bin, &data_dir, pg.as_ref().map(|p| p.url()), true)?;
    // (i)'s receiver runs on this machine.
    cfg.env
        .push(("FIELDNOTES_WEBHOOKS_ALLOW_PRIVATE".into(), "true".into()));
    if let Some(n) = args.max_exports {
        cfg.env
            .push(("FIELDNOTES_MAX_EXPORTS".into(), n.to_string()));
    }
    eprintln!("starting the server on {} …", cfg.base_url());
    cfg.create_admin()?;
    let mut srv = cfg.spawn()?;
    let startup = srv.wait_healthy(Duration::from_secs(60)).await?;
    report.server_startup_ms = Some(ms(startup));
    let pid = srv.pid();
    let sampler = RssSampler::start(pid, Duration::from_millis(200));
    sampler.phase("idle after start");
    tokio::time::sleep(Duration::from_secs(1)).await;
    report.rss.idle_after_start_kib = sys::proc_status_kib(pid, "VmRSS");
    sampler.end_phase();

    // Login hashes a password (Argon2), which shows in VmHWM: its own phase.
    sampler.phase("login and site");
    let setup = client::http_client(Duration::from_secs(60))?;
    let token = client::login(
        &setup,
        &cfg.base_url(),
        server::ADMIN_EMAIL,
        server::ADMIN_PASSWORD,
    )
    .await?;
    let site_id = client::create_site(&setup, &cfg.base_url(), &token, "Clinic A").await?;
    let (code_ids, participant_ids) =
        codebook_and_people(&setup, &cfg.base_url(), &token, site_id).await?;
    sampler.end_phase();
    let ctx = Arc::new(Ctx {
        server_pid: pid,
        database: args.database,
        postgres_here: pg.as_ref().is_some_and(PgDatabase::is_local),
        base: cfg.base_url(),
        token,
        site_id,
        vocab,
        body_chars: args.body_chars,
        seed: args.seed,
        created: AtomicU64::new(0),
        code_ids,
        participant_ids,
    });
    let warmup = Duration::from_secs(args.warmup_secs);
    let measure = Duration::from_secs(args.duration_secs.max(1));

    report.create = levels(
        &ctx,
        &sampler,
        (Work::Create, "POST /notes"),
        &args.concurrency,
        (warmup, measure),
        &mut report.failures,
    )
    .await;
    if let (Some(raw), Some(c16)) = (
        &report.raw_sqlite,
        report.create.iter().find(|r| r.clients == 16),
    ) {
        if raw.commits_per_sec > 0.0 {
            report.create_16_clients_vs_raw_sqlite =
                Some(round(c16.per_sec / raw.commits_per_sec, 3));
        }
    }
    if let (Some(raw), Some(c16)) = (
        &report.raw_postgres,
        report.create.iter().find(|r| r.clients == 16),
    ) {
        if raw.commits_per_sec > 0.0 {
            report.create_16_clients_vs_raw_postgres =
                Some(round(c16.per_sec / raw.commits_per_sec, 3));
        }
        if let (Some(max), true) = (c16.cpu_bound_max_per_sec, raw.commits_per_sec > 0.0) {
            report.create_16_clients_cpu_bound_vs_raw_postgres =
                Some(round(max / raw.commits_per_sec, 3));
        }
    }

    eprintln!(
        "(i) POST /notes at 16 clients, without and with a webhook answering after {} ms …",
        args.webhook_delay_ms
    );
    sampler.phase("POST /notes with a slow webhook");
    let r = webhook_load(
        &ctx,
        Duration::from_millis(args.webhook_delay_ms),
        (warmup, measure),
    )
    .await;
    sampler.end_phase();
    match r {
        Ok(r) => report.webhook_load = Some(r),
        Err(e) => report.failures.push(format!("notes with a webhook: {e:#}")),
    }

    eprintln!(
        "(d) POST /api/v1/notes/sync, {} batches of {} …",
        args.sync_batches, args.sync_batch_size
    );
    sampler.phase("POST /notes/sync");
    let r = sync_phase(&ctx, args.sync_batches, args.sync_batch_size).await;
    let peak = sampler.end_phase();
    match r {
        Ok(mut r) => {
            r.peak_rss_kib = peak;
            report.sync = Some(r);
        }
        Err(e) => report.failures.push(format!("sync: {e:#}")),
    }

    eprintln!("(e) filling up to {} notes …", args.notes_for_search);
    sampler.phase("fill for search (sync)");
    let r = fill(&ctx, args.notes_for_search, args.sync_batch_size).await;
    let peak = sampler.end_phase();
    match r {
        Ok(mut r) => {
            r.peak_rss_kib = peak;
            report.search_fill = Some(r);
        }
        Err(e) => report.failures.push(format!("fill for search: {e:#}")),
    }
    // PostgreSQL plans a search from the table's statistics. Autovacuum
    // gathers them within a minute or so of a bulk load; the search phase
    // starts seconds after the fill, so gather them now, as a running
    // service would have them.
    if let Some(pg) = &pg {
        if let Err(e) = pg.query_scalar("ANALYZE") {
            report
                .failures
                .push(format!("ANALYZE after the fill: {e:#}"));
        }
    }
    report.search = levels(
        &ctx,
        &sampler,
        (Work::Search, "GET /notes?q"),
        &args.search_clients,
        (warmup, measure),
        &mut report.failures,
    )
    .await;

    // The CSV first: its growth is then not hidden by memory the project
    // export left to the allocator.
    for path in ["/api/v1/exports/notes.csv", "/api/v1/exports/project.qdpx"] {
        eprintln!("(g) GET {path} …");
        sampler.phase(&format!("GET {path}"));
        let r = export(&ctx, path).await;
        let peak = sampler.end_phase();
        match r {
            Ok(mut r) => {
                r.peak_rss_kib = peak;
                r.rss_growth_kib = peak.zip(r.rss_before_kib).map(|(p, b)| p.saturating_sub(b));
                if !r.complete {
                    report
                        .failures
                        .push(format!("{path}: the file ended early"));
                }
                report.exports.push(r);
            }
            Err(e) => report.failures.push(format!("{path}: {e:#}")),
        }
    }

    eprintln!(
        "(h) POST /notes at {} clients, idle and during {} export clients …",
        args.export_notes_clients, args.export_clients
    );
    sampler.phase("POST /notes during exports");
    let r = exports_load(&ctx, &args, (warmup, measure)).await;
    sampler.end_phase();
    match r {
        Ok(r) => report.exports_load = Some(r),
        Err(e) => report.failures.push(format!("notes during exports: {e:#}")),
    }

    report.rss.vm_hwm_kib = sys::proc_status_kib(pid, "VmHWM");
    if !srv.stop(Duration::from_secs(20)).await? {
        report
            .failures
            .push("the server did not stop within 20 s of SIGTERM (killed)".into());
    }
    report.rss.phases = sampler.finish();
    if let Some(pg) = pg.as_mut() {
        if args.keep_data {
            pg.keep();
            println!("PostgreSQL database kept: {}", pg.url());
        } else {
            pg.drop_now()?;
        }
    }

    print_report(&report);
    let json = serde_json::to_string_pretty(&report)?;
    std::fs::write(&args.json, json + "\n")
        .with_context(|| format!("writing {}", args.json.display()))?;
    println!("\nJSON report: {}", args.json.display());
    if args.keep_data {
        let kept = tmp.keep();
        println!("data kept in {}", kept.display());
    }

    let request_errors = report.create.iter().map(|r| r.errors).sum::<u64>()
        + report
            .exports_load
            .as_ref()
            .map_or(0, |x| x.idle.errors + x.during.errors + x.export_errors)
        + report
            .webhook_load
            .as_ref()
            .map_or(0, |x| x.without.errors + x.with.errors)
        + report.sync.as_ref().map_or(0, |s| s.errors)
        + report.search.iter().map(|s| s.errors).sum::<u64>();
    Ok(report.failures.is_empty() && request_errors == 0)
}

// ----------------------------------------------------------------- output --

fn mib(kib: Option<u64>) -> String {
    kib.map_or("-".into(), |k| format!("{:.1}", k as f64 / 1024.0))
}

fn print_header(r: &Report) {
    let m = &r.machine;
    println!("Fieldnotes bench, {}", r.started_at);
    println!("command:  {}", r.command_line);
    println!(
        "machine:  {} cores ({}), {:.1} GiB RAM, Linux {}",
        m.nproc,
        m.cpu_model,
        m.mem_total_kib as f64 / 1024.0 / 1024.0,
        m.kernel
    );
    println!("disk:     {}", m.data_fs);
    println!(
        "server:   {} ({}), database {}, synchronous=full",
        r.server_binary,
        r.server_version.as_deref().unwrap_or("version unknown"),
        r.args.database
    );
    println!();
}

fn print_load_header() {
    println!(
        "  {:>7} {:>10} {:>9} {:>9} {:>9} {:>9} {:>8} {:>9} {:>11} {:>11} {:>8} {:>10}",
        "clients",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "errors",
        "RSS MiB",
        "server µs",
        "client µs",
        "db µs",
        "CPU max/s"
    );
}

fn print_load_row(r: &LoadResult) {
    println!(
        "  {:>7} {:>10.1} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>8} {:>9} {:>11} {:>11} {:>8} {:>10}",
        r.clients,
        r.per_sec,
        r.p50_ms,
        r.p90_ms,
        r.p99_ms,
        r.max_ms,
        r.errors,
        mib(r.peak_rss_kib),
        r.server_cpu_us_per_req
            .map_or("-".into(), |x| format!("{x:.0}")),
        r.client_cpu_us_per_req
            .map_or("-".into(), |x| format!("{x:.0}")),
        r.database_cpu_us_per_req
            .map_or("-".into(), |x| format!("{x:.0}")),
        r.cpu_bound_max_per_sec
            .map_or("-".into(), |x| format!("{x:.0}")),
    );
}

fn print_errors(samples: &[String]) {
    for s in samples {
        println!("          error: {s}");
    }
}

fn print_report(r: &Report) {
    println!();
    match &r.raw_sqlite {
        Some(s) => println!(
            "(a) raw SQLite {} (WAL, synchronous=FULL), one row per commit:\n    {:.1} commits/s  (p50 {:.2} ms, p99 {:.2} ms, {} commits in {:.1} s)",
            s.sqlite_version, s.commits_per_sec, s.p50_ms, s.p99_ms, s.commits, s.seconds
        ),
        None => println!("(a) raw SQLite: did not run"),
    }
    println!();
    println!(
        "(b) POST /api/v1/notes, closed loop, {} s per level after {} s warm-up\n    (server µs, client µs, db µs: CPU time per answered request used by the\n    server process, by this load generator and, on a PostgreSQL on this\n    machine, by PostgreSQL's processes, which all share the machine's cores;\n    CPU max/s: the most requests a second the cores allow at that CPU time)",
        r.args.duration_secs, r.args.warmup_secs
    );
    print_load_header();
    for c in &r.create {
        print_load_row(c);
        print_errors(&c.error_samples);
    }
    println!();
    match r.create_16_clients_vs_raw_sqlite {
        Some(x) => println!("(c) POST /notes at 16 clients ÷ raw SQLite commits: {x:.3}"),
        None => println!("(c) ratio: not available"),
    }
    if let Some(raw) = &r.raw_postgres {
        println!(
            "(a') raw PostgreSQL, one row per commit from {} connections:\n    {:.1} commits/s  (p50 {:.2} ms, p99 {:.2} ms, {} commits in {:.1} s)",
            raw.connections, raw.commits_per_sec, raw.p50_ms, raw.p99_ms, raw.commits, raw.seconds
        );
    }
    if let Some(x) = r.create_16_clients_vs_raw_postgres {
        println!(
            "(c') POST /notes at 16 clients ÷ raw PostgreSQL commits (16 connections): {x:.3}"
        );
    }
    if let (Some(raw), Some(c16), Some(x)) = (
        &r.raw_postgres,
        r.create.iter().find(|c| c.clients == 16),
        r.create_16_clients_cpu_bound_vs_raw_postgres,
    ) {
        let us = |x: Option<f64>| x.map_or("-".into(), |x| format!("{x:.0}"));
        println!(
            "(c'') CPU time (all processes share the machine's {} cores):\n    raw commit: PostgreSQL {} + inserting tasks {} µs\n    POST /notes at 16 clients: server {} + PostgreSQL {} + load generator {} µs, so at most {:.0} requests/s\n    (c') cannot pass {x:.3} on these cores",
            sys::cores(),
            us(raw.database_cpu_us_per_commit),
            us(raw.client_cpu_us_per_commit),
            us(c16.server_cpu_us_per_req),
            us(c16.database_cpu_us_per_req),
            us(c16.client_cpu_us_per_req),
            c16.cpu_bound_max_per_sec.unwrap_or_default(),
        );
    }
    println!();
    match &r.sync {
        Some(s) => {
            println!(
                "(d) POST /api/v1/notes/sync, {} notes per batch, {} batches:\n    p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms per batch; {:.1} notes/s; errors {}; peak RSS {} MiB",
                s.batch_size, s.batches, s.p50_ms, s.p99_ms, s.max_ms, s.notes_per_sec, s.errors, mib(s.peak_rss_kib)
            );
            print_errors(&s.error_samples);
        }
        None => println!("(d) sync: did not run"),
    }
    println!();
    if let Some(f) = r.search_fill.as_ref().filter(|f| f.notes_added == 0) {
        println!(
            "(e) fill: not needed, {} notes already stored",
            f.notes_after
        );
    } else if let Some(f) = &r.search_fill {
        println!(
            "(e) fill: {} → {} notes by sync in {:.1} s ({:.1} notes/s; first full batch {} ms, last {} ms)",
            f.notes_before,
            f.notes_after,
            f.seconds,
            f.notes_per_sec,
            f.first_batch_ms.map_or("-".into(), |x| format!("{x:.0}")),
            f.last_batch_ms.map_or("-".into(), |x| format!("{x:.0}")),
        );
    }
    if r.search.is_empty() {
        println!("(e) search: did not run");
    } else {
        println!(
            "    GET /api/v1/notes?q=<1-2 words>&limit=50, {} s per level",
            r.args.duration_secs,
        );
        print_load_header();
        for s in &r.search {
            print_load_row(s);
            print_errors(&s.error_samples);
        }
        if let Some(s) = r.search.last() {
            println!(
                "    mean {} notes per page, {} empty pages (at {} clients)",
                s.mean_items.map_or("-".into(), |x| format!("{x:.1}")),
                s.empty_pages.unwrap_or(0),
                s.clients
            );
        }
    }
    println!();
    println!(
        "(f) server RSS: {} MiB idle after start; VmHWM {} MiB at the end; peak per phase (sampled every 200 ms):",
        mib(r.rss.idle_after_start_kib),
        mib(r.rss.vm_hwm_kib)
    );
    for p in &r.rss.phases {
        println!(
            "    {:<32} {:>8} MiB  (VmHWM {} MiB at its end)",
            p.phase,
            mib(Some(p.peak_rss_kib)),
            mib(p.hwm_at_end_kib)
        );
    }
    if !r.exports.is_empty() {
        println!();
        println!("(g) exports of the notes above, read to the last byte:");
        for e in &r.exports {
            println!(
                "    {:<32} {:>7.2} s  {:>8.1} MiB  RSS {} MiB before, peak {} MiB, growth {} MiB{}",
                e.path,
                e.seconds,
                e.bytes as f64 / 1_048_576.0,
                mib(e.rss_before_kib),
                mib(e.peak_rss_kib),
                mib(e.rss_growth_kib),
                if e.complete { "" } else { "  (INCOMPLETE)" }
            );
        }
    }
    if let Some(x) = &r.exports_load {
        println!();
        println!(
            "(h) POST /api/v1/notes at {} clients, idle and while {} clients download the project export\n    (exports read to the end {}, refused 429 {}, failed {} while measured):",
            x.idle.clients, x.export_clients, x.exports_done, x.exports_refused, x.export_errors
        );
        print_load_header();
        print_load_row(&x.idle);
        print_load_row(&x.during);
        print_errors(&x.during.error_samples);
        match x.p99_ratio {
            Some(q) => println!("    p99 during exports ÷ p99 idle: {q:.2} (at most 2 wanted)"),
            None if x.during.ok == 0 => {
                println!("    no request was answered while the exports ran: the phones starved")
            }
            None => println!("    p99 ratio: not available"),
        }
    }
    if let Some(x) = &r.webhook_load {
        println!();
        println!(
            "(i) POST /api/v1/notes at 16 clients, without and with a webhook on note.created answering after {} ms\n    ({} deliveries arrived while measured):",
            x.receiver_delay_ms, x.delivered
        );
        print_load_header();
        print_load_row(&x.without);
        print_load_row(&x.with);
        print_errors(&x.with.error_samples);
        if let Some(q) = x.throughput_ratio {
            println!("    throughput with ÷ without: {q:.3} (at least 0.9 wanted)");
        }
    }
    if !r.failures.is_empty() {
        println!();
        println!("FAILED PHASES:");
        for f in &r.failures {
            println!("  - {f}");
        }
    }
}
