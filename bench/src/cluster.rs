//! Several instances of the server on one PostgreSQL database behind HAProxy,
//! run with `deploy/haproxy.cfg` exactly as committed: how users scale out.
use std::{
    fs::File,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{bail, Context};

use crate::server::{free_port, Server, ServerConfig};

/// The instances `deploy/haproxy.cfg` names.
pub const INSTANCES: usize = 3;

/// Debian's HAProxy (`.ci/test` installs the package when it is missing).
pub fn haproxy_binary() -> anyhow::Result<PathBuf> {
    for p in [
        "/usr/sbin/haproxy",
        "/usr/bin/haproxy",
        "/usr/local/sbin/haproxy",
    ] {
        if Path::new(p).is_file() {
            return Ok(PathBuf::from(p));
        }
    }
    bail!("HAProxy is not installed: apt-get install haproxy (.ci/test does this)")
}

/// A running HAProxy. Dropping it kills the process.
pub struct Balancer {
    child: Child,
    pub base_url: String,
    pub log_path: PathBuf,
}

impl Balancer {
    /// Starts HAProxy with `config` in front of the instances on `backends`.
    pub fn start(config: &Path, backends: &[u16], dir: &Path) -> anyhow::Result<Self> {
        if backends.len() != INSTANCES {
            bail!("{} names {INSTANCES} instances", config.display());
        }
        let port = free_port()?;
        let log_path = dir.join("haproxy.log");
        let log = File::create(&log_path)?;
        let mut cmd = Command::new(haproxy_binary()?);
        cmd.arg("-f")
            .arg(config)
            .arg("-db")
            .env("FIELDNOTES_LB_BIND", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        for (i, b) in backends.iter().enumerate() {
            cmd.env(format!("FIELDNOTES_APP{}", i + 1), format!("127.0.0.1:{b}"));
        }
        let child = cmd.spawn().context("starting haproxy")?;
        Ok(Balancer {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            log_path,
        })
    }

    /// Waits until the balancer answers `GET /health/ready` with 200.
    pub async fn wait_ready(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "haproxy exited ({status}):\n{}",
                    crate::server::log_tail(&self.log_path, 20)
                );
            }
            if let Ok(r) = http
                .get(format!("{}/health/ready", self.base_url))
                .send()
                .await
            {
                if r.status().as_u16() == 200 {
                    return Ok(());
                }
            }
            if start.elapsed() > timeout {
                bail!("haproxy did not pass requests within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// [`INSTANCES`] instances on one database, behind a [`Balancer`].
pub struct Cluster {
    pub cfgs: Vec<ServerConfig>,
    pub servers: Vec<Server>,
    pub balancer: Balancer,
}

impl Cluster {
    /// Migrates (and creates the bench admin) once, then starts every
    /// instance and the balancer. Each instance trusts the balancer's
    /// `X-Forwarded-For` and gets `env` besides.
    pub async fn start(
        binary: &Path,
        dir: &Path,
        database_url: &str,
        balancer_config: &Path,
        env: &[(String, String)],
    ) -> anyhow::Result<Self> {
        let mut cfgs = Vec::new();
        for i in 0..INSTANCES {
            let d = dir.join(format!("instance-{}", i + 1));
            std::fs::create_dir_all(&d)?;
            let mut cfg =
                ServerConfig::new(binary.to_path_buf(), &d, Some(database_url.into()), true)?;
            cfg.env
                .push(("FIELDNOTES_TRUSTED_PROXIES".into(), "127.0.0.1/32".into()));
            cfg.env.extend(env.iter().cloned());
            cfgs.push(cfg);
        }
        cfgs[0].create_admin()?;
        let mut servers = Vec::new();
        for cfg in &cfgs {
            servers.push(cfg.spawn()?);
        }
        for s in &mut servers {
            s.wait_healthy(Duration::from_secs(60)).await?;
        }
        let ports: Vec<u16> = cfgs.iter().map(|c| c.port).collect();
        let mut balancer = Balancer::start(balancer_config, &ports, dir)?;
        balancer.wait_ready(Duration::from_secs(30)).await?;
        Ok(Cluster {
            cfgs,
            servers,
            balancer,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.balancer.base_url
    }

    /// SIGKILLs instance `i` and starts it again; how long it took to be
    /// healthy.
    pub async fn restart(&mut self, i: usize) -> anyhow::Result<Duration> {
        let t0 = Instant::now();
        self.servers[i].kill()?;
        let mut next = self.cfgs[i].spawn()?;
        next.wait_healthy(Duration::from_secs(60)).await?;
        self.servers[i] = next;
        Ok(t0.elapsed())
    }

    /// SIGKILLs instance `i` and leaves it down.
    pub fn kill(&mut self, i: usize) -> anyhow::Result<()> {
        self.servers[i].kill()?;
        Ok(())
    }

    /// Starts instance `i` again after [`Cluster::kill`].
    pub async fn start_again(&mut self, i: usize) -> anyhow::Result<()> {
        let mut next = self.cfgs[i].spawn()?;
        next.wait_healthy(Duration::from_secs(60)).await?;
        self.servers[i] = next;
        Ok(())
    }

    /// Stops every instance gracefully; whether all went within `timeout`.
    pub async fn stop(&mut self, timeout: Duration) -> anyhow::Result<bool> {
        let mut all = true;
        for s in &mut self.servers {
            all &= s.stop(timeout).await?;
        }
        Ok(all)
    }
}
