//! Starting the `fieldnotes` binary as a child process on a fresh data
//! directory (SQLite) or a fresh PostgreSQL database, waiting for `/health`,
//! and stopping it gracefully (SIGTERM) or abruptly (SIGKILL).
use std::{
    fs::OpenOptions,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use anyhow::{bail, Context};
use serde::Serialize;

/// Fixed, so tokens survive restarts of the server.
pub const JWT_SECRET: &str = "fieldnotes-bench-fixed-jwt-secret-do-not-use-in-production";
pub const ADMIN_EMAIL: &str = "bench-admin@example.org";
pub const ADMIN_PASSWORD: &str = "bench-admin-password-2026";
/// The maintenance database used to create and drop per-run databases.
/// The PostgreSQL server: `FIELDNOTES_TEST_POSTGRES_URL` (as for the test
/// suite), by default the local one.
fn pg_base_url() -> String {
    std::env::var("FIELDNOTES_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432".to_string())
        .trim_end_matches('/')
        .to_string()
}

pub fn pg_admin_url() -> String {
    format!("{}/postgres", pg_base_url())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl std::fmt::Display for DatabaseKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DatabaseKind::Sqlite => "sqlite",
            DatabaseKind::Postgres => "postgres",
        })
    }
}

/// `$CARGO_TARGET_DIR`, or `$HOME/.cache/fieldnotes-target`.
pub fn target_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    PathBuf::from(home).join(".cache/fieldnotes-target")
}

/// Where `cargo build [--release] -p fieldnotes-api` puts the server.
pub fn default_server(release: bool) -> PathBuf {
    target_dir()
        .join(if release { "release" } else { "debug" })
        .join("fieldnotes")
}

/// Fails with the cargo command that builds the binary when it is missing.
pub fn check_server_binary(path: &Path) -> anyhow::Result<()> {
    if path.is_file() {
        return Ok(());
    }
    let release = path.parent().and_then(|p| p.file_name()) == Some("release".as_ref());
    bail!(
        "server binary {} not found. Build it with\n  CARGO_TARGET_DIR={} cargo build{} -p fieldnotes-api\nor pass --server <path>",
        path.display(),
        target_dir().display(),
        if release { " --release" } else { "" },
    )
}

/// A port that was free a moment ago: bind port 0, read it, let it go.
pub fn free_port() -> anyhow::Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("binding a probe socket")?;
    Ok(l.local_addr()?.port())
}

