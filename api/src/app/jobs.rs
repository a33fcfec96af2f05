//! The background jobs every instance runs: queueing interview reminders
//! and sending the outbox's mail through the configured [`Mailer`]. They
//! sit above the services (they call them), like the start-up.
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use lettre::message::Mailbox;
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::{app::email::Mailer, kernel::config::Settings, kernel::outbox};

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
            match crate::interviews::enqueue_reminders(
                &db,
                chrono::Utc::now(),
                &settings.public_url,
            )
            .await
            {
                Ok(n) => {
                    metrics::counter!(crate::kernel::meters::REMINDERS_QUEUED).increment(n as u64)
                }
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

/// How often each instance numbers the changes that have committed (the
/// change feed and webhook deliveries follow the numbers).
pub const SEQUENCE_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// The background sequencer of the change feed
/// ([`crate::integrations::feed::sequence`]). Every instance runs one; the
/// passes take turns.
pub fn spawn_sequencer(db: DatabaseConnection) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = crate::integrations::feed::sequence(&db).await {
                tracing::warn!(error = %e, "numbering the change feed failed; will retry");
            }
            tokio::time::sleep(SEQUENCE_EVERY).await;
        }
    })
}
