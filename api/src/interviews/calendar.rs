//! Calendar feeds: a secret address per person that calendar apps subscribe
//! to, serving their interviews as an RFC 5545 calendar (pseudonyms only),
//! with a VTIMEZONE for every time zone it names.
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use ical::{
    generator::Emitter,
    parser::ical::component::{IcalTimeZone, IcalTimeZoneTransition, IcalTimeZoneTransitionType},
};
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus, Property};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    interviews::{rules::InterviewStatus, view::InterviewOut},
    kernel::{
        access::{
            tokens::{random_token, sha256_hex},
            Principal,
        },
        audit::Entry,
        ctx::Ctx,
        error::{ApiError, ApiResult},
        tz::observances,
    },
};

/// What a feed serves.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FeedScope {
    /// The person's own interviews.
    #[default]
    Mine,
    /// Every interview at the person's sites (coordinators and admins).
    Sites,
}

crate::kernel::names::stored_names!(FeedScope, "calendar feed scope");

/// A new feed; the body may be left out (`mine`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedIn {
    #[serde(default)]
    pub scope: FeedScope,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedOut {
    pub id: Uuid,
    pub scope: FeedScope,
    pub created_at: chrono::DateTime<Utc>,
    pub revoked_at: Option<chrono::DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewFeedOut {
    pub id: Uuid,
    pub scope: FeedScope,
    /// The secret feed address: anyone with it can read your schedule
    /// (pseudonyms, times, places). Shown once; revoke it if it leaks.
    pub url: String,
    /// The address as a QR code (SVG), to subscribe on a phone by scanning
    /// it from the screen.
    pub qr_svg: String,
    pub created_at: chrono::DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedList {
    pub items: Vec<FeedOut>,
}

/// Create a calendar feed of the caller's interviews. A signed-in person
/// only (the permission table): a feed's URL would outlive a key.
/// The caller's calendar feeds, revoked ones included.
pub async fn mine(db: &impl ConnectionTrait, p: &Principal) -> ApiResult<FeedList> {
    let items = entity::calendar_feed::Entity::find()
        .filter(entity::calendar_feed::Column::UserId.eq(p.user_id))
        .order_by_asc(entity::calendar_feed::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            Ok(FeedOut {
                id: m.id,
                scope: FeedScope::parse(&m.scope)?,
                created_at: m.created_at,
                revoked_at: m.revoked_at,
            })
        })
        .collect::<ApiResult<_>>()?;
    Ok(FeedList { items })
}

/// A feed of the caller's own interviews, or (a coordinator or admin) of
/// every interview at their sites.
pub async fn create(cx: &Ctx<'_>, body: FeedIn) -> ApiResult<NewFeedOut> {
    if body.scope == FeedScope::Sites && cx.p.require_coordinator().is_err() {
        return Err(ApiError::forbidden(
            "coordinator_required",
            "A feed of every interview at your sites is for coordinators; subscribe to your own interviews instead.",
        ));
    }
    let token = random_token();
    let ch = cx.begin().await?;
    let m = entity::calendar_feed::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(cx.p.user_id),
        token_hash: Set(sha256_hex(&token)),
        created_at: Set(Utc::now()),
        revoked_at: Set(None),
        scope: Set(body.scope.as_str().into()),
    }
    .insert(ch.db())
    .await?;
    ch.audit(
        Entry::new("calendar_feed.create", "calendar_feed", m.id)
            .detail(serde_json::json!({"scope": body.scope})),
    )
    .await?;
    ch.commit().await?;
    let url = format!(
        "{}/api/v1/calendar/{token}.ics",
        cx.public_url.trim_end_matches('/')
    );
    let qr_svg = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("QR code: {e}")))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(NewFeedOut {
        id: m.id,
        scope: body.scope,
        url,
        qr_svg,
        created_at: m.created_at,
    })
}

/// Revoke a calendar feed (its owner or an admin); its URL stops working.
pub async fn revoke(cx: &Ctx<'_>, id: Uuid) -> ApiResult<()> {
    let m = entity::calendar_feed::Entity::find_by_id(id)
        .one(cx.read)
        .await?
        .filter(|m| m.user_id == cx.p.user_id || cx.p.is_admin())
        .ok_or(ApiError::NotFound("calendar feed"))?;
    if m.revoked_at.is_none() {
        let ch = cx.begin().await?;
        let mut am: entity::calendar_feed::ActiveModel = m.clone().into();
        am.revoked_at = Set(Some(Utc::now()));
        am.update(ch.db()).await?;
        ch.audit(Entry::new("calendar_feed.revoke", "calendar_feed", m.id))
            .await?;
        ch.commit().await?;
    }
    Ok(())
}

