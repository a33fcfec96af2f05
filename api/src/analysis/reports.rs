//! The coordinators' views: who is due for an interview, and the fieldwork
//! report for a methods section. Counts never include sites the caller
//! cannot see; every view is audited.
use crate::kernel::field::not_found;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    analysis::rules::{self as methods, Count},
    interviews::{
        self as svc,
        rules::{
            schedule::{due_state, DueState},
            InterviewStatus, PostponeReason,
        },
    },
    kernel::{
        audit::Entry,
        ctx::Ctx,
        error::{ApiError, ApiResult},
    },
    participants::rules::ParticipantStatus,
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    pub wave: i32,
    pub site_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DueInterview {
    pub id: Uuid,
    pub status: String,
    pub scheduled_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DueItem {
    pub participant_id: Uuid,
    pub pseudonym: String,
    pub site_id: Uuid,
    pub wave: i32,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub state: DueState,
    /// Days until the window closes (negative once it has closed).
    pub days_left: i64,
    /// The open interview for this wave, if one is planned.
    pub interview: Option<DueInterview>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DueList {
    /// Most urgent first.
    pub items: Vec<DueItem>,
}

async fn tz_map(db: &impl ConnectionTrait, ids: Vec<Uuid>) -> ApiResult<HashMap<Uuid, Tz>> {
    Ok(entity::site::Entity::find()
        .filter(entity::site::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, crate::sites::tz_of(&s)))
        .collect())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    pub site_id: Option<Uuid>,
    /// Interviews first scheduled at or after.
    pub from: Option<DateTime<Utc>>,
    /// Interviews first scheduled before.
    pub to: Option<DateTime<Utc>>,
    /// Show every count from 1 to 4 as "fewer than 5", in the numbers and
    /// in `methods_text`.
    pub suppress_small: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SiteCount {
    pub site_id: Uuid,
    pub site_name: String,
    pub active: Count,
    pub withdrawn: Count,
    pub ended: Count,
    pub total: Count,
}

/// Interviews of one site by status.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteInterviews {
    pub site_id: Uuid,
    pub site_name: String,
    /// Interviews by status; statuses with none are left out.
    pub by_status: BTreeMap<String, Count>,
    pub total: Count,
}

/// Retention in one wave: where the participants stand, over the whole
/// study (the report's period does not apply; its site does). A
/// participant is counted in a wave once its window, in days after their
/// treatment start, has opened in their site's calendar; `eligible` is
/// `interviewed + in_window_now + missed`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WaveRetention {
    #[schema(minimum = 1)]
    pub wave: i32,
    /// Participants with a completed interview of this wave, and active
    /// participants whose window for it has opened.
    pub eligible: Count,
    /// Participants with a completed interview of this wave (whatever their
    /// status now).
    pub interviewed: Count,
    /// Active participants not yet interviewed whose window is open today.
    pub in_window_now: Count,
    /// Active participants whose window closed with no completed interview
    /// of this wave.
    pub missed: Count,
    /// Participants who withdrew from the study without this wave's
    /// interview, its window having opened.
    pub withdrawn: Count,
}

/// One site's retention, wave by wave.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteWaves {
    pub site_id: Uuid,
    pub site_name: String,
    pub waves: Vec<WaveRetention>,
}

/// Completed interviews whose time from booking to completion fell in
/// `[min_days, max_days]` whole days (`max_days` null: no upper end).
#[derive(Debug, Serialize, ToSchema)]
pub struct DaysBucket {
    pub min_days: u32,
    pub max_days: Option<u32>,
    pub interviews: Count,
}

/// The buckets of `days_to_completion`: the same day, within a week, two
/// weeks, a month, two months, and later.
const DAY_BUCKETS: [(u32, Option<u32>); 6] = [
    (0, Some(0)),
    (1, Some(7)),
    (8, Some(14)),
    (15, Some(30)),
    (31, Some(60)),
    (61, None),
];

