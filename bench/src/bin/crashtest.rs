//! `crashtest`: does every note the server acknowledged survive SIGKILL,
//! exactly once?
//!
//! A few writer tasks (`--clients`, default 4) post notes continuously with
//! client-made ids, retrying each note with the same id and content until it
//! gets a 2xx, as a phone's upload queue does. Some acknowledged notes are
//! sent once more at once (a phone that lost the answer), which must give 200,
//! never 201. Meanwhile the server is killed with SIGKILL at a random moment
//! 100-700 ms after it became healthy and restarted on the same data
//! directory (or PostgreSQL database) and port, `--kills` times (default 20).
//!
//! Then it checks: every acknowledged note reads back (`GET /notes/{id}`) with
//! its body; paging through `GET /notes` finds no id twice, no id the client
//! never sent, and every acknowledged one; the notes table holds as many rows
//! as the listing; and for SQLite, after a clean stop, `PRAGMA
//! integrity_check` says `ok`. Any 409 for a retry of the same content is a
//! failure. The exit status is non-zero on any failure.
//!
//! With `--backups N` (SQLite), N of the kills are preceded by `fieldnotes
//! backup` run while the writers go on; the server is SIGKILLed soon after.
//! The live database must still hold every acknowledged note (a backup once
//! deleted the live `-wal` file, and every later write was lost at the next
//! kill), the server must hold no deleted file open right after a backup,
//! every backup must hold every note acknowledged before it started, and the
//! last one is put back with `fieldnotes restore` into a new data directory,
//! served, and every such note read back through the API.
//!
//! Run: `cargo build -p fieldnotes-api && cargo run -p bench --bin crashtest`
//! or `cargo run -p bench --bin crashtest -- --database postgres`
//! (`--server <path>` to test a release build, `--help` for all flags).
use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex, RwLock,
    },
    time::{Duration, Instant},
};

use anyhow::{bail, Context};
use bench::{
    client,
    cluster::Cluster,
    server::{self, DatabaseKind, PgDatabase, Server, ServerConfig},
    text::{self, Vocabulary},
};
use clap::Parser;
use futures_util::{stream, StreamExt};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Parser, Debug)]
#[command(about = "Durability of acknowledged notes when the server is SIGKILLed")]
struct Args {
    /// The server binary [default: $CARGO_TARGET_DIR/debug/fieldnotes].
    #[arg(long)]
    server: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = DatabaseKind::Sqlite)]
    database: DatabaseKind,
    /// How many times the server is killed and restarted.
    #[arg(long, default_value_t = 20)]
    kills: u32,
    /// Concurrent writers.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Shortest uptime before a kill, after /health answers.
    #[arg(long, default_value_t = 100)]
    min_uptime_ms: u64,
    /// Longest uptime before a kill.
    #[arg(long, default_value_t = 700)]
    max_uptime_ms: u64,
    /// Percentage of acknowledged notes sent a second time at once.
    #[arg(long, default_value_t = 10)]
    resend_percent: u32,
    /// Longest note body in characters (bodies vary from 20 up to this).
    #[arg(long, default_value_t = 600)]
    max_body_chars: usize,
    /// Seed of kill timing and note text [default: random, printed].
    #[arg(long)]
    seed: Option<u64>,
    /// Parent of the run's temporary data directory.
    #[arg(long, default_value_os_t = std::env::temp_dir())]
    tmp_dir: PathBuf,
    /// Keep the data directory (database, server log) even when the test passes.
    #[arg(long)]
    keep_data: bool,
    /// Instances: 1 runs the server alone; 3 runs three instances on one
    /// PostgreSQL database behind HAProxy (`--balancer`), killed in turn.
    #[arg(long, default_value_t = 1)]
    instances: usize,
    /// HAProxy's configuration when there are several instances.
    #[arg(long, default_value = "deploy/haproxy.cfg")]
    balancer: PathBuf,
    /// SQLite: take this many backups (`fieldnotes backup`) while the
    /// writers run, each shortly before a kill, and check them afterwards.
    #[arg(long, default_value_t = 0)]
    backups: u32,
}

/// A backup taken during the run, and what had been acknowledged before
/// it started (all of which it must hold).
struct BackupTaken {
    file: PathBuf,
    before: Vec<(Uuid, String)>,
}

