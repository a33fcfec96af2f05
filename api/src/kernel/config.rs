//! Typed settings: built-in defaults, overridden by `FIELDNOTES_*` environment
//! variables. An invalid value stops start-up with one line naming the variable.
use std::{net::SocketAddr, path::PathBuf, time::Duration};

use rand::RngCore;

/// How durable a SQLite commit is. `Full` survives a power cut (the default for
/// research data); `Normal` in WAL mode survives a process crash but may lose
/// the last commits on power loss, in exchange for faster writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqliteSync {
    Full,
    Normal,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: String,
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub jwt_secret: Vec<u8>,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub public_url: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub sqlite_synchronous: SqliteSync,
    pub max_body_bytes: usize,
    pub outbox_poll: Duration,
    /// How long a claimed message is one instance's to send
    /// (`FIELDNOTES_OUTBOX_LEASE_SECS`).
    pub outbox_lease: chrono::Duration,
    pub db_max_connections: u32,
    /// Exports (the `.qdpx` project, CSV files) running at once on this
    /// instance (`FIELDNOTES_MAX_EXPORTS`); more are answered 429.
    pub max_exports: usize,
    pub run_workers: bool,
    /// Load balancers whose `X-Forwarded-For` names the client
    /// (`FIELDNOTES_TRUSTED_PROXIES`, addresses or networks, comma-separated).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// A second listener that serves only `GET /metrics`, unauthenticated
    /// (`FIELDNOTES_METRICS_BIND`; off by default).
    pub metrics_bind: Option<SocketAddr>,
    /// With it, `GET /metrics` on the main port answers to
    /// `Authorization: Bearer <token>` (`FIELDNOTES_METRICS_TOKEN`).
    pub metrics_token: Option<String>,
    /// One JSON object a line, with a line per request
    /// (`FIELDNOTES_LOG_FORMAT=json`); plain text otherwise.
    pub log_json: bool,
    /// Web origins of other apps that may call the API from a browser
    /// (`FIELDNOTES_CORS_ORIGINS`, `https://app.example.org`, comma-separated;
    /// none by default).
    pub cors_origins: Vec<String>,
    /// Webhooks may point at loopback, private and link-local addresses, and
    /// at `http://` (`FIELDNOTES_WEBHOOKS_ALLOW_PRIVATE`; off by default:
    /// for on-premise receivers and tests).
    pub webhooks_allow_private: bool,
    /// How long a webhook keeps failing before it is turned off and its
    /// creator mailed (`FIELDNOTES_WEBHOOKS_GIVE_UP_SECS`, a day by default).
    pub webhooks_give_up: chrono::Duration,
}

/// One line, naming the variable that is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

fn err(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        message: message.into(),
    }
}

/// A web origin as browsers send it (`https://host[:port]`), or `None`
/// when `s` is not one (a path, a query, another scheme, a wildcard).
fn origin(s: &str) -> Option<String> {
    let (scheme, rest) = s.split_once("://")?;
    let host = rest.strip_suffix('/').unwrap_or(rest);
    let ok = matches!(scheme, "http" | "https")
        && !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    ok.then(|| format!("{scheme}://{}", host.to_ascii_lowercase()))
}

/// Reads `FIELDNOTES_*` through a lookup function so tests can supply their own.
pub struct Source<'a>(pub &'a dyn Fn(&str) -> Option<String>);

