//! Sending mail: an SMTP transport when `FIELDNOTES_SMTP_URL` is set, else
//! `.eml` files under `<data dir>/mail/`. The outbox worker (`jobs.rs`)
//! drains the queue through it.
use std::time::Duration;

use anyhow::Context;

use lettre::{
    message::{header::ContentType, Mailbox},
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use crate::kernel::config::Settings;

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
                crate::app::db::private_dir(&dir).with_context(|| {
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
                crate::app::db::private_file(&dir.join(format!("{id}.eml")))?;
            }
        }
        Ok(())
    }
}