/// What a feed serves, and whose it is.
pub struct Feed {
    pub feed_id: Uuid,
    pub user_id: Uuid,
    pub count: usize,
    pub body: String,
}

/// The feed behind a secret: the person's interviews from 90 days back on,
/// each with a stable UID and a SEQUENCE that grows with every change;
/// cancelled ones (and postponed ones whose new time is still to be agreed)
/// are marked CANCELLED. Times carry the site's time zone, which the feed
/// describes in a VTIMEZONE.
pub async fn feed(db: &DatabaseConnection, public_url: &str, token: &str) -> ApiResult<Feed> {
    let feed = entity::calendar_feed::Entity::find()
        .filter(entity::calendar_feed::Column::TokenHash.eq(sha256_hex(token)))
        .filter(entity::calendar_feed::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("calendar feed"))?;
    let user = entity::user::Entity::find_by_id(feed.user_id)
        .one(db)
        .await?
        .filter(|u| u.active)
        .ok_or(ApiError::NotFound("calendar feed"))?;
    // A person whose role must use a second factor they have not set up:
    // the feed waits until they have.
    let role = crate::kernel::access::Role::parse(&user.role)
        .ok_or(ApiError::NotFound("calendar feed"))?;
    if crate::kernel::access::rules::factor_missing(db, user.id, role).await? {
        return Err(crate::access::mfa::enrolment_required());
    }
    // A site feed serves every interview at the person's sites while they
    // are a coordinator or admin; otherwise (a role taken away) their own.
    let whole_sites = FeedScope::parse(&feed.scope)? == FeedScope::Sites
        && matches!(
            role,
            crate::kernel::access::Role::Coordinator | crate::kernel::access::Role::Admin
        );
    let sites: Vec<Uuid> = entity::user_site::Entity::find()
        .filter(entity::user_site::Column::UserId.eq(user.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.site_id)
        .collect();
    // An interview entered later was never on anyone's calendar.
    let mut q = entity::interview::Entity::find()
        .filter(entity::interview::Column::ScheduledAt.gte(Utc::now() - Duration::days(90)))
        .filter(entity::interview::Column::EnteredLater.eq(false))
        .order_by_asc(entity::interview::Column::ScheduledAt);
    if !whole_sites {
        let mine: Vec<Uuid> = entity::interview_interviewer::Entity::find()
            .filter(entity::interview_interviewer::Column::UserId.eq(user.id))
            .all(db)
            .await?
            .into_iter()
            .map(|l| l.interview_id)
            .collect();
        q = q.filter(entity::interview::Column::Id.is_in(mine));
    }
    if user.role != "admin" {
        q = q.filter(entity::interview::Column::SiteId.is_in(sites));
    }
    let rows = q.all(db).await?;
    let out = crate::interviews::view::expand(db, rows).await?;
    let site_rows: HashMap<Uuid, entity::site::Model> = entity::site::Entity::find()
        .filter(entity::site::Column::Id.is_in(out.iter().map(|i| i.site_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let host = public_url
        .split("://")
        .nth(1)
        .unwrap_or("fieldnotes")
        .split(['/', ':'])
        .next()
        .unwrap_or("fieldnotes")
        .to_string();
    Ok(Feed {
        feed_id: feed.id,
        user_id: user.id,
        count: out.len(),
        body: calendar(&out, &site_rows, &host),
    })
}

/// An RFC 5545 calendar of `interviews`: the `icalendar` crate writes the
/// calendar and its events; the `ical` crate writes a VTIMEZONE for each
/// zone they name, because `icalendar` 0.17 has no VTIMEZONE and adds DTSTAMP
/// and UID to every component it writes, which RFC 5545 does not allow there.
fn calendar(
    interviews: &[InterviewOut],
    sites: &HashMap<Uuid, entity::site::Model>,
    host: &str,
) -> String {
    let mut cal = Calendar::empty();
    cal.append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new(
            "PRODID",
            format!(
                "-//Fieldnotes//Fieldnotes {}//EN",
                env!("CARGO_PKG_VERSION")
            ),
        ))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"));
    cal.name("Fieldnotes interviews");
    // Each zone the events name, with the span of their times.
    let mut zones: BTreeMap<String, (Tz, DateTime<Utc>, DateTime<Utc>)> = BTreeMap::new();
    let mut events = Vec::new();
    for i in interviews {
        let Some(site) = sites.get(&i.site_id) else {
            continue;
        };
        let tz: Tz = crate::sites::tz_of(site);
        let tzid = tz.name().to_string();
        let span = zones
            .entry(tzid.clone())
            .or_insert((tz, i.scheduled_at, i.ends_at));
        span.1 = span.1.min(i.scheduled_at);
        span.2 = span.2.max(i.ends_at);
        let local = |t: DateTime<Utc>| CalendarDateTime::WithTimezone {
            date_time: t.with_timezone(&tz).naive_local(),
            tzid: tzid.clone(),
        };
        let status = match i.status {
            InterviewStatus::Cancelled | InterviewStatus::Postponed => EventStatus::Cancelled,
            _ => EventStatus::Confirmed,
        };
        let summary = match i.status {
            InterviewStatus::Postponed => {
                format!(
                    "Interview {} (postponed, new time to be agreed)",
                    i.pseudonym
                )
            }
            InterviewStatus::Cancelled => format!("Interview {} (cancelled)", i.pseudonym),
            _ => format!("Interview {} (wave {})", i.pseudonym, i.wave),
        };
        let mut ev = Event::new();
        ev.uid(&format!("{}@{host}", i.id))
            .summary(&summary)
            .starts(local(i.scheduled_at))
            .ends(local(i.ends_at))
            .location(&format!(
                "{}{}",
                site.name,
                i.location
                    .as_deref()
                    .map(|l| format!(", {l}"))
                    .unwrap_or_default()
            ))
            .status(status)
            .timestamp(i.updated_at)
            .add_property("SEQUENCE", i.sequence.to_string());
        events.push(ev.done());
    }
    for ev in events {
        cal.push(ev);
    }
    let zones: String = zones
        .into_iter()
        .map(|(tzid, (tz, first, last))| vtimezone(&tzid, tz, first, last).generate())
        .collect();
    let body = cal.to_string();
    // The zones go before the first event (any place among the components
    // is valid; calendar apps read them first more easily).
    let at = body
        .find("BEGIN:VEVENT\r\n")
        .or_else(|| body.rfind("END:VCALENDAR"))
        .unwrap_or(body.len());
    format!("{}{zones}{}", &body[..at], &body[at..])
}

fn prop(name: &str, value: impl Into<String>) -> ical::property::Property {
    ical::property::Property {
        name: name.to_string(),
        params: None,
        value: Some(value.into()),
    }
}

/// `+0100`, `-0330`, `+013045`.
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

/// The zone's observances from the start of the year of its first event to
/// the end of the year of its last: every offset a calendar app needs to
/// place them, and the weeks around them.
fn vtimezone(tzid: &str, tz: Tz, first: DateTime<Utc>, last: DateTime<Utc>) -> IcalTimeZone {
    let from = Utc
        .with_ymd_and_hms(first.year(), 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(first);
    let to = Utc
        .with_ymd_and_hms(last.year() + 1, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(last);
    let mut vtz = IcalTimeZone::new();
    vtz.properties.push(prop("TZID", tzid));
    for o in observances(tz, from, to) {
        let mut part = IcalTimeZoneTransition::new(if o.daylight {
            IcalTimeZoneTransitionType::DAYLIGHT
        } else {
            IcalTimeZoneTransitionType::STANDARD
        });
        part.properties.extend([
            prop(
                "DTSTART",
                o.local_start().format("%Y%m%dT%H%M%S").to_string(),
            ),
            prop("TZOFFSETFROM", utc_offset(o.offset_from)),
            prop("TZOFFSETTO", utc_offset(o.offset_to)),
        ]);
        if !o.name.is_empty() && !o.name.starts_with(['+', '-']) {
            part.properties.push(prop("TZNAME", o.name));
        }
        vtz.transitions.push(part);
    }
    vtz
}