/// What the writers talk to: the server alone, or instances behind HAProxy.
enum Target {
    One(ServerConfig, Server),
    Many(Cluster),
}

impl Target {
    fn base(&self) -> String {
        match self {
            Target::One(cfg, _) => cfg.base_url(),
            Target::Many(c) => c.base_url().to_string(),
        }
    }

    /// Kill number `k` (from 1): SIGKILL, start again, wait until healthy.
    async fn restart(&mut self, k: u32) -> anyhow::Result<Duration> {
        match self {
            Target::One(cfg, srv) => {
                let t0 = Instant::now();
                srv.kill()?;
                let mut next = cfg.spawn()?;
                if let Err(e) = next.wait_healthy(Duration::from_secs(60)).await {
                    bail!("{e:#}\n{}", next.log_tail(20));
                }
                *srv = next;
                Ok(t0.elapsed())
            }
            Target::Many(c) => c.restart((k as usize - 1) % c.servers.len()).await,
        }
    }

    async fn stop(&mut self) -> anyhow::Result<bool> {
        match self {
            Target::One(_, srv) => srv.stop(Duration::from_secs(20)).await,
            Target::Many(c) => c.stop(Duration::from_secs(20)).await,
        }
    }

    fn sqlite_path(&self) -> Option<PathBuf> {
        match self {
            Target::One(cfg, _) => cfg.sqlite_path(),
            Target::Many(_) => None,
        }
    }

    /// `fieldnotes backup --to FILE` beside the running server, then the
    /// files the server holds open that were deleted meanwhile (the live
    /// `-wal` or `-shm`, when a backup unlinks them).
    async fn backup(&self, file: &std::path::Path) -> anyhow::Result<Vec<String>> {
        let Target::One(cfg, srv) = self else {
            bail!("backups are for one SQLite server");
        };
        cfg.run(&["backup".as_ref(), "--to".as_ref(), file.as_os_str()])
            .await?;
        let mut deleted = Vec::new();
        for fd in std::fs::read_dir(format!("/proc/{}/fd", srv.pid()))?.flatten() {
            if let Ok(link) = std::fs::read_link(fd.path()) {
                let link = link.to_string_lossy().to_string();
                if link.ends_with("(deleted)") && link.contains("fieldnotes.db") {
                    deleted.push(link);
                }
            }
        }
        Ok(deleted)
    }
}

#[derive(Default)]
struct Counters {
    notes: AtomicU64,
    attempts: AtomicU64,
    retries: AtomicU64,
    transport_errors: AtomicU64,
    server_errors: AtomicU64,
    unauthorized: AtomicU64,
    resends: AtomicU64,
    resends_unchanged: AtomicU64,
    /// Retries answered 200: the lost attempt had been stored before the kill.
    retries_found_stored: AtomicU64,
    // Failures:
    conflicts: AtomicU64,
    resends_created: AtomicU64,
    fresh_unchanged: AtomicU64,
    ack_mismatches: AtomicU64,
    unexpected: AtomicU64,
}

