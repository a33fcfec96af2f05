//! `scaleout`: three instances of the server on one PostgreSQL database
//! behind HAProxy (`deploy/haproxy.cfg` as committed), checked for what a
//! single process would hide:
//!
//! * **Sessions.** A sign-in ended through one instance is refused by the
//!   others at once; a refresh token replayed on another instance revokes
//!   the whole family everywhere.
//! * **Sign-in throttling** counts across instances, keyed on the client's
//!   address as the balancer reports it (`X-Forwarded-For`, trusted through
//!   `FIELDNOTES_TRUSTED_PROXIES`): clients here connect from 127.0.0.2
//!   (an attacker) and 127.0.0.3 (the real user).
//! * **Reminders** are queued once, with all three instances running the
//!   reminder job.
//! * **Outbox.** 200 mails are queued while instances are SIGKILLed in turn
//!   mid-send; a real SMTP server started here must receive every one. SMTP
//!   cannot be exactly-once across a crash (an instance may die after the
//!   server took a message and before it recorded that), so a message may
//!   arrive twice, always with the same Message-ID (receivers drop such
//!   duplicates); the test fails on a lost mail, on a duplicate with another
//!   Message-ID, and on more duplicates than kills during sending.
//!
//! Run: `cargo build -p fieldnotes-api -p bench --bins` then
//! `target/debug/scaleout` (needs PostgreSQL and Debian's haproxy).
use std::{
    collections::HashMap,
    net::IpAddr,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context;
use bench::{
    client,
    cluster::Cluster,
    server::{self, PgDatabase},
};
use clap::Parser;
use mailin_embedded::{response, Handler, Response, SslConfig};
use serde_json::{json, Value};

#[derive(Parser, Debug)]
#[command(about = "Three instances behind HAProxy on one PostgreSQL database")]
struct Args {
    /// The server binary [default: $CARGO_TARGET_DIR/debug/fieldnotes].
    #[arg(long)]
    server: Option<PathBuf>,
    /// HAProxy's configuration.
    #[arg(long, default_value = "deploy/haproxy.cfg")]
    balancer: PathBuf,
    /// Mails queued for the outbox check.
    #[arg(long, default_value_t = 200)]
    mails: usize,
}

/// Received mail: (recipient, Message-ID) per message.
#[derive(Clone, Default)]
struct Inbox {
    received: Arc<Mutex<Vec<(String, String)>>>,
    /// This connection's message so far (each connection has its own clone).
    data: Vec<u8>,
    to: Vec<String>,
}

impl Handler for Inbox {
    fn rcpt(&mut self, to: &str) -> Response {
        self.to.push(to.trim_matches(['<', '>']).to_lowercase());
        response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        let text = String::from_utf8_lossy(&std::mem::take(&mut self.data)).to_string();
        let id = text
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("message-id")
                    .then(|| v.trim().to_string())
            })
            .unwrap_or_default();
        if let Ok(mut r) = self.received.lock() {
            for to in std::mem::take(&mut self.to) {
                r.push((to, id.clone()));
            }
        }
        response::OK
    }
}

fn smtp_server() -> anyhow::Result<(u16, Inbox)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let inbox = Inbox::default();
    let mut srv = mailin_embedded::Server::new(inbox.clone());
    srv.with_name("smtp.scaleout.test")
        .with_ssl(SslConfig::None)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = srv.serve();
    });
    Ok((port, inbox))
}

fn http_from(addr: &str) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .local_address(addr.parse::<IpAddr>()?)
        .timeout(Duration::from_secs(20))
        .build()?)
}

struct Checks {
    failures: Vec<String>,
}

impl Checks {
    fn check(&mut self, ok: bool, what: &str) {
        println!("{} {what}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            self.failures.push(what.to_string());
        }
    }
}

