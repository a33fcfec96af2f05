//! Interviews: every change to one (`lifecycle`, `sessions`), how they are
//! shown (`view`), wave settings, interviewer locks and clashes, and the
//! mail and reminders they cause, through the outbox.
pub mod calendar;
pub mod earlier;
pub mod lifecycle;
pub mod routes;
pub mod rules;
pub mod sessions;
pub mod standings;
pub mod view;

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, Statement};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    interviews::rules::{
        schedule::{default_waves, Wave},
        InterviewStatus, BUSY,
    },
    kernel::{
        ctx::Change,
        error::{ApiError, ApiResult},
        lang::Lang,
        mail,
        outbox::{self, NewMail},
    },
    sites::tz_of,
};

pub const WAVES_KEY: &str = "waves";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WaveSettings {
    pub waves: Vec<Wave>,
}

pub async fn waves(db: &impl ConnectionTrait) -> ApiResult<Vec<Wave>> {
    match entity::setting::Entity::find_by_id(WAVES_KEY)
        .one(db)
        .await?
    {
        Some(m) => serde_json::from_value::<WaveSettings>(m.value)
            .map(|w| w.waves)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("wave settings unreadable: {e}"))),
        None => Ok(default_waves()),
    }
}

/// Serialises bookings of the same interviewers across instances (PostgreSQL
/// advisory locks held until the transaction ends; SQLite has one writer).
pub async fn lock_interviewers(db: &impl ConnectionTrait, users: &[Uuid]) -> ApiResult<()> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let mut keys: Vec<i64> = users
        .iter()
        .map(|u| {
            let b = u.as_bytes();
            i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
                ^ i64::from_le_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]])
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    for k in keys {
        db.execute(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [k.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The first busy interview of one of `users` that overlaps `start..end`.
pub async fn clash(
    db: &impl ConnectionTrait,
    users: &[Uuid],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    except: Option<Uuid>,
) -> ApiResult<Option<(entity::interview::Model, Uuid)>> {
    use entity::{interview, interview_interviewer as ii};
    let links = ii::Entity::find()
        .filter(ii::Column::UserId.is_in(users.to_vec()))
        .all(db)
        .await?;
    if links.is_empty() {
        return Ok(None);
    }
    let by_interview: HashMap<Uuid, Uuid> =
        links.iter().map(|l| (l.interview_id, l.user_id)).collect();
    let mut q = interview::Entity::find()
        .filter(interview::Column::Id.is_in(by_interview.keys().copied().collect::<Vec<_>>()))
        .filter(interview::Column::Status.is_in(InterviewStatus::names(&BUSY)))
        .filter(interview::Column::ScheduledAt.lt(end))
        .filter(interview::Column::EndsAt.gt(start));
    if let Some(id) = except {
        q = q.filter(interview::Column::Id.ne(id));
    }
    Ok(q.one(db).await?.map(|m| {
        let user = by_interview[&m.id];
        (m, user)
    }))
}

/// What a notification is about: the news its mail tells.
pub use crate::kernel::mail::InterviewNews as Notice;

/// Someone to tell, with the site's time zone for the times in the mail.
pub struct MailContext<'a> {
    pub interview: &'a entity::interview::Model,
    pub pseudonym: &'a str,
    pub site: &'a entity::site::Model,
    pub public_url: &'a str,
}

/// Mail to each interviewer and to the coordinator who scheduled the
/// interview if someone else made the change, as long as they still work at
/// the interview's site. Pseudonym only; no screening data. Queued in the
/// change's transaction.
pub async fn notify(
    ch: &mut Change<'_>,
    ctx: &MailContext<'_>,
    change: Notice,
    previous: Option<DateTime<Utc>>,
) -> ApiResult<()> {
    let i = ctx.interview;
    let actor = ch.cx().p.user_id;
    let mut recipients: Vec<Uuid> = entity::interview_interviewer::Entity::find()
        .filter(entity::interview_interviewer::Column::InterviewId.eq(i.id))
        .all(ch.db())
        .await?
        .into_iter()
        .map(|l| l.user_id)
        .collect();
    if let Some(c) = i.created_by {
        if c != actor && !recipients.contains(&c) {
            recipients.push(c);
        }
    }
    let placed = crate::kernel::team::placed(ch.db(), &recipients).await?;
    let users: Vec<&entity::user::Model> = recipients
        .iter()
        .filter(|u| placed.at_site(**u, i.site_id))
        .filter_map(|u| placed.users.get(u))
        .collect();
    let tz = tz_of(ctx.site);
    let link = format!("{}/", ctx.public_url.trim_end_matches('/'));
    for u in users {
        let lang = Lang::parse(&u.language);
        let when = mail::when(lang, tz, i.scheduled_at);
        let previous = previous.map(|p| mail::when(lang, tz, p));
        let facts = mail::InterviewFacts {
            pseudonym: ctx.pseudonym,
            wave: i.wave,
            when: &when,
            previous: previous.as_deref(),
            timezone: &ctx.site.timezone,
            minutes: i.duration_minutes,
            site: &ctx.site.name,
            place: i.location.as_deref(),
            link: &link,
        };
        let (subject, body) = mail::interview(lang, change, &u.display_name, &facts);
        ch.mail(NewMail {
            dedupe_key: Some(format!("interview:{}:{}:{}", i.id, i.sequence, u.id)),
            to: u.email.clone(),
            subject,
            body,
        })
        .await?;
    }
    Ok(())
}

/// Drops reminders not yet sent for an interview whose time changed or that
/// was cancelled, in the transaction that changes it.
pub async fn drop_pending_reminders(db: &impl ConnectionTrait, interview: Uuid) -> ApiResult<()> {
    entity::outbox::Entity::delete_many()
        .filter(entity::outbox::Column::DedupeKey.starts_with(format!("reminder:{interview}:")))
        .filter(entity::outbox::Column::SentAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Queues the reminders due at `now`: 24 hours and 1 hour before each
/// scheduled interview, once per interviewer, time and kind. Run on every
/// instance, as often as you like: the outbox's unique key makes each
/// reminder exist once. An interview less than an hour away gets only the
/// 1-hour reminder.
pub async fn enqueue_reminders(
    conn: &sea_orm::DatabaseConnection,
    now: DateTime<Utc>,
    public_url: &str,
) -> ApiResult<usize> {
    use entity::interview::{Column, Entity};
    use sea_orm::{QuerySelect, TransactionTrait};
    // The interviews are read with a shared row lock: a postponement or
    // cancellation (which locks the row to change it, then drops unsent
    // reminders) waits for this transaction, so no reminder for an old time
    // can slip in after it.
    let txn = conn.begin().await?;
    let db = &txn;
    let soon = Entity::find()
        .filter(Column::Status.eq(InterviewStatus::Scheduled.as_str()))
        .filter(Column::ScheduledAt.gt(now))
        .filter(Column::ScheduledAt.lte(now + Duration::hours(24)))
        .lock_shared()
        .all(db)
        .await?;
    if soon.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = soon.iter().map(|i| i.id).collect();
    let links = entity::interview_interviewer::Entity::find()
        .filter(entity::interview_interviewer::Column::InterviewId.is_in(ids))
        .all(db)
        .await?;
    let user_ids: Vec<Uuid> = links.iter().map(|l| l.user_id).collect();
    // Reminders go only to people who still work at the interview's site.
    let placed = crate::kernel::team::placed(db, &user_ids).await?;
    let pids: Vec<Uuid> = soon.iter().map(|i| i.participant_id).collect();
    let pseudonyms: HashMap<Uuid, String> = entity::participant::Entity::find()
        .filter(entity::participant::Column::Id.is_in(pids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.pseudonym))
        .collect();
    let sids: Vec<Uuid> = soon.iter().map(|i| i.site_id).collect();
    let sites: HashMap<Uuid, entity::site::Model> = entity::site::Entity::find()
        .filter(entity::site::Column::Id.is_in(sids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let mut queued = 0;
    for i in &soon {
        let kind = if i.scheduled_at <= now + Duration::hours(1) {
            "1h"
        } else {
            "24h"
        };
        // Booked, or changed, after this reminder was due: the mail of that
        // change already named the time, so a reminder now would be a second
        // mail at once (the one an hour before still comes).
        let due = i.scheduled_at
            - if kind == "1h" {
                Duration::hours(1)
            } else {
                Duration::hours(24)
            };
        if i.updated_at >= due {
            continue;
        }
        let (Some(site), Some(pseudonym)) =
            (sites.get(&i.site_id), pseudonyms.get(&i.participant_id))
        else {
            continue;
        };
        let tz = tz_of(site);
        for l in links.iter().filter(|l| l.interview_id == i.id) {
            let Some(u) = placed
                .users
                .get(&l.user_id)
                .filter(|u| placed.at_site(u.id, i.site_id))
            else {
                continue;
            };
            let hours = if kind == "1h" {
                1
            } else {
                (i.scheduled_at - now).num_hours().max(2)
            };
            let lang = Lang::parse(&u.language);
            let when = mail::when(lang, tz, i.scheduled_at);
            let link = format!("{}/", public_url.trim_end_matches('/'));
            let (subject, body) = mail::reminder(
                lang,
                &u.display_name,
                hours,
                &mail::InterviewFacts {
                    pseudonym,
                    wave: i.wave,
                    when: &when,
                    previous: None,
                    timezone: &site.timezone,
                    minutes: i.duration_minutes,
                    site: &site.name,
                    place: i.location.as_deref(),
                    link: &link,
                },
            );
            let created = outbox::enqueue(
                db,
                NewMail {
                    // Keyed by the time, not the change count: a new place or
                    // note does not send the same reminder twice, a new time does.
                    dedupe_key: Some(format!(
                        "reminder:{}:{}:{kind}:{}",
                        i.id,
                        i.scheduled_at.timestamp(),
                        u.id
                    )),
                    to: u.email.clone(),
                    subject,
                    body,
                },
            )
            .await?;
            if created {
                queued += 1;
            }
        }
    }
    txn.commit().await?;
    Ok(queued)
}

/// A transition the rules refuse answers 409 with its code.
impl From<crate::interviews::rules::Refused> for crate::kernel::error::ApiError {
    fn from(r: crate::interviews::rules::Refused) -> Self {
        crate::kernel::error::ApiError::conflict(r.code, r.detail)
    }
}