fn inc(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

fn get(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

struct Shared {
    base: String,
    site_id: Uuid,
    token: RwLock<String>,
    login: tokio::sync::Mutex<()>,
    vocab: Vocabulary,
    max_body_chars: usize,
    resend_percent: u32,
    /// Stop starting new notes (notes under way still finish).
    stop: AtomicBool,
    /// Give up at once: the server could not be restarted.
    abort: AtomicBool,
    /// Every id ever sent.
    sent: Mutex<HashSet<Uuid>>,
    /// Ids that got a 2xx, with the body sent.
    acked: Mutex<HashMap<Uuid, String>>,
    c: Counters,
    failures: Mutex<Vec<String>>,
}

impl Shared {
    fn token(&self) -> String {
        self.token.read().map(|t| t.clone()).unwrap_or_default()
    }

    /// Records a failure; the first 20 are printed as they happen.
    fn fail(&self, msg: String) {
        if let Ok(mut f) = self.failures.lock() {
            if f.len() < 20 {
                eprintln!("FAILURE: {msg}");
            } else if f.len() == 20 {
                eprintln!("FAILURE: (further failures are counted, not printed)");
            }
            f.push(msg);
        }
    }

    /// Logs in again unless another task already did since `stale`.
    async fn relogin(&self, http: &reqwest::Client, stale: &str) {
        let _guard = self.login.lock().await;
        while self.token() == stale && !self.abort.load(Ordering::Relaxed) {
            match client::login(
                http,
                &self.base,
                server::ADMIN_EMAIL,
                server::ADMIN_PASSWORD,
            )
            .await
            {
                Ok(t) => {
                    if let Ok(mut w) = self.token.write() {
                        *w = t;
                    }
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}

#[derive(Deserialize)]
struct NoteOut {
    id: Uuid,
    body: String,
}

/// Posts `note` until a 2xx, retrying transport errors and 5xx after 50 ms.
/// Returns the 2xx status and whether the first attempt got it, or `None`
/// on a failure (recorded) or abort.
async fn send_until_acked(
    sh: &Shared,
    http: &reqwest::Client,
    note: &serde_json::Value,
    id: Uuid,
    body: &str,
) -> Option<(u16, bool)> {
    let url = format!("{}/api/v1/notes", sh.base);
    let mut attempt = 0u32;
    loop {
        if sh.abort.load(Ordering::Relaxed) {
            return None;
        }
        attempt += 1;
        if attempt > 1 {
            inc(&sh.c.retries);
        }
        inc(&sh.c.attempts);
        let token = sh.token();
        let r = match http.post(&url).bearer_auth(&token).json(note).send().await {
            Ok(r) => r,
            Err(_) => {
                inc(&sh.c.transport_errors);
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let status = r.status().as_u16();
        match status {
            200 | 201 => {
                let bytes = match r.bytes().await {
                    Ok(b) => b,
                    Err(_) => {
                        // The answer was cut off: we cannot know, so retry.
                        inc(&sh.c.transport_errors);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                match serde_json::from_slice::<NoteOut>(&bytes) {
                    Ok(n) if n.id == id && n.body == body => {}
                    Ok(n) => {
                        inc(&sh.c.ack_mismatches);
                        sh.fail(format!(
                            "note {id}: the {status} answer holds note {} with another body",
                            n.id
                        ));
                    }
                    Err(e) => {
                        inc(&sh.c.ack_mismatches);
                        sh.fail(format!("note {id}: unreadable {status} answer: {e}"));
                    }
                }
                if status == 200 && attempt > 1 {
                    inc(&sh.c.retries_found_stored);
                }
                return Some((status, attempt == 1));
            }
            401 => {
                inc(&sh.c.unauthorized);
                sh.relogin(http, &token).await;
            }
            409 => {
                inc(&sh.c.conflicts);
                let d = client::describe(r).await;
                sh.fail(format!(
                    "note {id}: 409 for a retry of the same content: {d}"
                ));
                return None;
            }
            s if s >= 500 => {
                inc(&sh.c.server_errors);
                let _ = r.bytes().await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            _ => {
                inc(&sh.c.unexpected);
                let d = client::describe(r).await;
                sh.fail(format!("note {id}: unexpected answer {d}"));
                return None;
            }
        }
    }
}

/// One phone's upload queue: new notes until told to stop.
async fn writer(sh: Arc<Shared>, seed: u64) -> anyhow::Result<()> {
    let http = client::http_client(Duration::from_secs(10))?;
    let mut rng = StdRng::seed_from_u64(seed);
    while !sh.stop.load(Ordering::Relaxed) && !sh.abort.load(Ordering::Relaxed) {
        let chars = rng.gen_range(20..=sh.max_body_chars.max(20));
        let note = text::random_note(&sh.vocab, &mut rng, sh.site_id, chars);
        let id: Uuid = serde_json::from_value(note["id"].clone())?;
        let body = note["body"].as_str().unwrap_or_default().to_string();
        inc(&sh.c.notes);
        if let Ok(mut s) = sh.sent.lock() {
            s.insert(id);
        }
        match send_until_acked(&sh, &http, &note, id, &body).await {
            None => continue,
            // The very first request for a fresh id answered "already stored":
            // the server holds a note the client never sent.
            Some((200, true)) => {
                inc(&sh.c.fresh_unchanged);
                sh.fail(format!(
                    "note {id}: a fresh id answered 200 (already stored) at once"
                ));
            }
            Some(_) => {}
        }
        if let Ok(mut a) = sh.acked.lock() {
            a.insert(id, body.clone());
        }
        if rng.gen_range(0..100) < sh.resend_percent {
            inc(&sh.c.resends);
            match send_until_acked(&sh, &http, &note, id, &body).await {
                Some((200, _)) => inc(&sh.c.resends_unchanged),
                Some((s, _)) => {
                    inc(&sh.c.resends_created);
                    sh.fail(format!(
                        "note {id}: sent again after its acknowledgement and answered {s}, not 200"
                    ));
                }
                None => {}
            }
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct IdOnly {
    id: Uuid,
}

#[derive(Deserialize)]
struct Page {
    items: Vec<IdOnly>,
    next_cursor: Option<String>,
}

/// GET with a few retries on transport errors and 5xx.
async fn get_with_retry(
    http: &reqwest::Client,
    token: &str,
    url: &str,
    query: &[(&str, &str)],
) -> anyhow::Result<(u16, Vec<u8>)> {
    let mut last = String::new();
    for _ in 0..5 {
        match http.get(url).bearer_auth(token).query(query).send().await {
            Ok(r) if r.status().as_u16() < 500 => {
                let s = r.status().as_u16();
                return Ok((s, r.bytes().await?.to_vec()));
            }
            Ok(r) => last = client::describe(r).await,
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("GET {url}: {last}")
}

#[derive(Default)]
struct Verdict {
    read_back_ok: u64,
    lost: Vec<Uuid>,
    wrong_body: Vec<Uuid>,
    listed: usize,
    listed_distinct: usize,
    pages: usize,
    duplicates: usize,
    unknown: Vec<Uuid>,
    missing_from_list: usize,
    unacked_present: usize,
    table_rows: Option<u64>,
    integrity: Option<String>,
}

async fn verify(sh: &Shared) -> anyhow::Result<Verdict> {
    let http = client::http_client(Duration::from_secs(30))?;
    let token = sh.token();
    let acked: Vec<(Uuid, String)> = sh
        .acked
        .lock()
        .map(|a| a.iter().map(|(k, v)| (*k, v.clone())).collect())
        .unwrap_or_default();
    let sent: HashSet<Uuid> = sh.sent.lock().map(|s| s.clone()).unwrap_or_default();
    let mut v = Verdict::default();

    // (1) Every acknowledged note reads back with its body.
    let reads: Vec<anyhow::Result<(Uuid, Option<bool>)>> = stream::iter(acked.iter())
        .map(|(id, body)| {
            let (http, token) = (&http, &token);
            async move {
                let url = format!("{}/api/v1/notes/{id}", sh.base);
                let (status, bytes) = get_with_retry(http, token, &url, &[]).await?;
                match status {
                    200 => {
                        let n: NoteOut = serde_json::from_slice(&bytes)?;
                        Ok((*id, Some(n.id == *id && n.body == *body)))
                    }
                    404 => Ok((*id, None)),
                    s => bail!(
                        "GET /notes/{id}: HTTP {s}: {}",
                        String::from_utf8_lossy(&bytes)
                    ),
                }
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for r in reads {
        match r? {
            (_, Some(true)) => v.read_back_ok += 1,
            (id, Some(false)) => v.wrong_body.push(id),
            (id, None) => v.lost.push(id),
        }
    }

    // (2) The listing: each id once, only ids we sent, all acknowledged ones.
    let url = format!("{}/api/v1/notes", sh.base);
    let mut listed: Vec<Uuid> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = vec![("limit", "200")];
        if let Some(c) = &cursor {
            q.push(("cursor", c.as_str()));
        }
        let (status, bytes) = get_with_retry(&http, &token, &url, &q).await?;
        if status != 200 {
            bail!(
                "GET /notes: HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        let page: Page = serde_json::from_slice(&bytes).context("reading a page of notes")?;
        v.pages += 1;
        listed.extend(page.items.iter().map(|n| n.id));
        match page.next_cursor {
            Some(c) if !page.items.is_empty() => cursor = Some(c),
            _ => break,
        }
        if v.pages > 1_000_000 {
            bail!("GET /notes: more than a million pages; the cursor does not advance");
        }
    }
    let distinct: HashSet<Uuid> = listed.iter().copied().collect();
    v.listed = listed.len();
    v.listed_distinct = distinct.len();
    v.duplicates = listed.len() - distinct.len();
    v.unknown = distinct
        .iter()
        .filter(|id| !sent.contains(id))
        .copied()
        .collect();
    let acked_ids: HashSet<Uuid> = acked.iter().map(|(id, _)| *id).collect();
    v.missing_from_list = acked_ids.difference(&distinct).count();
    v.unacked_present = distinct
        .iter()
        .filter(|id| sent.contains(id) && !acked_ids.contains(id))
        .count();
    Ok(v)
}

fn sqlite_checks(path: &std::path::Path) -> anyhow::Result<(String, u64)> {
    let conn =
        rusqlite::Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    let rows_in_table: u64 = conn.query_row("SELECT count(*) FROM notes", [], |r| r.get(0))?;
    Ok((rows.join("; "), rows_in_table))
}

/// A note id as SQLite holds it (16 bytes or text).
fn read_uuid(v: rusqlite::types::Value) -> Option<Uuid> {
    match v {
        rusqlite::types::Value::Blob(b) => Uuid::from_slice(&b).ok(),
        rusqlite::types::Value::Text(t) => t.parse().ok(),
        _ => None,
    }
}

/// Every backup passes `PRAGMA integrity_check` and holds every note
/// acknowledged before it started, with its body; the last one, put back
/// with `fieldnotes restore` into a new data directory and served, reads
/// each of them back through the API. Returns how many were read back.
async fn check_backups(
    sh: &Shared,
    target: &Target,
    backups: &[BackupTaken],
    tmp: &std::path::Path,
) -> anyhow::Result<usize> {
    for (i, b) in backups.iter().enumerate() {
        let conn = rusqlite::Connection::open_with_flags(
            &b.file,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .with_context(|| format!("opening {}", b.file.display()))?;
        let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if integrity != "ok" {
            sh.fail(format!("backup {}: integrity_check: {integrity}", i + 1));
        }
        let mut stmt = conn.prepare("SELECT id, body FROM notes")?;
        let held: HashMap<Uuid, String> = stmt
            .query_map([], |r| {
                Ok((r.get::<_, rusqlite::types::Value>(0)?, r.get(1)?))
            })?
            .filter_map(|r| r.ok())
            .filter_map(|(id, body)| read_uuid(id).map(|id| (id, body)))
            .collect();
        let missing = b
            .before
            .iter()
            .filter(|(id, body)| held.get(id) != Some(body))
            .count();
        if missing > 0 {
            sh.fail(format!(
                "backup {}: {missing} of the {} notes acknowledged before it are missing or changed",
                i + 1,
                b.before.len()
            ));
        }
    }
    let (Target::One(cfg, _), Some(last)) = (target, backups.last()) else {
        bail!("no backup to restore");
    };
    let mut restored = cfg.clone();
    restored.data_dir = tmp.join("restored");
    restored.log_path = restored.data_dir.join("server.log");
    restored.port = server::free_port()?;
    std::fs::create_dir_all(&restored.data_dir)?;
    restored
        .run(&["restore".as_ref(), "--from".as_ref(), last.file.as_os_str()])
        .await?;
    let mut srv = restored.spawn()?;
    srv.wait_healthy(Duration::from_secs(60)).await?;
    let http = client::http_client(Duration::from_secs(30))?;
    let base = restored.base_url();
    let token = client::login(&http, &base, server::ADMIN_EMAIL, server::ADMIN_PASSWORD).await?;
    let mut read = 0;
    for (id, body) in &last.before {
        let url = format!("{base}/api/v1/notes/{id}");
        let (status, bytes) = get_with_retry(&http, &token, &url, &[]).await?;
        match status {
            200 if serde_json::from_slice::<NoteOut>(&bytes).is_ok_and(|n| n.body == *body) => {
                read += 1
            }
            s => sh.fail(format!(
                "restored backup: GET /notes/{id} answered {s} or another body"
            )),
        }
    }
    srv.stop(Duration::from_secs(20)).await?;
    Ok(read)
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("crashtest: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("crashtest: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<bool> {
    let server_bin = args
        .server
        .clone()
        .unwrap_or_else(|| server::default_server(false));
    server::check_server_binary(&server_bin)?;
    if args.min_uptime_ms > args.max_uptime_ms {
        bail!("--min-uptime-ms must not exceed --max-uptime-ms");
    }
    if args.clients == 0 {
        bail!("--clients must be at least 1");
    }
    if args.instances != 1 && args.instances != bench::cluster::INSTANCES {
        bail!("--instances must be 1 or {}", bench::cluster::INSTANCES);
    }
    if args.instances > 1 && args.database != DatabaseKind::Postgres {
        bail!("several instances share a PostgreSQL database: add --database postgres");
    }
    if args.backups > 0 && (args.database != DatabaseKind::Sqlite || args.instances != 1) {
        bail!("--backups is for one server on SQLite (PostgreSQL is backed up with pg_dump)");
    }
    if args.backups > args.kills {
        bail!("--backups must not exceed --kills (each backup precedes a kill)");
    }
    let seed = args.seed.unwrap_or_else(|| rand::thread_rng().gen());
    let started = Instant::now();
    let tmp = tempfile::Builder::new()
        .prefix("fieldnotes-crashtest-")
        .tempdir_in(&args.tmp_dir)
        .with_context(|| format!("making a directory in {}", args.tmp_dir.display()))?;
    let mut pg = match args.database {
        DatabaseKind::Postgres => Some(PgDatabase::create("fieldnotes_crash")?),
        DatabaseKind::Sqlite => None,
    };
    println!(
        "crashtest: {}{} on {}, {} kills, {} writers, seed {seed}",
        server_bin.display(),
        if args.instances > 1 {
            format!(
                " ×{} behind HAProxy ({})",
                args.instances,
                args.balancer.display()
            )
        } else {
            String::new()
        },
        match &pg {
            Some(p) => format!("PostgreSQL database {}", p.name()),
            None => format!("SQLite in {} (synchronous=full)", tmp.path().display()),
        },
        args.kills,
        args.clients
    );
    let mut target = if args.instances > 1 {
        let url = pg.as_ref().map(|p| p.url()).unwrap_or_default();
        Target::Many(Cluster::start(&server_bin, tmp.path(), &url, &args.balancer, &[]).await?)
    } else {
        let cfg = ServerConfig::new(server_bin, tmp.path(), pg.as_ref().map(|p| p.url()), true)?;
        cfg.create_admin()?;
        let mut srv: Server = cfg.spawn()?;
        srv.wait_healthy(Duration::from_secs(60)).await?;
        Target::One(cfg, srv)
    };
    let base = target.base();
    let setup = client::http_client(Duration::from_secs(30))?;
    let token = client::login(&setup, &base, server::ADMIN_EMAIL, server::ADMIN_PASSWORD).await?;
    let site_id = client::create_site(&setup, &base, &token, "Clinic A").await?;

    let sh = Arc::new(Shared {
        base: base.clone(),
        site_id,
        token: RwLock::new(token),
        login: tokio::sync::Mutex::new(()),
        vocab: Vocabulary::new(2000, 1.07, seed),
        max_body_chars: args.max_body_chars,
        resend_percent: args.resend_percent,
        stop: AtomicBool::new(false),
        abort: AtomicBool::new(false),
        sent: Mutex::new(HashSet::new()),
        acked: Mutex::new(HashMap::new()),
        c: Counters::default(),
        failures: Mutex::new(Vec::new()),
    });
    let writing_started = Instant::now();
    let writers: Vec<_> = (0..args.clients)
        .map(|i| {
            tokio::spawn(writer(
                sh.clone(),
                seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9),
            ))
        })
        .collect();

    // The killer.
    let mut rng = StdRng::seed_from_u64(seed);
    let mut kills = 0u32;
    let mut restart_ms: Vec<f64> = Vec::new();
    let mut backups: Vec<BackupTaken> = Vec::new();
    let backup_every = args.kills.checked_div(args.backups).unwrap_or(0);
    for k in 1..=args.kills {
        let up = rng.gen_range(args.min_uptime_ms..=args.max_uptime_ms);
        if backup_every > 0 && k % backup_every == 0 && backups.len() < args.backups as usize {
            // Half the uptime, a backup while the writers go on, the rest of
            // the uptime (writes acknowledged after the backup), the kill.
            tokio::time::sleep(Duration::from_millis(up / 2)).await;
            let before: Vec<(Uuid, String)> = sh
                .acked
                .lock()
                .map(|a| a.iter().map(|(k, v)| (*k, v.clone())).collect())
                .unwrap_or_default();
            let file = tmp.path().join(format!("backup-{k}.db"));
            match target.backup(&file).await {
                Ok(deleted) if deleted.is_empty() => {}
                Ok(deleted) => sh.fail(format!(
                    "after backup {}, the server holds deleted files open: {}",
                    backups.len() + 1,
                    deleted.join(", ")
                )),
                Err(e) => sh.fail(format!("backup before kill {k} failed: {e:#}")),
            }
            let after = sh.acked.lock().map(|a| a.len()).unwrap_or(0);
            eprintln!(
                "backup {}: {} notes acknowledged before it, {after} when it ended",
                backups.len() + 1,
                before.len()
            );
            backups.push(BackupTaken { file, before });
            tokio::time::sleep(Duration::from_millis(up - up / 2)).await;
        } else {
            tokio::time::sleep(Duration::from_millis(up)).await;
        }
        let acked_before = sh.acked.lock().map(|a| a.len()).unwrap_or(0);
        let back = match target.restart(k).await {
            Ok(d) => bench::ms(d),
            Err(e) => {
                sh.fail(format!("restart after kill {k} failed: {e:#}"));
                sh.abort.store(true, Ordering::Relaxed);
                break;
            }
        };
        kills += 1;
        restart_ms.push(back);
        eprintln!("kill {k:>3}/{}: after {up:>3} ms up, {acked_before:>6} acknowledged; healthy again in {back:.0} ms", args.kills);
    }

    // Let writing go on briefly on the last server, then drain.
    if !sh.abort.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    sh.stop.store(true, Ordering::Relaxed);
    let drained = tokio::time::timeout(
        Duration::from_secs(60),
        futures_util::future::join_all(writers),
    )
    .await;
    match drained {
        Ok(results) => {
            for r in results {
                match r {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => sh.fail(format!("a writer stopped: {e:#}")),
                    Err(e) => sh.fail(format!("a writer panicked: {e}")),
                }
            }
        }
        Err(_) => {
            sh.abort.store(true, Ordering::Relaxed);
            sh.fail("writers still retrying 60 s after the last restart".into());
        }
    }
    let write_secs = writing_started.elapsed().as_secs_f64();

    // Verification, on the running server, then on the stopped database.
    let mut verdict = if sh.abort.load(Ordering::Relaxed) {
        None
    } else {
        match verify(&sh).await {
            Ok(v) => Some(v),
            Err(e) => {
                sh.fail(format!("verification could not run: {e:#}"));
                None
            }
        }
    };
    let graceful = target.stop().await?;
    if !graceful {
        sh.fail("the server did not stop within 20 s of SIGTERM".into());
    }
    if let Some(v) = verdict.as_mut() {
        if let Some(path) = target.sqlite_path() {
            match sqlite_checks(&path) {
                Ok((integrity, rows)) => {
                    v.integrity = Some(integrity);
                    v.table_rows = Some(rows);
                }
                Err(e) => sh.fail(format!("SQLite checks: {e:#}")),
            }
        } else if let Some(p) = &pg {
            match p.query_scalar("SELECT count(*) FROM notes") {
                Ok(n) => v.table_rows = n.parse().ok(),
                Err(e) => sh.fail(format!("counting notes in PostgreSQL: {e:#}")),
            }
        }
    }
    if let Some(p) = pg.as_mut() {
        p.drop_now()?;
    }
    let backups_checked = if verdict.is_some() && !backups.is_empty() {
        match check_backups(&sh, &target, &backups, tmp.path()).await {
            Ok(n) => Some(n),
            Err(e) => {
                sh.fail(format!("checking the backups: {e:#}"));
                None
            }
        }
    } else {
        None
    };

    // Summary.
    let c = &sh.c;
    let acked = sh.acked.lock().map(|a| a.len()).unwrap_or(0);
    let sent = sh.sent.lock().map(|s| s.len()).unwrap_or(0);
    let mean_restart = if restart_ms.is_empty() {
        0.0
    } else {
        restart_ms.iter().sum::<f64>() / restart_ms.len() as f64
    };
    let row = |label: &str, value: String| println!("{label:<32}{value}");
    println!();
    row(
        "kills",
        format!(
            "{kills} (uptime {}-{} ms; healthy again after {mean_restart:.0} ms on average)",
            args.min_uptime_ms, args.max_uptime_ms
        ),
    );
    row("writing time", format!("{write_secs:.1} s"));
    row("notes sent (distinct ids)", sent.to_string());
    row("notes acknowledged", acked.to_string());
    row(
        "requests / retries",
        format!(
            "{} / {} (transport errors {}, 5xx {}, 401 {})",
            get(&c.attempts),
            get(&c.retries),
            get(&c.transport_errors),
            get(&c.server_errors),
            get(&c.unauthorized)
        ),
    );
    row(
        "retries answered 200",
        format!(
            "{} (stored before the kill, answer lost)",
            get(&c.retries_found_stored)
        ),
    );
    row(
        "deliberate resends",
        format!(
            "{} ({} answered 200 unchanged)",
            get(&c.resends),
            get(&c.resends_unchanged)
        ),
    );
    row("409 on a same-content retry", get(&c.conflicts).to_string());
    row(
        "resends created again (201)",
        get(&c.resends_created).to_string(),
    );
    row(
        "fresh ids answered 200 at once",
        get(&c.fresh_unchanged).to_string(),
    );
    row(
        "2xx holding another note/body",
        get(&c.ack_mismatches).to_string(),
    );
    row("other unexpected answers", get(&c.unexpected).to_string());
    if args.backups > 0 {
        row(
            "backups taken while writing",
            match backups_checked {
                Some(n) => format!(
                    "{} (each holds every note acknowledged before it; the last, restored and served, read back {n})",
                    backups.len()
                ),
                None => format!("{} (not checked)", backups.len()),
            },
        );
        if backups_checked.is_none() || backups.len() < args.backups as usize {
            sh.fail("the backups were not all taken and checked".into());
        }
    }
    let mut ok = true;
    let bad = |n: usize, what: &str| {
        if n > 0 {
            eprintln!("FAILURE: {n} {what}");
        }
        n == 0
    };
    match &verdict {
        Some(v) => {
            row("read back intact", format!("{} of {acked}", v.read_back_ok));
            row(
                "lost acknowledged notes",
                format!(
                    "{} (GET /notes/{{id}} 404), {} (missing from GET /notes)",
                    v.lost.len(),
                    v.missing_from_list
                ),
            );
            row("acknowledged, other body", v.wrong_body.len().to_string());
            row(
                "listed notes",
                format!(
                    "{} ({} distinct, {} pages)",
                    v.listed, v.listed_distinct, v.pages
                ),
            );
            row("duplicates in the listing", v.duplicates.to_string());
            row("ids the client never sent", v.unknown.len().to_string());
            row(
                "sent, unacknowledged, stored",
                v.unacked_present.to_string(),
            );
            row(
                "rows in the notes table",
                v.table_rows
                    .map_or("(not counted)".into(), |n| n.to_string()),
            );
            row(
                "PRAGMA integrity_check",
                v.integrity
                    .clone()
                    .unwrap_or_else(|| "skipped (PostgreSQL)".into()),
            );
            ok &= bad(
                v.lost.len(),
                "acknowledged notes not found by GET /notes/{id}",
            );
            ok &= bad(
                v.missing_from_list,
                "acknowledged notes missing from GET /notes",
            );
            ok &= bad(
                v.wrong_body.len(),
                "acknowledged notes read back with another body",
            );
            ok &= bad(v.duplicates, "ids listed more than once");
            ok &= bad(v.unknown.len(), "listed ids the client never sent");
            if let Some(n) = v.table_rows {
                if n != v.listed_distinct as u64 {
                    eprintln!(
                        "FAILURE: {n} rows in the notes table but {} listed",
                        v.listed_distinct
                    );
                    ok = false;
                }
            }
            if let Some(i) = &v.integrity {
                if i != "ok" {
                    eprintln!("FAILURE: integrity_check: {i}");
                    ok = false;
                }
            }
        }
        None => {
            row("verification", "did not run".into());
            ok = false;
        }
    }
    let failures = sh.failures.lock().map(|f| f.len()).unwrap_or(1);
    ok &= failures == 0;
    if kills < args.kills {
        ok = false;
    }
    if acked == 0 {
        eprintln!("FAILURE: no note was acknowledged at all");
        ok = false;
    }
    println!();
    row(
        "total time",
        format!("{:.1} s", started.elapsed().as_secs_f64()),
    );
    if ok && !args.keep_data {
        println!("RESULT: PASS");
    } else {
        let kept = tmp.keep();
        println!(
            "RESULT: {}; data and server log kept in {}",
            if ok { "PASS" } else { "FAIL" },
            kept.display()
        );
    }
    Ok(ok)
}