async fn status_of(r: reqwest::RequestBuilder) -> anyhow::Result<(u16, Value)> {
    let r = r.send().await?;
    let s = r.status().as_u16();
    let body = r.json::<Value>().await.unwrap_or(Value::Null);
    Ok((s, body))
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("scaleout: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("scaleout: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<bool> {
    let binary = args
        .server
        .clone()
        .unwrap_or_else(|| server::default_server(false));
    server::check_server_binary(&binary)?;
    let started = Instant::now();
    let tmp = tempfile::Builder::new()
        .prefix("fieldnotes-scaleout-")
        .tempdir()?;
    let mut pg = PgDatabase::create("fieldnotes_scaleout")?;
    let (smtp_port, inbox) = smtp_server()?;
    let env = vec![
        (
            "FIELDNOTES_SMTP_URL".to_string(),
            format!("smtp://127.0.0.1:{smtp_port}"),
        ),
        ("FIELDNOTES_OUTBOX_POLL_MS".to_string(), "200".to_string()),
        ("FIELDNOTES_OUTBOX_LEASE_SECS".to_string(), "4".to_string()),
        (
            "FIELDNOTES_PUBLIC_URL".to_string(),
            "https://fieldnotes.test".to_string(),
        ),
    ];
    let mut cluster = Cluster::start(&binary, tmp.path(), &pg.url(), &args.balancer, &env)
        .await
        .context("starting three instances and HAProxy")?;
    println!(
        "scaleout: 3 × {} behind HAProxy ({}) on PostgreSQL database {}",
        binary.display(),
        args.balancer.display(),
        pg.name()
    );
    let mut c = Checks {
        failures: Vec::new(),
    };
    let lb = cluster.base_url().to_string();
    let direct: Vec<String> = cluster.cfgs.iter().map(|cfg| cfg.base_url()).collect();
    let http = client::http_client(Duration::from_secs(20))?;
    let admin = client::login(&http, &lb, server::ADMIN_EMAIL, server::ADMIN_PASSWORD).await?;
    let site = client::create_site(&http, &lb, &admin, "Clinic A").await?;

    // --- Sessions ------------------------------------------------------
    let login =
        |base: String| {
            let http = http.clone();
            async move {
                status_of(http.post(format!("{base}/api/v1/auth/login")).json(
                    &json!({"email": server::ADMIN_EMAIL, "password": server::ADMIN_PASSWORD}),
                ))
                .await
            }
        };
    let (_, a) = login(direct[0].clone()).await?;
    let token = a["access_token"].as_str().unwrap_or_default().to_string();
    let me_on = |i: usize, t: String| {
        let http = http.clone();
        let url = format!("{}/api/v1/me", direct[i]);
        async move { status_of(http.get(url).bearer_auth(t)).await.map(|x| x.0) }
    };
    c.check(
        me_on(2, token.clone()).await? == 200,
        "a sign-in made on instance 1 works on instance 3",
    );
    let (s, _) = status_of(
        http.post(format!("{}/api/v1/auth/logout", direct[1]))
            .bearer_auth(&token),
    )
    .await?;
    c.check(s == 204, "signing out through instance 2");
    c.check(
        me_on(2, token.clone()).await? == 401,
        "the ended sign-in is refused by instance 3 at once",
    );
    c.check(
        me_on(0, token.clone()).await? == 401,
        "and by instance 1, where it began",
    );

    let (_, first) = login(direct[0].clone()).await?;
    let refresh1 = first["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let refresh_on = |i: usize, rt: String| {
        let http = http.clone();
        let url = format!("{}/api/v1/auth/refresh", direct[i]);
        async move { status_of(http.post(url).json(&json!({"refresh_token": rt}))).await }
    };
    let (s, second) = refresh_on(1, refresh1.clone()).await?;
    c.check(s == 200, "refreshing on instance 2");
    let refresh2 = second["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let access2 = second["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (s, body) = refresh_on(2, refresh1).await?;
    c.check(
        s == 401 && body["code"] == "refresh_token_reused",
        "replaying the used refresh token on instance 3 is seen as reuse",
    );
    let (s, _) = refresh_on(0, refresh2).await?;
    c.check(
        s == 401,
        "the family is revoked everywhere: the newest refresh token fails on instance 1",
    );
    c.check(
        me_on(1, access2).await? == 401,
        "and its access token fails on instance 2",
    );

    // --- Sign-in throttling through the balancer ----------------------
    let user_email = "fw@scaleout.test";
    let user_pw = "a long enough passphrase";
    let (s, _) = status_of(
        http.post(format!("{lb}/api/v1/users"))
            .bearer_auth(&admin)
            .json(&json!({
                "email": user_email, "display_name": "Fieldworker", "role": "fieldworker",
                "site_ids": [site], "password": user_pw
            })),
    )
    .await?;
    c.check(s == 201, "a fieldworker account");
    let attacker = http_from("127.0.0.2")?;
    let phone = http_from("127.0.0.3")?;
    let attempt = |cl: &reqwest::Client, email: &str, pw: &str| {
        status_of(
            cl.post(format!("{lb}/api/v1/auth/login"))
                .json(&json!({"email": email, "password": pw})),
        )
    };
    let (s, _) = attempt(&phone, user_email, user_pw).await?;
    c.check(
        s == 200,
        "the fieldworker signs in from their phone (127.0.0.3)",
    );
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(attempt(&attacker, user_email, "wrong guess 123").await?.0);
    }
    let (s, _) = attempt(&attacker, user_email, "wrong guess 123").await?;
    c.check(
        statuses.iter().all(|s| *s == 401) && s == 429,
        "5 wrong passwords for the account, spread over 3 instances, then 429",
    );
    let (s, _) = attempt(&phone, user_email, user_pw).await?;
    c.check(
        s == 200,
        "the fieldworker still signs in from their own phone",
    );
    for i in 0..25 {
        attempt(&attacker, &format!("nobody{i}@scaleout.test"), "x").await?;
    }
    let (s, _) = attempt(&attacker, "another@scaleout.test", "x").await?;
    c.check(
        s == 429,
        "30 failures from one address across instances, then 429 for any account",
    );
    let (s, _) = attempt(&phone, user_email, user_pw).await?;
    c.check(s == 200, "another address is not locked out");

    // --- Reminders: three instances queue them, each once --------------
    let (s, fw) = status_of(http.get(format!("{lb}/api/v1/users")).bearer_auth(&admin)).await?;
    let fw_id = fw
        .as_array()
        .and_then(|u| u.iter().find(|x| x["email"] == user_email))
        .map(|x| x["id"].clone())
        .unwrap_or(Value::Null);
    c.check(s == 200 && !fw_id.is_null(), "the team list");
    let soon = chrono::Utc::now() + chrono::Duration::hours(3);
    let mut booked = 0;
    for i in 0..20 {
        let (s, p) = status_of(
            http.post(format!("{lb}/api/v1/participants")).bearer_auth(&admin).json(&json!({
                "pseudonym": format!("P{i:03}"), "site_id": site, "treatment_started_on": "2026-10-01"
            })),
        )
        .await?;
        if s != 201 {
            continue;
        }
        let at = soon + chrono::Duration::minutes(60 * i);
        let (s, _) = status_of(
            http.post(format!("{lb}/api/v1/interviews")).bearer_auth(&admin).json(&json!({
                "participant_id": p["id"], "wave": 1, "scheduled_at": at.to_rfc3339(),
                "duration_minutes": 45, "interviewer_ids": [fw_id], "allow_outside_opening_hours": true
            })),
        )
        .await?;
        booked += usize::from(s == 201);
    }
    c.check(booked == 20, "20 interviews within the next day");
    // A reminder already due when its interview was booked is never queued
    // (the booking's own mail named the time): the bookings are dated two
    // days back, so every instance's job has one reminder per interview to
    // race for.
    let dated: usize = pg
        .query_scalar(
            "WITH u AS (UPDATE interviews SET updated_at = updated_at - interval '2 days' RETURNING 1) SELECT count(*) FROM u",
        )?
        .parse()
        .unwrap_or(0);
    c.check(dated == 20, "the bookings dated two days back");
    // Every instance runs the job every 200 ms; give them a few rounds.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let reminders: usize = pg
        .query_scalar("SELECT count(*) FROM outbox WHERE dedupe_key LIKE 'reminder:%'")?
        .parse()
        .unwrap_or(0);
    let distinct: usize = pg
        .query_scalar(
            "SELECT count(DISTINCT dedupe_key) FROM outbox WHERE dedupe_key LIKE 'reminder:%'",
        )?
        .parse()
        .unwrap_or(0);
    c.check(
        reminders == 20 && distinct == 20,
        &format!("each interview's reminder queued once ({reminders} queued for 20 interviews)"),
    );

    // --- Outbox: mail while instances die mid-send ---------------------
    // Wait until what is queued so far is sent, then count from here.
    for _ in 0..100 {
        let unsent = pg.query_scalar("SELECT count(*) FROM outbox WHERE sent_at IS NULL")?;
        if unsent == "0" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let before = inbox.received.lock().map(|r| r.len()).unwrap_or(0);
    // Invitations: each new account without a password gets one mail.
    let queue_start = Instant::now();
    let mut invited = Vec::new();
    for i in 0..args.mails {
        let email = format!("invitee{i:03}@scaleout.test");
        let (s, _) = status_of(
            http.post(format!("{lb}/api/v1/users"))
                .bearer_auth(&admin)
                .json(&json!({
                    "email": email, "display_name": format!("Invitee {i}"), "role": "fieldworker",
                    "site_ids": [site]
                })),
        )
        .await?;
        if s == 201 {
            invited.push(email);
        }
        // Kill an instance every 25 invitations, while mail is flowing.
        if i % 25 == 24 {
            let k = (i / 25) % cluster.servers.len();
            cluster.restart(k).await?;
        }
    }
    let mut kills = args.mails / 25;
    // Two more kills in the middle of the draining.
    for k in 0..2 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        cluster.restart(k).await?;
        kills += 1;
    }
    c.check(
        invited.len() == args.mails,
        &format!("{} invitations queued", invited.len()),
    );
    // Mail left claimed by a killed instance waits out its 4 s lease.
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut unsent = String::new();
    while Instant::now() < deadline {
        unsent = pg.query_scalar("SELECT count(*) FROM outbox WHERE sent_at IS NULL")?;
        if unsent == "0" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    c.check(unsent == "0", "the outbox drained");
    let received: Vec<(String, String)> = inbox
        .received
        .lock()
        .map(|r| r[before..].to_vec())
        .unwrap_or_default();
    let mut per: HashMap<&str, Vec<&str>> = HashMap::new();
    for (to, id) in &received {
        per.entry(to.as_str()).or_default().push(id.as_str());
    }
    let lost: Vec<&String> = invited
        .iter()
        .filter(|e| !per.contains_key(e.as_str()))
        .collect();
    let twice: usize = invited
        .iter()
        .filter_map(|e| per.get(e.as_str()))
        .map(|ids| ids.len().saturating_sub(1))
        .sum();
    let other_ids = invited
        .iter()
        .filter_map(|e| per.get(e.as_str()))
        .filter(|ids| ids.iter().any(|id| *id != ids[0] || id.is_empty()))
        .count();
    println!(
        "     outbox: {} mails queued in {:.1} s with {kills} kills; {} received, {} twice",
        invited.len(),
        queue_start.elapsed().as_secs_f64(),
        received.len(),
        twice
    );
    c.check(
        lost.is_empty(),
        &format!("every mail arrived ({} lost)", lost.len()),
    );
    c.check(
        other_ids == 0,
        "a mail that arrived twice kept its Message-ID",
    );
    c.check(
        twice <= kills,
        &format!("duplicates ({twice}) no more than kills ({kills})"),
    );

    let graceful = cluster.stop(Duration::from_secs(20)).await?;
    c.check(graceful, "every instance stopped gracefully");
    pg.drop_now()?;
    println!("total time {:.1} s", started.elapsed().as_secs_f64());
    if c.failures.is_empty() {
        println!("RESULT: PASS");
        Ok(true)
    } else {
        let kept = tmp.keep();
        println!(
            "RESULT: FAIL ({} checks); logs kept in {}",
            c.failures.len(),
            kept.display()
        );
        Ok(false)
    }
}