/// Screenings with one instrument (all its versions), by outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstrumentScreenings {
    pub instrument_key: String,
    /// Screenings by outcome (`ready`, `postpone`, `stop`); outcomes with
    /// none are left out.
    pub by_outcome: BTreeMap<String, Count>,
    pub total: Count,
}

/// Completed interviews by who conducted them.
#[derive(Debug, Serialize, ToSchema)]
pub struct InterviewerKinds {
    /// Researchers only: no peer researcher among the interviewers.
    pub researchers: Count,
    /// Peer researchers only.
    pub peer_researchers: Count,
    /// A peer researcher with a researcher.
    pub together: Count,
}

/// Counts are numbers, or "fewer than 5" with `suppress_small=true`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldworkReport {
    pub participants_by_site: Vec<SiteCount>,
    pub participants_total: Count,
    /// Interviews by status.
    pub interviews_by_status: BTreeMap<String, Count>,
    /// Interviews by status at each site, by site name.
    pub interviews_by_site: Vec<SiteInterviews>,
    pub interviews_total: Count,
    /// Postponements by reason.
    pub postponements_by_reason: BTreeMap<String, Count>,
    pub postponements_total: Count,
    /// Interviews postponed at least once.
    pub interviews_postponed: Count,
    /// New times given with no reason to report (a time agreed for an
    /// interview whose time was to be agreed, or a plan changed): never
    /// counted as postponements.
    pub reschedules_total: Count,
    /// Interviews rescheduled at least once.
    pub interviews_rescheduled: Count,
    /// Interviews with more than one session.
    pub interviews_split: Count,
    /// Number of interviews by their number of sessions ("1": 12, "2": 3).
    pub sessions_per_interview: BTreeMap<String, Count>,
    /// Over completed interviews: total session minutes, in whole minutes
    /// (rounded once, here; `methods_text` says the same numbers).
    pub minutes_mean: Option<f64>,
    pub minutes_median: Option<f64>,
    /// Completed interviews held before the study used Fieldnotes and
    /// entered afterwards (`entered_later`).
    pub interviews_entered_later: Count,
    /// Over completed interviews booked in Fieldnotes (not those entered
    /// later): days from when the interview was first booked to its
    /// completion, to one decimal; never negative.
    pub days_to_completion_median: Option<f64>,
    /// Completed interviews by whole days from booking to completion, in
    /// fixed buckets (every bucket is listed, empty or not).
    pub days_to_completion: Vec<DaysBucket>,
    /// Completed interviews by who conducted them.
    pub interviews_by_interviewer_kind: InterviewerKinds,
    /// Retention per wave, every wave of the study in order (see
    /// `WaveRetention` for what each count means).
    pub waves: Vec<WaveRetention>,
    /// The same per site, by site name.
    pub waves_by_site: Vec<SiteWaves>,
    /// Screenings of the participants counted here, performed in the
    /// period (`from`, `to`), by instrument key and outcome.
    pub screenings_by_instrument: Vec<InstrumentScreenings>,
    /// A draft paragraph for the methods section, in the language of
    /// `Accept-Language` (English or bokmål).
    pub methods_text: String,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Completed interviews by who conducted them: (researchers only, peer
/// researchers only, together).
async fn interviewer_kinds(
    db: &impl ConnectionTrait,
    completed: &[&entity::interview::Model],
) -> ApiResult<(u64, u64, u64)> {
    let ids: Vec<Uuid> = completed.iter().map(|i| i.id).collect();
    let links = entity::interview_interviewer::Entity::find()
        .filter(entity::interview_interviewer::Column::InterviewId.is_in(ids))
        .all(db)
        .await?;
    let peers: HashMap<Uuid, bool> = entity::user::Entity::find()
        .filter(entity::user::Column::Id.is_in(links.iter().map(|l| l.user_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.peer_researcher))
        .collect();
    // Per interview: (a researcher among them, a peer researcher among them).
    let mut who: HashMap<Uuid, (bool, bool)> = HashMap::new();
    for l in &links {
        let e = who.entry(l.interview_id).or_default();
        if peers.get(&l.user_id).copied().unwrap_or(false) {
            e.1 = true;
        } else {
            e.0 = true;
        }
    }
    let mut out = (0, 0, 0);
    for (researcher, peer) in who.into_values() {
        match (researcher, peer) {
            (true, true) => out.2 += 1,
            (false, true) => out.1 += 1,
            _ => out.0 += 1,
        }
    }
    Ok(out)
}

/// Active participants whose wave window is open, closes within 7 days, or
/// has passed, without a completed interview for that wave (coordinators).
pub async fn due(cx: &Ctx<'_>, q: &DueQuery) -> ApiResult<DueList> {
    let waves = svc::waves(cx.read).await?;
    let wave = waves
        .iter()
        .find(|w| w.wave == q.wave)
        .ok_or_else(|| ApiError::field("/wave", not_found("wave")))?;
    let mut sel = entity::participant::Entity::find()
        .filter(entity::participant::Column::Status.eq(ParticipantStatus::Active.as_str()));
    if let Some(ids) = cx.p.visible_sites() {
        sel = sel.filter(entity::participant::Column::SiteId.is_in(ids.to_vec()));
    }
    if let Some(s) = q.site_id {
        sel = sel.filter(entity::participant::Column::SiteId.eq(s));
    }
    let participants = sel.all(cx.read).await?;
    let interviews = entity::interview::Entity::find()
        .filter(entity::interview::Column::Wave.eq(q.wave))
        .filter(
            entity::interview::Column::ParticipantId
                .is_in(participants.iter().map(|p| p.id).collect::<Vec<_>>()),
        )
        .all(cx.read)
        .await?;
    let sites = tz_map(cx.read, participants.iter().map(|p| p.site_id).collect()).await?;
    let mut items = Vec::new();
    for part in participants {
        let mine: Vec<&entity::interview::Model> = interviews
            .iter()
            .filter(|i| i.participant_id == part.id)
            .collect();
        if mine
            .iter()
            .any(|i| InterviewStatus::parse(&i.status) == Ok(InterviewStatus::Completed))
        {
            continue;
        }
        let tz = sites.get(&part.site_id).copied().unwrap_or(Tz::UTC);
        let today = Utc::now().with_timezone(&tz).date_naive();
        let Some(state_now) = due_state(wave, part.treatment_started_on, today) else {
            continue;
        };
        let closes_on = wave.closes_on(part.treatment_started_on);
        items.push(DueItem {
            participant_id: part.id,
            pseudonym: part.pseudonym,
            site_id: part.site_id,
            wave: q.wave,
            opens_on: wave.opens_on(part.treatment_started_on),
            closes_on,
            state: state_now,
            days_left: (closes_on - today).num_days(),
            interview: mine
                .iter()
                .find(|i| InterviewStatus::parse(&i.status).is_ok_and(|s| s.is_open()))
                .map(|i| DueInterview {
                    id: i.id,
                    status: i.status.clone(),
                    scheduled_at: i.scheduled_at,
                }),
        });
    }
    items.sort_by(|a, b| {
        a.days_left
            .cmp(&b.days_left)
            .then(a.pseudonym.cmp(&b.pseudonym))
    });
    cx.log(Entry {
        action: "participant.due",
        object_type: "participant",
        object_id: None,
        site_id: q.site_id,
        detail: Some(serde_json::json!({"wave": q.wave, "count": items.len()})),
    })
    .await?;
    Ok(DueList { items })
}

/// Retention per wave over `parts` (the report's participants), overall
/// and per site in `sites`.
async fn retention(
    cx: &Ctx<'_>,
    sites: &[entity::site::Model],
    parts: &[entity::participant::Model],
    suppress: bool,
) -> ApiResult<(Vec<WaveRetention>, Vec<SiteWaves>)> {
    use crate::interviews::rules::schedule::Standing;
    let waves = svc::waves(cx.read).await?;
    let standings = svc::standings::Standings::load(cx.read, parts, cx.now()).await?;
    let k = |n: u64| Count::of(n, suppress);
    let tally = |site: Option<Uuid>| -> Vec<WaveRetention> {
        waves
            .iter()
            .map(|w| {
                let mut n = [0u64; 5];
                for p in parts.iter().filter(|p| site.is_none_or(|s| p.site_id == s)) {
                    let slot = match standings.of(p, w) {
                        Standing::Outside => continue,
                        Standing::Interviewed => 0,
                        Standing::InWindow => 1,
                        Standing::Missed => 2,
                        Standing::Withdrawn => 3,
                    };
                    n[slot] += 1;
                }
                WaveRetention {
                    wave: w.wave,
                    eligible: k(n[0] + n[1] + n[2]),
                    interviewed: k(n[0]),
                    in_window_now: k(n[1]),
                    missed: k(n[2]),
                    withdrawn: k(n[3]),
                }
            })
            .collect()
    };
    let mut by_site: Vec<SiteWaves> = sites
        .iter()
        .map(|s| SiteWaves {
            site_id: s.id,
            site_name: s.name.clone(),
            waves: tally(Some(s.id)),
        })
        .collect();
    by_site.sort_by(|a, b| a.site_name.cmp(&b.site_name));
    Ok((tally(None), by_site))
}

/// The fieldwork in numbers, for the methods section (coordinators).
pub async fn fieldwork(cx: &Ctx<'_>, q: &ReportQuery) -> ApiResult<FieldworkReport> {
    let visible: Option<Vec<Uuid>> = match (cx.p.visible_sites(), q.site_id) {
        (_, Some(s)) if !cx.p.can_see_site(s) => Some(Vec::new()),
        (_, Some(s)) => Some(vec![s]),
        (Some(ids), None) => Some(ids.to_vec()),
        (None, None) => None,
    };
    let mut sites = entity::site::Entity::find();
    let mut parts = entity::participant::Entity::find();
    let mut ivs = entity::interview::Entity::find();
    if let Some(ids) = &visible {
        sites = sites.filter(entity::site::Column::Id.is_in(ids.clone()));
        parts = parts.filter(entity::participant::Column::SiteId.is_in(ids.clone()));
        ivs = ivs.filter(entity::interview::Column::SiteId.is_in(ids.clone()));
    }
    if let Some(f) = q.from {
        ivs = ivs.filter(entity::interview::Column::FirstScheduledAt.gte(f));
    }
    if let Some(t) = q.to {
        ivs = ivs.filter(entity::interview::Column::FirstScheduledAt.lt(t));
    }
    let sites = sites.all(cx.read).await?;
    let parts = parts.all(cx.read).await?;
    let ivs = ivs.all(cx.read).await?;
    let ids: Vec<Uuid> = ivs.iter().map(|i| i.id).collect();
    let posts = entity::postponement::Entity::find()
        .filter(entity::postponement::Column::InterviewId.is_in(ids.clone()))
        .all(cx.read)
        .await?;
    let reschedules = entity::interview_reschedule::Entity::find()
        .filter(entity::interview_reschedule::Column::InterviewId.is_in(ids.clone()))
        .all(cx.read)
        .await?;
    // Counted by the database: the screenings themselves (with their
    // answers) are never loaded for a count.
    let mut screenings = {
        use entity::screening::{Column, Entity};
        Entity::find()
            .select_only()
            .column(Column::InstrumentKey)
            .column(Column::Outcome)
            .column_as(Column::Id.count(), "n")
            .group_by(Column::InstrumentKey)
            .group_by(Column::Outcome)
    };
    if let Some(ids) = &visible {
        screenings = screenings.filter(entity::screening::Column::SiteId.is_in(ids.clone()));
    }
    if let Some(f) = q.from {
        screenings = screenings.filter(entity::screening::Column::PerformedAt.gte(f));
    }
    if let Some(t) = q.to {
        screenings = screenings.filter(entity::screening::Column::PerformedAt.lt(t));
    }
    let screenings: Vec<(String, String, i64)> = screenings.into_tuple().all(cx.read).await?;
    let sessions = entity::interview_session::Entity::find()
        .filter(entity::interview_session::Column::InterviewId.is_in(ids))
        .all(cx.read)
        .await?;

    let mut by_site: Vec<SiteCount> = sites
        .iter()
        .map(|s| {
            let here: Vec<&entity::participant::Model> =
                parts.iter().filter(|p| p.site_id == s.id).collect();
            let count = |st: &str| {
                Count::of(
                    here.iter().filter(|p| p.status == st).count() as u64,
                    q.suppress_small.unwrap_or(false),
                )
            };
            SiteCount {
                site_id: s.id,
                site_name: s.name.clone(),
                active: count("active"),
                withdrawn: count("withdrawn"),
                ended: count("ended"),
                total: Count::of(here.len() as u64, q.suppress_small.unwrap_or(false)),
            }
        })
        .collect();
    by_site.sort_by(|a, b| a.site_name.cmp(&b.site_name));
    let mut by_status = BTreeMap::new();
    for i in &ivs {
        *by_status.entry(i.status.clone()).or_insert(0) += 1;
    }
    let mut by_reason = BTreeMap::new();
    for p in &posts {
        *by_reason.entry(p.reason.clone()).or_insert(0) += 1;
    }
    let mut postponed: Vec<Uuid> = posts.iter().map(|p| p.interview_id).collect();
    postponed.sort();
    postponed.dedup();
    let mut rescheduled: Vec<Uuid> = reschedules.iter().map(|r| r.interview_id).collect();
    rescheduled.sort();
    rescheduled.dedup();
    let mut per: HashMap<Uuid, (u64, i64)> = HashMap::new();
    for s in &sessions {
        let e = per.entry(s.interview_id).or_default();
        e.0 += 1;
        e.1 += s
            .ended_at
            .map_or(0, |end| (end - s.started_at).num_minutes());
    }
    let mut sessions_per = BTreeMap::new();
    for (n, _) in per.values() {
        *sessions_per.entry(n.to_string()).or_insert(0) += 1;
    }
    let completed: Vec<&entity::interview::Model> = ivs
        .iter()
        .filter(|i| InterviewStatus::parse(&i.status) == Ok(InterviewStatus::Completed))
        .collect();
    let minutes: Vec<f64> = completed
        .iter()
        .map(|i| per.get(&i.id).map_or(0, |x| x.1) as f64)
        .collect();
    // From when it was booked, never from its (later) scheduled time, and
    // never below zero. An interview entered later was never booked here.
    let days: Vec<f64> = completed
        .iter()
        .filter(|i| !i.entered_later)
        .filter_map(|i| {
            i.completed_at
                .map(|c| ((c - i.created_at).num_seconds() as f64 / 86_400.0).max(0.0))
        })
        .collect();
    let suppress = q.suppress_small.unwrap_or(false);
    let k = |n: u64| Count::of(n, suppress);
    let days_to_completion = DAY_BUCKETS
        .iter()
        .map(|&(min, max)| DaysBucket {
            min_days: min,
            max_days: max,
            interviews: k(days
                .iter()
                .filter(|d| {
                    let whole = d.max(0.0).floor() as u32;
                    whole >= min && max.is_none_or(|m| whole <= m)
                })
                .count() as u64),
        })
        .collect();
    let mut interviews_by_site: Vec<SiteInterviews> = sites
        .iter()
        .map(|s| {
            let mut by: BTreeMap<String, u64> = BTreeMap::new();
            let mut total = 0;
            for i in ivs.iter().filter(|i| i.site_id == s.id) {
                *by.entry(i.status.clone()).or_default() += 1;
                total += 1;
            }
            SiteInterviews {
                site_id: s.id,
                site_name: s.name.clone(),
                by_status: by.into_iter().map(|(st, n)| (st, k(n))).collect(),
                total: k(total),
            }
        })
        .collect();
    interviews_by_site.sort_by(|a, b| a.site_name.cmp(&b.site_name));
    let counted = |m: BTreeMap<String, u64>| -> BTreeMap<String, Count> {
        m.into_iter().map(|(key, v)| (key, k(v))).collect()
    };
    let mut by_site_done: BTreeMap<Uuid, u64> = BTreeMap::new();
    let mut interviewed: Vec<Uuid> = Vec::new();
    for i in &completed {
        *by_site_done.entry(i.site_id).or_default() += 1;
        interviewed.push(i.participant_id);
    }
    interviewed.sort();
    interviewed.dedup();
    let kinds = interviewer_kinds(cx.read, &completed).await?;
    let mut by_instrument: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for (key, outcome, n) in screenings {
        by_instrument
            .entry(key)
            .or_default()
            .insert(outcome, n.max(0) as u64);
    }
    let screenings_by_instrument = by_instrument
        .into_iter()
        .map(|(key, by)| InstrumentScreenings {
            instrument_key: key,
            total: k(by.values().sum()),
            by_outcome: counted(by),
        })
        .collect();
    let mut completed_by_site: Vec<u64> = by_site_done.into_values().collect();
    completed_by_site.sort_by(|a, b| b.cmp(a));
    let mut by_wave_done: BTreeMap<i32, u64> = BTreeMap::new();
    for i in &completed {
        *by_wave_done.entry(i.wave).or_default() += 1;
    }
    let numbers = methods::Numbers {
        completed_by_site,
        completed_by_wave: by_wave_done.into_values().collect(),
        participants_interviewed: interviewed.len() as u64,
        interviews_postponed: postponed.len() as u64,
        postponements: posts.len() as u64,
        interviews_rescheduled: rescheduled.len() as u64,
        reschedules: reschedules.len() as u64,
        interviews_with_peers: kinds.1 + kinds.2,
        top_reason: by_reason
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(r, n)| PostponeReason::parse(r).map(|r| (r, *n)))
            .transpose()?,
        entered_later: completed.iter().filter(|i| i.entered_later).count() as u64,
        interviews_split: per.values().filter(|(n, _)| *n > 1).count() as u64,
        sessions_of_split: per.values().filter(|(n, _)| *n > 1).map(|(n, _)| *n).sum(),
        minutes_mean: if minutes.is_empty() {
            None
        } else {
            Some((minutes.iter().sum::<f64>() / minutes.len() as f64).round())
        },
        minutes_median: median(minutes).map(f64::round),
    };
    let (waves, waves_by_site) = retention(cx, &sites, &parts, suppress).await?;
    let report = FieldworkReport {
        interviews_entered_later: k(numbers.entered_later),
        waves,
        waves_by_site,
        participants_total: k(parts.len() as u64),
        participants_by_site: by_site,
        interviews_total: k(ivs.len() as u64),
        interviews_by_status: counted(by_status),
        interviews_by_site,
        postponements_total: k(posts.len() as u64),
        postponements_by_reason: counted(by_reason),
        interviews_postponed: k(postponed.len() as u64),
        reschedules_total: k(reschedules.len() as u64),
        interviews_rescheduled: k(rescheduled.len() as u64),
        interviews_split: k(numbers.interviews_split),
        sessions_per_interview: counted(sessions_per),
        minutes_mean: numbers.minutes_mean,
        minutes_median: numbers.minutes_median,
        days_to_completion_median: median(days).map(|d| (d * 10.0).round() / 10.0),
        days_to_completion,
        interviews_by_interviewer_kind: InterviewerKinds {
            researchers: k(kinds.0),
            peer_researchers: k(kinds.1),
            together: k(kinds.2),
        },
        screenings_by_instrument,
        methods_text: methods::text(&numbers, cx.lang, suppress),
    };
    cx.log(Entry {
        action: "report.fieldwork",
        object_type: "report",
        object_id: None,
        site_id: q.site_id,
        detail: None,
    })
    .await?;
    Ok(report)
}
