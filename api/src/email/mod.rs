//! Sending mail: an SMTP transport when `FIELDNOTES_SMTP_URL` is set, else
//! `.eml` files under `<data dir>/mail/`. The outbox worker drains the queue.
use std::{sync::Arc, time::Duration};

use anyhow::Context;
use chrono::Utc;
use lettre::{
    message::{header::ContentType, Mailbox},
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::{config::Settings, services::outbox};

pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>, std::path::PathBuf),
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        match &settings.smtp_url {
            Some(url) => Ok(Mailer::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("FIELDNOTES_SMTP_URL: cannot be used")?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            )),
            None => {
                let dir = settings.mail_dir();
                crate::db::private_dir(&dir).with_context(|| {
                    format!("FIELDNOTES_DATA_DIR: cannot create {}", dir.display())
                })?;
                Ok(Mailer::File(AsyncFileTransport::new(dir.clone()), dir))
            }
        }
    }

    pub async fn send(&self, from: &Mailbox, msg: &entity::outbox::Model) -> anyhow::Result<()> {
        let to: Mailbox = msg
            .to_addr
            .parse()
            .with_context(|| format!("bad recipient {:?}", msg.to_addr))?;
        let email = Message::builder()
            .from(from.clone())
            .to(to)
            // A stable Message-ID lets receiving servers drop a duplicate if a
            // crash between sending and recording forces a resend.
            .message_id(Some(format!("<{}@fieldnotes>", msg.id)))
            .subject(msg.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(msg.body_text.clone())?;
        match self {
            Mailer::Smtp(t) => {
                t.send(email).await?;
            }
            Mailer::File(t, dir) => {
                // The message may hold a sign-in link: the file is private.
                let id = t.send(email).await?;
                crate::db::private_file(&dir.join(format!("{id}.eml")))?;
            }
        }
        Ok(())
    }
}

/// Sends every due message once. Safe to run on every instance at once.
pub async fn drain_once(
    db: &DatabaseConnection,
    mailer: &Mailer,
    from: &Mailbox,
    lease: chrono::Duration,
) -> anyhow::Result<usize> {
    let mut sent = 0;
    loop {
        let claimed = Utc::now();
        let batch = outbox::claim_due(db, claimed, 20, lease).await?;
        if batch.is_empty() {
            return Ok(sent);
        }
        // Every send ends well inside the lease, and no send starts once half
        // of it is gone: a message is never sent while another instance may
        // already have claimed it again. What is left is claimed afresh.
        let budget = (lease / 4)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(30));
        for msg in batch {
            if Utc::now() - claimed > lease / 2 {
                break;
            }
            let result = match tokio::time::timeout(budget, mailer.send(from, &msg)).await {
                Ok(r) => r,
                Err(_) => Err(anyhow::anyhow!(
                    "the mail server took longer than {budget:?}"
                )),
            };
            match result {
                Ok(()) => {
                    outbox::mark_sent(db, msg.id).await?;
                    sent += 1;
                }
                Err(e) => {
                    tracing::warn!(outbox_id = %msg.id, error = %e, "mail not sent; will retry");
                    outbox::mark_failed(db, &msg, &format!("{e:#}")).await?;
                }
            }
        }
    }
}

/// The background worker: drains the outbox whenever woken, and at least every
/// `poll` interval so it also sends what other instances queued.
pub fn spawn_worker(
    db: DatabaseConnection,
    settings: Arc<Settings>,
    wake: Arc<Notify>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mailer = Mailer::from_settings(&settings)?;
    let from: Mailbox = settings
        .mail_from
        .parse()
        .context("FIELDNOTES_MAIL_FROM: not a mailbox")?;
    Ok(tokio::spawn(async move {
        loop {
            // Reminders are queued by every instance; the outbox's unique
            // key keeps each one to a single mail.
            match crate::services::interviews::enqueue_reminders(
                &db,
                chrono::Utc::now(),
                &settings.public_url,
            )
            .await
            {
                Ok(n) => metrics::counter!(crate::metrics::REMINDERS_QUEUED).increment(n as u64),
                Err(e) => tracing::warn!(error = %e, "queueing reminders failed"),
            }
            if let Err(e) = drain_once(&db, &mailer, &from, settings.outbox_lease).await {
                tracing::warn!(error = %e, "outbox worker pass failed");
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(settings.outbox_poll) => {}
            }
        }
    }))
}