impl Source<'_> {
    fn get(&self, var: &'static str) -> Option<String> {
        (self.0)(var).filter(|v| !v.trim().is_empty())
    }

    fn parse<T: std::str::FromStr>(&self, var: &'static str, default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(var) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse()
                .map_err(|e| err(var, format!("invalid value {v:?}: {e}"))),
        }
    }
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let lookup = |k: &str| std::env::var(k).ok();
        Self::from_source(&Source(&lookup))
    }

    pub fn from_source(src: &Source<'_>) -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(
            src.get("FIELDNOTES_DATA_DIR")
                .unwrap_or_else(|| "./data".to_string()),
        );
        let database_url = match src.get("FIELDNOTES_DATABASE_URL") {
            Some(url) => {
                if !(url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://"))
                {
                    return Err(err(
                        "FIELDNOTES_DATABASE_URL",
                        format!("must be a sqlite:// or postgres:// URL, got {url:?}"),
                    ));
                }
                url
            }
            None => format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("fieldnotes.db").display()
            ),
        };
        let bind: SocketAddr =
            src.parse("FIELDNOTES_BIND", SocketAddr::from(([127, 0, 0, 1], 8080)))?;
        let jwt_secret = match src.get("FIELDNOTES_JWT_SECRET") {
            Some(s) if s.len() < 32 => {
                return Err(err(
                    "FIELDNOTES_JWT_SECRET",
                    "must be at least 32 characters long",
                ))
            }
            Some(s) => s.into_bytes(),
            None => Vec::new(), // filled from the data directory by `ensure_jwt_secret`
        };
        let smtp_url = src.get("FIELDNOTES_SMTP_URL");
        if let Some(url) = &smtp_url {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(err(
                    "FIELDNOTES_SMTP_URL",
                    format!("must start with smtp:// or smtps://, got {url:?}"),
                ));
            }
        }
        let public_url = src
            .get("FIELDNOTES_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{bind}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(err(
                "FIELDNOTES_PUBLIC_URL",
                format!("must be an http(s) URL, got {public_url:?}"),
            ));
        }
        let mail_from = src
            .get("FIELDNOTES_MAIL_FROM")
            .unwrap_or_else(|| "Fieldnotes <fieldnotes@localhost>".to_string());
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(err(
                "FIELDNOTES_MAIL_FROM",
                format!("not a mailbox: {mail_from:?}"),
            ));
        }
        let sqlite_synchronous = match src
            .get("FIELDNOTES_SQLITE_SYNCHRONOUS")
            .map(|s| s.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("full") => SqliteSync::Full,
            Some("normal") => SqliteSync::Normal,
            Some(other) => {
                return Err(err(
                    "FIELDNOTES_SQLITE_SYNCHRONOUS",
                    format!("must be full or normal, got {other:?}"),
                ))
            }
        };
        let access_minutes: u64 = src.parse("FIELDNOTES_ACCESS_TOKEN_MINUTES", 15)?;
        let refresh_days: u64 = src.parse("FIELDNOTES_REFRESH_TOKEN_DAYS", 30)?;
        if access_minutes == 0 {
            return Err(err("FIELDNOTES_ACCESS_TOKEN_MINUTES", "must be at least 1"));
        }
        if refresh_days == 0 {
            return Err(err("FIELDNOTES_REFRESH_TOKEN_DAYS", "must be at least 1"));
        }
        let max_body_bytes: usize = src.parse("FIELDNOTES_MAX_BODY_BYTES", 4 * 1024 * 1024)?;
        let outbox_poll_ms: u64 = src.parse("FIELDNOTES_OUTBOX_POLL_MS", 2000)?;
        let outbox_lease_secs: i64 = src.parse("FIELDNOTES_OUTBOX_LEASE_SECS", 120)?;
        if !(4..=3600).contains(&outbox_lease_secs) {
            return Err(err(
                "FIELDNOTES_OUTBOX_LEASE_SECS",
                "must be between 4 and 3600",
            ));
        }
        let db_max_connections: u32 = src.parse("FIELDNOTES_DB_MAX_CONNECTIONS", 16)?;
        if db_max_connections == 0 {
            return Err(err("FIELDNOTES_DB_MAX_CONNECTIONS", "must be at least 1"));
        }
        let max_exports: usize = src.parse("FIELDNOTES_MAX_EXPORTS", 1)?;
        if !(1..=64).contains(&max_exports) {
            return Err(err("FIELDNOTES_MAX_EXPORTS", "must be between 1 and 64"));
        }
        let run_workers: bool = src.parse("FIELDNOTES_RUN_WORKERS", true)?;
        let mut trusted_proxies = Vec::new();
        for item in src
            .get("FIELDNOTES_TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let net = item
                .parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    err(
                        "FIELDNOTES_TRUSTED_PROXIES",
                        format!("not an address or a network: {item:?}"),
                    )
                })?;
            trusted_proxies.push(net);
        }
        let metrics_bind = match src.get("FIELDNOTES_METRICS_BIND") {
            None => None,
            Some(v) => Some(v.trim().parse::<SocketAddr>().map_err(|e| {
                err(
                    "FIELDNOTES_METRICS_BIND",
                    format!("invalid address {v:?}: {e}"),
                )
            })?),
        };
        let metrics_token = src.get("FIELDNOTES_METRICS_TOKEN");
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(err(
                "FIELDNOTES_METRICS_TOKEN",
                "must be at least 16 characters long",
            ));
        }
        let log_json = match src
            .get("FIELDNOTES_LOG_FORMAT")
            .map(|s| s.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => {
                return Err(err(
                    "FIELDNOTES_LOG_FORMAT",
                    format!("must be text or json, got {other:?}"),
                ))
            }
        };
        let cors_origins = src
            .get("FIELDNOTES_CORS_ORIGINS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|o| {
                origin(o).ok_or_else(|| {
                    err(
                        "FIELDNOTES_CORS_ORIGINS",
                        format!("not a web origin (scheme://host[:port], no path): {o:?}"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let webhooks_allow_private: bool = src.parse("FIELDNOTES_WEBHOOKS_ALLOW_PRIVATE", false)?;
        let give_up_secs: i64 = src.parse("FIELDNOTES_WEBHOOKS_GIVE_UP_SECS", 86_400)?;
        if !(10..=30 * 86_400).contains(&give_up_secs) {
            return Err(err(
                "FIELDNOTES_WEBHOOKS_GIVE_UP_SECS",
                "must be between 10 and 2592000 (30 days)",
            ));
        }
        Ok(Settings {
            cors_origins,
            webhooks_allow_private,
            webhooks_give_up: chrono::Duration::seconds(give_up_secs),
            metrics_bind,
            metrics_token,
            log_json,
            database_url,
            bind,
            data_dir,
            jwt_secret,
            smtp_url,
            mail_from,
            public_url: public_url.trim_end_matches('/').to_string(),
            access_token_ttl: Duration::from_secs(access_minutes * 60),
            refresh_token_ttl: Duration::from_secs(refresh_days * 86_400),
            sqlite_synchronous,
            max_body_bytes,
            outbox_poll: Duration::from_millis(outbox_poll_ms.max(50)),
            outbox_lease: chrono::Duration::seconds(outbox_lease_secs),
            db_max_connections,
            max_exports,
            run_workers,
            trusted_proxies,
        })
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// Without `FIELDNOTES_JWT_SECRET`, a random secret is generated once and kept
    /// in the data directory (mode 0600), so restarts do not sign everybody out.
    /// Several instances must share `FIELDNOTES_JWT_SECRET` instead.
    pub fn ensure_jwt_secret(&mut self) -> Result<(), ConfigError> {
        if !self.jwt_secret.is_empty() {
            return Ok(());
        }
        if !self.is_sqlite() {
            // Instances behind one load balancer must sign with one key; a
            // key generated per instance would reject every other's tokens.
            return Err(err(
                "FIELDNOTES_JWT_SECRET",
                "must be set (32+ characters, the same on every instance) when the database is PostgreSQL",
            ));
        }
        let var = "FIELDNOTES_DATA_DIR";
        std::fs::create_dir_all(&self.data_dir).map_err(|e| {
            err(
                var,
                format!("cannot create {}: {e}", self.data_dir.display()),
            )
        })?;
        let path = self.data_dir.join("jwt-secret");
        match std::fs::read_to_string(&path) {
            Ok(s) if s.trim().len() >= 32 => {
                self.jwt_secret = s.trim().as_bytes().to_vec();
                return Ok(());
            }
            Ok(_) => {
                return Err(err(
                    var,
                    format!("{} is shorter than 32 characters", path.display()),
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(err(var, format!("cannot read {}: {e}", path.display()))),
        }
        let mut bytes = [0u8; 48];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret = hex::encode(bytes);
        write_private(&path, secret.as_bytes())
            .map_err(|e| err(var, format!("cannot write {}: {e}", path.display())))?;
        self.jwt_secret = secret.into_bytes();
        Ok(())
    }
}

fn write_private(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(contents)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let owned: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let f = move |k: &str| owned.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        Settings::from_source(&Source(&f))
    }

    #[test]
    fn defaults_are_embedded_sqlite_on_localhost() {
        let s = with(&[]).expect("defaults");
        assert!(s.database_url.starts_with("sqlite://./data/"));
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.sqlite_synchronous, SqliteSync::Full);
        assert!(s.smtp_url.is_none());
    }

    #[test]
    fn cors_origins_are_origins() {
        assert!(with(&[]).expect("defaults").cors_origins.is_empty());
        let s = with(&[(
            "FIELDNOTES_CORS_ORIGINS",
            " https://App.example.org/ , http://localhost:5173",
        )])
        .expect("origins");
        assert_eq!(
            s.cors_origins,
            ["https://app.example.org", "http://localhost:5173"]
        );
    }

    #[test]
    fn postgresql_needs_a_shared_jwt_secret() {
        let mut s = with(&[("FIELDNOTES_DATABASE_URL", "postgres://u@h/db")]).expect("settings");
        let e = s.ensure_jwt_secret().expect_err("no secret on PostgreSQL");
        assert_eq!(e.var, "FIELDNOTES_JWT_SECRET");
    }

    #[test]
    fn invalid_values_name_the_variable() {
        for (var, value) in [
            ("FIELDNOTES_BIND", "nonsense"),
            ("FIELDNOTES_DATABASE_URL", "mysql://x"),
            ("FIELDNOTES_SMTP_URL", "http://x"),
            ("FIELDNOTES_JWT_SECRET", "short"),
            ("FIELDNOTES_SQLITE_SYNCHRONOUS", "off"),
            ("FIELDNOTES_ACCESS_TOKEN_MINUTES", "-3"),
            ("FIELDNOTES_CORS_ORIGINS", "https://a.example/app"),
            ("FIELDNOTES_CORS_ORIGINS", "*"),
            ("FIELDNOTES_CORS_ORIGINS", "ftp://a.example"),
            ("FIELDNOTES_WEBHOOKS_ALLOW_PRIVATE", "maybe"),
            ("FIELDNOTES_WEBHOOKS_GIVE_UP_SECS", "5"),
        ] {
            let e = with(&[(var, value)]).expect_err(var);
            assert_eq!(e.var, var);
            assert!(e.to_string().starts_with(var));
            assert!(!e.to_string().contains('\n'));
        }
    }
}