/// Runs one SQL statement with `psql` against the maintenance database.
fn psql(sql: &str) -> anyhow::Result<()> {
    let out = Command::new("psql")
        .args([
            pg_admin_url().as_str(),
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-X",
            "-c",
            sql,
        ])
        .stdin(Stdio::null())
        .output()
        .context("running psql (is the PostgreSQL client installed?)")?;
    if !out.status.success() {
        bail!(
            "psql -c {sql:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// A fresh PostgreSQL database for one run; dropped when this is dropped.
pub struct PgDatabase {
    name: String,
    dropped: bool,
}

impl PgDatabase {
    pub fn create(prefix: &str) -> anyhow::Result<Self> {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("{prefix}_{}", &suffix[..12]);
        psql(&format!("CREATE DATABASE \"{name}\""))?;
        Ok(PgDatabase {
            name,
            dropped: false,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn url(&self) -> String {
        format!("{}/{}", pg_base_url(), self.name)
    }

    /// Whether the PostgreSQL server is on this machine (a loopback host
    /// or a Unix socket), so its processes' CPU time can be read.
    pub fn is_local(&self) -> bool {
        reqwest::Url::parse(&pg_base_url()).is_ok_and(|u| {
            matches!(
                u.host_str(),
                None | Some("" | "127.0.0.1" | "localhost" | "[::1]")
            )
        })
    }

    /// The first column of the first row of `sql`, run in this database.
    pub fn query_scalar(&self, sql: &str) -> anyhow::Result<String> {
        let out = Command::new("psql")
            .args([
                &self.url(),
                "-v",
                "ON_ERROR_STOP=1",
                "-X",
                "-t",
                "-A",
                "-c",
                sql,
            ])
            .stdin(Stdio::null())
            .output()
            .context("running psql")?;
        if !out.status.success() {
            bail!(
                "psql -c {sql:?} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Leaves the database in place when this is dropped (`--keep-data`).
    pub fn keep(&mut self) {
        self.dropped = true;
    }

    /// Drops the database, closing any connection still open to it.
    pub fn drop_now(&mut self) -> anyhow::Result<()> {
        if self.dropped {
            return Ok(());
        }
        psql(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ))?;
        self.dropped = true;
        Ok(())
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Err(e) = self.drop_now() {
            eprintln!("warning: could not drop database {}: {e:#}", self.name);
        }
    }
}

/// How to run the server: binary, environment, port. The same config restarts
/// it on the same data directory, database and port.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub binary: PathBuf,
    pub data_dir: PathBuf,
    /// `None`: SQLite `fieldnotes.db` in `data_dir`.
    pub database_url: Option<String>,
    pub port: u16,
    pub run_workers: bool,
    /// The server's stdout and stderr are appended here.
    pub log_path: PathBuf,
    /// More `FIELDNOTES_*` settings for this run.
    pub env: Vec<(String, String)>,
}

impl ServerConfig {
    pub fn new(
        binary: PathBuf,
        data_dir: &Path,
        database_url: Option<String>,
        run_workers: bool,
    ) -> anyhow::Result<Self> {
        Ok(ServerConfig {
            binary,
            data_dir: data_dir.to_path_buf(),
            database_url,
            port: free_port()?,
            run_workers,
            log_path: data_dir.join("server.log"),
            env: Vec::new(),
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match self.database_url {
            None => Some(self.data_dir.join("fieldnotes.db")),
            Some(_) => None,
        }
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.binary);
        // Only this run's settings: nothing inherited from the caller's shell.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("FIELDNOTES_") {
                c.env_remove(k);
            }
        }
        c.env("FIELDNOTES_DATA_DIR", &self.data_dir)
            .env("FIELDNOTES_BIND", format!("127.0.0.1:{}", self.port))
            .env("FIELDNOTES_JWT_SECRET", JWT_SECRET)
            .env("FIELDNOTES_ACCESS_TOKEN_MINUTES", "600")
            .env("FIELDNOTES_SQLITE_SYNCHRONOUS", "full")
            .env("FIELDNOTES_RUN_WORKERS", self.run_workers.to_string())
            .stdin(Stdio::null());
        if let Some(url) = &self.database_url {
            c.env("FIELDNOTES_DATABASE_URL", url);
        }
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// `fieldnotes create-admin` (which also applies the migrations).
    pub fn create_admin(&self) -> anyhow::Result<()> {
        let out = self
            .command()
            .args([
                "create-admin",
                "--email",
                ADMIN_EMAIL,
                "--name",
                "Bench Admin",
            ])
            .env("FIELDNOTES_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .output()
            .with_context(|| format!("running {} create-admin", self.binary.display()))?;
        if !out.status.success() {
            bail!(
                "create-admin failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout).trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    /// Runs `fieldnotes <args>` (e.g. `backup --to FILE`) with this run's
    /// settings, beside a running server; fails with its output unless it
    /// exits 0. Returns what it printed.
    pub async fn run(&self, args: &[&std::ffi::OsStr]) -> anyhow::Result<String> {
        let out = tokio::process::Command::from(self.command())
            .args(args)
            .output()
            .await
            .with_context(|| format!("running {} {args:?}", self.binary.display()))?;
        if !out.status.success() {
            bail!(
                "{args:?} failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout).trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Starts `fieldnotes serve`; call [`Server::wait_healthy`] next.
    pub fn spawn(&self) -> anyhow::Result<Server> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .with_context(|| format!("opening {}", self.log_path.display()))?;
        let child = self
            .command()
            .arg("serve")
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;
        Ok(Server {
            child,
            base_url: self.base_url(),
            log_path: self.log_path.clone(),
        })
    }
}

/// A running server process. Dropping it kills the process.
pub struct Server {
    child: Child,
    pub base_url: String,
    pub log_path: PathBuf,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Polls `GET /health` until it answers 200; returns how long that took.
    pub async fn wait_healthy(&mut self, timeout: Duration) -> anyhow::Result<Duration> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(2))
            .build()?;
        let url = format!("{}/health", self.base_url);
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited ({status}) before it was healthy; its log ends:\n{}",
                    self.log_tail(20)
                );
            }
            if let Ok(r) = http.get(&url).send().await {
                if r.status().as_u16() == 200 {
                    return Ok(start.elapsed());
                }
            }
            if start.elapsed() > timeout {
                bail!(
                    "the server was not healthy within {timeout:?}; its log ends:\n{}",
                    self.log_tail(20)
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix), then reap the process.
    pub fn kill(&mut self) -> anyhow::Result<ExitStatus> {
        if let Some(status) = self.child.try_wait()? {
            return Ok(status);
        }
        self.child.kill().context("sending SIGKILL")?;
        Ok(self.child.wait()?)
    }

    /// SIGTERM and wait up to `timeout` for a graceful exit, else SIGKILL.
    /// Returns whether the exit was graceful.
    pub async fn stop(&mut self, timeout: Duration) -> anyhow::Result<bool> {
        if self.child.try_wait()?.is_some() {
            return Ok(true);
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < timeout {
            if self.child.try_wait()?.is_some() {
                return Ok(true);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.kill()?;
        Ok(false)
    }

    /// The last lines of the server's log, for error messages.
    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log_path, lines)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// `fieldnotes --version`, for the report.
pub fn server_version(binary: &Path) -> Option<String> {
    let out = Command::new(binary).arg("--version").output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
