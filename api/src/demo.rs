//! `fieldnotes demo`: a small study to try the service and the web client
//! with. Two clinics, a team with a peer researcher, a dozen pseudonymous
//! participants at different points of their wave-1 windows, interviews (one
//! today, one postponed twice, one split into two sessions), field notes and
//! the codebook of the source paper's Table 1. It only loads into a database
//! with no sites and no participants, so it never mixes with real data.
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::{
    auth::{password, Role},
    domain::{
        instruments::{builtins, CAPACITY_ID, POSS_ID},
        readiness::{Lang, Outcome},
    },
    services::{
        self,
        audit::{self, Actor, Entry},
        notes::{Location, NoteIn, NoteOut},
    },
};

/// The demo clinics' time zone and daily opening hours.
const TZ: Tz = chrono_tz::Europe::Oslo;
const HOURS: [(&str, &str); 2] = [("08:00", "12:00"), ("14:00", "17:00")];

/// One account of the demo team, for the printed list.
pub struct Account {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub about: &'static str,
}

/// What was loaded.
pub struct Loaded {
    pub password: String,
    pub accounts: Vec<Account>,
    pub sites: usize,
    pub participants: usize,
    pub interviews: usize,
    pub notes: usize,
    pub codes: usize,
}

/// A readable random password: four groups of four letters and digits.
fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..4)
        .map(|_| {
            (0..4)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// `hh:mm` on `day` in the clinics' zone, as UTC.
fn at(day: NaiveDate, hh: u32, mm: u32) -> anyhow::Result<DateTime<Utc>> {
    let local = day
        .and_hms_opt(hh, mm, 0)
        .ok_or_else(|| anyhow::anyhow!("no such time {hh}:{mm}"))?;
    TZ.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            TZ.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| anyhow::anyhow!("{local} does not exist in {TZ}"))
}

/// Refuses unless the database has no site and no participant.
async fn ensure_empty(db: &impl ConnectionTrait) -> anyhow::Result<()> {
    let sites = entity::site::Entity::find().count(db).await?;
    let participants = entity::participant::Entity::find().count(db).await?;
    if sites > 0 || participants > 0 {
        anyhow::bail!(
            "this database already has {sites} site(s) and {participants} participant(s); \
             the demo only loads into an empty database. Point FIELDNOTES_DATA_DIR (or \
             FIELDNOTES_DATABASE_URL) at a new one and run `fieldnotes demo` again."
        );
    }
    Ok(())
}

/// Loads the demo study in one transaction. `password` is the shared
/// password of the demo accounts (generated when `None`); `now` anchors every
/// date, so the study always looks current.
pub async fn load(
    db: &DatabaseConnection,
    password: Option<String>,
    now: DateTime<Utc>,
) -> anyhow::Result<Loaded> {
    ensure_empty(db).await?;
    let password = password.unwrap_or_else(generate_password);
    if let Err(e) = password::check_strength("FIELDNOTES_DEMO_PASSWORD", &password) {
        anyhow::bail!("{}: {}", e.pointer, e.detail);
    }
    let team = [
        (
            "demo-admin@example.org",
            "Astrid Berg",
            Role::Admin,
            false,
            "manages the team, sites and instruments",
        ),
        (
            "demo-coordinator@example.org",
            "Kari Lunde",
            Role::Coordinator,
            false,
            "both clinics; schedules interviews, sees who is due",
        ),
        (
            "demo-fieldworker@example.org",
            "Ola Dahl",
            Role::Fieldworker,
            false,
            "Oslo; has an interview today",
        ),
        (
            "demo-peer@example.org",
            "Siv Moen",
            Role::Fieldworker,
            true,
            "peer researcher; Oslo and Bergen",
        ),
    ];
    let mut hashes = Vec::new();
    for _ in &team {
        hashes.push(
            password::hash(password.clone())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
    }

    let txn = db.begin().await?;
    // Checked again inside the transaction: two runs at once load one demo.
    ensure_empty(&txn).await?;
    let today = now.with_timezone(&TZ).date_naive();
    let day = |offset: i64| today + Duration::days(offset);

    // Sites.
    let opening: serde_json::Value = HOURS
        .iter()
        .map(|(s, e)| serde_json::json!({"start": s, "end": e}))
        .collect();
    let mut site_ids = Vec::new();
    for name in ["Oslo HAT clinic", "Bergen HAT clinic"] {
        let site = entity::site::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name.into()),
            timezone: Set(TZ.name().into()),
            opening_hours: Set(opening.clone()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        site_ids.push(site.id);
    }
    let (oslo, bergen) = (site_ids[0], site_ids[1]);

    // The team.
    let mut users = Vec::new();
    let mut accounts = Vec::new();
    for ((email, name, role, peer, about), hash) in team.iter().zip(hashes) {
        let sites = match (role, *email) {
            (Role::Admin, _) => vec![],
            (_, "demo-fieldworker@example.org") => vec![oslo],
            _ => vec![oslo, bergen],
        };
        let user = services::users::create(
            &txn,
            services::users::NewUser {
                email: (*email).into(),
                display_name: (*name).into(),
                role: *role,
                peer_researcher: *peer,
                site_ids: sites,
                password_hash: Some(hash),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        users.push(user.id);
        accounts.push(Account {
            email: (*email).into(),
            name: (*name).into(),
            role: *role,
            about,
        });
    }
    let (admin, coordinator, ola, siv) = (users[0], users[1], users[2], users[3]);

    let codes = codebook(&txn, admin, now).await?;

    // Participants: days since treatment started, so that wave 1 (days 28
    // to 56) is not yet open, open, closing soon or overdue.
    let people: [(&str, Uuid, i64, Option<&str>); 12] = [
        ("Alder", oslo, 12, Some("40-49")),
        ("Birch", oslo, 26, None),
        ("Heron", oslo, 33, Some("30-39")),
        ("Juniper", oslo, 38, None),
        ("Kestrel", oslo, 44, Some("50-59")),
        ("Linden", bergen, 50, Some("40-49")),
        ("Marten", bergen, 30, None),
        ("Osprey", bergen, 53, Some("30-39")),
        ("Rowan", oslo, 41, None),
        ("Sorrel", bergen, 61, Some("20-29")),
        ("Tern", bergen, 19, None),
        ("Willow", oslo, 70, Some("50-59")),
    ];
    let mut pid = std::collections::HashMap::new();
    for (pseudonym, site, days, age) in people {
        let m = entity::participant::ActiveModel {
            id: Set(Uuid::now_v7()),
            site_id: Set(site),
            pseudonym: Set(pseudonym.into()),
            pseudonym_key: Set(pseudonym.to_lowercase()),
            treatment_started_on: Set(day(-days)),
            status: Set("active".into()),
            gender: Set(None),
            age_band: Set(age.map(str::to_string)),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        pid.insert(pseudonym, (m.id, site));
    }

    // Today's interview for Ola (with Siv): the next slot of the day that is
    // still ahead, else the last one.
    let slots = [
        (8, 30),
        (9, 30),
        (10, 30),
        (11, 0),
        (14, 0),
        (15, 0),
        (16, 0),
    ];
    let mut today_at = at(today, 16, 0)?;
    for (hh, mm) in slots {
        let t = at(today, hh, mm)?;
        if t >= now + Duration::minutes(15) {
            today_at = t;
            break;
        }
    }
    let mut interviews = 0;
    let mut book = |who: &'static str, when, minutes, location: &'static str, with: Vec<Uuid>| {
        interviews += 1;
        let (participant, site) = pid[who];
        Booking {
            participant,
            site,
            when,
            minutes,
            location,
            with,
        }
    };
    interview(
        &txn,
        book("Heron", today_at, 45, "Room 2", vec![ola, siv]),
        coordinator,
        now,
    )
    .await?;
    interview(
        &txn,
        book("Juniper", at(day(2), 14, 30)?, 40, "Room 2", vec![ola]),
        coordinator,
        now,
    )
    .await?;
    interview(
        &txn,
        book(
            "Osprey",
            at(day(1), 10, 0)?,
            45,
            "Interview room",
            vec![siv],
        ),
        coordinator,
        now,
    )
    .await?;

    // Kestrel: postponed twice, first because the screening said not ready,
    // then because Kestrel did not come.
    let first = at(day(-6), 10, 0)?;
    let second = at(day(-3), 14, 30)?;
    let third = at(day(2), 10, 0)?;
    let kestrel = interview(
        &txn,
        book("Kestrel", third, 45, "Room 1", vec![ola, siv]),
        coordinator,
        now,
    )
    .await?;
    screening(
        &txn,
        pid["Kestrel"],
        POSS_ID,
        &[("sedation", "3")],
        first - Duration::minutes(5),
        ola,
    )
    .await?;
    postponement(
        &txn,
        kestrel,
        "participant_not_ready",
        &["poss_drowsy"],
        (first, Some(second)),
        Some("Drowsy after the morning dose; agreed to try the afternoon later in the week."),
        ola,
        first + Duration::minutes(8),
    )
    .await?;
    postponement(
        &txn,
        kestrel,
        "participant_absent",
        &[],
        (second, Some(third)),
        None,
        siv,
        second + Duration::minutes(40),
    )
    .await?;
    entity::interview::ActiveModel {
        id: Set(kestrel),
        first_scheduled_at: Set(first),
        sequence: Set(2),
        ..Default::default()
    }
    .update(&txn)
    .await?;

    // Linden: consent after a READY screening, then an interview split into
    // two shorter conversations on consecutive days, both recorded.
    let s1 = at(day(-8), 10, 5)?;
    let s2 = at(day(-7), 14, 10)?;
    let linden = interview(
        &txn,
        book(
            "Linden",
            at(day(-8), 10, 0)?,
            60,
            "Interview room",
            vec![siv, coordinator],
        ),
        coordinator,
        now,
    )
    .await?;
    let poss1 = screening(
        &txn,
        pid["Linden"],
        POSS_ID,
        &[("sedation", "1")],
        s1 - Duration::minutes(12),
        siv,
    )
    .await?;
    let capacity: Vec<(String, &str)> = builtins()
        .into_iter()
        .find(|b| b.id == CAPACITY_ID)
        .map(|b| b.def.items.into_iter().map(|i| (i.key, "2")).collect())
        .unwrap_or_default();
    let capacity: Vec<(&str, &str)> = capacity.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let cap1 = screening(
        &txn,
        pid["Linden"],
        CAPACITY_ID,
        &capacity,
        s1 - Duration::minutes(9),
        siv,
    )
    .await?;
    entity::consent::ActiveModel {
        id: Set(Uuid::now_v7()),
        participant_id: Set(pid["Linden"].0),
        site_id: Set(bergen),
        form_version: Set("1.0".into()),
        method: Set("written".into()),
        note: Set(None),
        obtained_by: Set(Some(siv)),
        obtained_at: Set(s1 - Duration::minutes(7)),
        screening_ids: Set(serde_json::json!([poss1, cap1])),
        withdrawn_at: Set(None),
        withdrawn_by: Set(None),
        withdraw_reason: Set(None),
        data_decision: Set(None),
    }
    .insert(&txn)
    .await?;
    let poss2 = screening(
        &txn,
        pid["Linden"],
        POSS_ID,
        &[("sedation", "1")],
        s2 - Duration::minutes(6),
        siv,
    )
    .await?;
    for (n, start, minutes, screened, label, note) in [
        (
            1,
            s1,
            22,
            poss1,
            "REC_0107",
            "Stopped after the questions on daily routines; tired.",
        ),
        (
            2,
            s2,
            25,
            poss2,
            "REC_0112",
            "Clinic rules and staff; ended on plans for the summer.",
        ),
    ] {
        entity::interview_session::ActiveModel {
            id: Set(Uuid::now_v7()),
            interview_id: Set(linden),
            n: Set(n),
            started_at: Set(start),
            ended_at: Set(Some(start + Duration::minutes(minutes))),
            started_by: Set(Some(siv)),
            screening_ids: Set(serde_json::json!([screened])),
            note: Set(Some(note.into())),
            recorded: Set(true),
            recording_label: Set(Some(label.into())),
        }
        .insert(&txn)
        .await?;
    }
    entity::interview::ActiveModel {
        id: Set(linden),
        status: Set("completed".into()),
        completed_at: Set(Some(s2 + Duration::minutes(30))),
        sequence: Set(1),
        ..Default::default()
    }
    .update(&txn)
    .await?;

    // Field notes, written by Ola and Siv over the last days.
    let c = |name: &str| codes.iter().find(|(n, _)| n == name).map(|(_, id)| *id);
    let notes = [
        (ola, oslo, at(day(-2), 8, 40)?, Location::WaitingRoom, "Queue outside before opening; two patients talk about the new take-home rules. Calm mood, some joking with staff at the door.", vec!["Heron"], vec!["Unfounded rules", "Respectful engagements"]),
        (ola, oslo, at(day(-2), 10, 15)?, Location::ObservationRoom, "Heron says the morning dose means \"I don't have to hustle any more\"; talks about paying off a debt.", vec!["Heron"], vec!["Reduced stress and financial pressure"]),
        (siv, oslo, at(day(-1), 14, 20)?, Location::Outside, "Smoking area: Kestrel says waiting between doses is the hardest part of the day, nothing to do.", vec!["Kestrel"], vec!["Too much downtime"]),
        (siv, bergen, at(day(-1), 15, 5)?, Location::InjectionRoom, "Nurse explains a rule change to a patient patiently; the patient still thinks it makes no sense.", vec![], vec!["Unfounded rules", "Negative influence on relation with clinicians"]),
        (ola, oslo, at(day(0), 8, 10)?.min(now - Duration::minutes(30)), Location::ScreeningRoom, "Short chat with Juniper before screening: asks whether the project will still run next year.", vec!["Juniper"], vec!["Uncertainties about project's future"]),
        (siv, bergen, at(day(-4), 9, 30)?, Location::WaitingRoom, "Social worker drops by the waiting room; two patients ask for help with housing forms.", vec!["Osprey"], vec!["Opportunities for psychosocial assistance"]),
    ];
    let count_notes = notes.len();
    for (author, site, observed, location, body, who, coded) in notes {
        let note = NoteIn {
            id: Uuid::new_v4(),
            site_id: site,
            observed_at: observed,
            location,
            body: body.into(),
            participant_ids: who.iter().map(|p| pid[p].0).collect(),
            code_ids: coded.iter().filter_map(|n| c(n)).collect(),
        };
        write_note(&txn, author, note, now).await?;
    }

    audit::record(
        &txn,
        &Actor::system(),
        Entry::new("demo.load", "study", "demo"),
    )
    .await?;
    txn.commit().await?;
    Ok(Loaded {
        password,
        accounts,
        sites: site_ids.len(),
        participants: people.len(),
        interviews,
        notes: count_notes,
        codes: codes.len(),
    })
}

/// The codebook of the paper's Table 1: benefits and challenges, each tied
/// to a dimension of the treatment, with their sub-codes. Returns
/// (name, id) of every code.
async fn codebook(
    txn: &DatabaseTransaction,
    by: Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<(String, Uuid)>> {
    type Theme = (&'static str, &'static str, [&'static str; 2]);
    let table: [(&str, &str, [Theme; 3]); 2] = [
        (
            "Benefits",
            "Experienced benefits of being in heroin-assisted treatment.",
            [
                (
                    "Access to medical heroin",
                    "medical",
                    [
                        "Reduced stress and financial pressure",
                        "New routines and hope",
                    ],
                ),
                (
                    "Patient–clinician relations",
                    "relational",
                    ["Respectful engagements", "Being heard"],
                ),
                (
                    "Supporting environment",
                    "configurational",
                    [
                        "Opportunities for psychosocial assistance",
                        "Safer usage setting",
                    ],
                ),
            ],
        ),
        (
            "Challenges",
            "Experienced challenges of being in heroin-assisted treatment.",
            [
                (
                    "Treatment scheme",
                    "configurational",
                    ["Lack of medications", "Too intense"],
                ),
                (
                    "Clinic rules",
                    "configurational",
                    [
                        "Unfounded rules",
                        "Negative influence on relation with clinicians",
                    ],
                ),
                (
                    "Downtime and uncertainties",
                    "configurational and relational",
                    ["Too much downtime", "Uncertainties about project's future"],
                ),
            ],
        ),
    ];
    let mut out = Vec::new();
    let mut rows = Vec::new();
    let mut add =
        |name: &str, parent: Option<Uuid>, dimension: Option<&str>, description: Option<&str>| {
            let id = Uuid::now_v7();
            out.push((name.to_string(), id));
            rows.push(entity::code::ActiveModel {
                id: Set(id),
                parent_id: Set(parent),
                name: Set(name.into()),
                description: Set(description.map(str::to_string)),
                dimension: Set(dimension.map(str::to_string)),
                created_by: Set(Some(by)),
                created_at: Set(now),
                updated_at: Set(now),
            });
            id
        };
    for (root, about, themes) in table {
        let root_id = add(root, None, None, Some(about));
        for (theme, dimension, subs) in themes {
            let theme_id = add(theme, Some(root_id), Some(dimension), None);
            for sub in subs {
                add(sub, Some(theme_id), Some(dimension), None);
            }
        }
    }
    for r in rows {
        r.insert(txn).await?;
    }
    Ok(out)
}

struct Booking {
    participant: Uuid,
    site: Uuid,
    when: DateTime<Utc>,
    minutes: i64,
    location: &'static str,
    with: Vec<Uuid>,
}

async fn interview(
    txn: &DatabaseTransaction,
    b: Booking,
    by: Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<Uuid> {
    let id = Uuid::now_v7();
    entity::interview::ActiveModel {
        id: Set(id),
        participant_id: Set(b.participant),
        site_id: Set(b.site),
        wave: Set(1),
        scheduled_at: Set(b.when),
        ends_at: Set(b.when + Duration::minutes(b.minutes)),
        duration_minutes: Set(i32::try_from(b.minutes)?),
        location: Set(Some(b.location.into())),
        note: Set(None),
        status: Set("scheduled".into()),
        first_scheduled_at: Set(b.when),
        sequence: Set(0),
        cancel_reason: Set(None),
        completed_at: Set(None),
        created_by: Set(Some(by)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    for user in b.with {
        entity::interview_interviewer::ActiveModel {
            interview_id: Set(id),
            user_id: Set(user),
        }
        .insert(txn)
        .await?;
    }
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
async fn postponement(
    txn: &DatabaseTransaction,
    interview: Uuid,
    reason: &str,
    readiness_reasons: &[&str],
    (from, to): (DateTime<Utc>, Option<DateTime<Utc>>),
    note: Option<&str>,
    by: Uuid,
    when: DateTime<Utc>,
) -> anyhow::Result<()> {
    entity::postponement::ActiveModel {
        id: Set(Uuid::now_v7()),
        interview_id: Set(interview),
        reason: Set(reason.into()),
        readiness_reasons: Set(serde_json::json!(readiness_reasons)),
        previous_scheduled_at: Set(from),
        new_scheduled_at: Set(to),
        note: Set(note.map(str::to_string)),
        created_by: Set(Some(by)),
        created_at: Set(when),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// A screening scored by the built-in instrument's own rules.
async fn screening(
    txn: &DatabaseTransaction,
    (participant, site): (Uuid, Uuid),
    instrument: Uuid,
    answers: &[(&str, &str)],
    when: DateTime<Utc>,
    by: Uuid,
) -> anyhow::Result<Uuid> {
    let def = builtins()
        .into_iter()
        .find(|b| b.id == instrument)
        .map(|b| b.def)
        .ok_or_else(|| anyhow::anyhow!("no built-in instrument {instrument}"))?;
    let responses: serde_json::Map<String, serde_json::Value> = answers
        .iter()
        .map(|(k, v)| ((*k).to_string(), serde_json::Value::from(*v)))
        .collect();
    let responses = serde_json::Value::Object(responses);
    let scored = services::readiness::rescore(&def, Lang::En, &responses);
    let id = Uuid::now_v7();
    entity::screening::ActiveModel {
        id: Set(id),
        participant_id: Set(participant),
        site_id: Set(site),
        instrument_id: Set(instrument),
        instrument_key: Set(def.key.clone()),
        performed_at: Set(when),
        performed_by: Set(Some(by)),
        responses: Set(responses),
        total: Set(scored.total),
        outcome: Set(match scored.outcome {
            Outcome::Ready => "ready",
            Outcome::Postpone => "postpone",
            Outcome::Stop => "stop",
        }
        .into()),
        reasons: Set(serde_json::json!(scored
            .reasons
            .iter()
            .map(|r| &r.code)
            .collect::<Vec<_>>())),
        note: Set(None),
        created_at: Set(when),
    }
    .insert(txn)
    .await?;
    Ok(id)
}

/// A note as the API would store it: its creation hash, links and first
/// version (the search index follows by trigger or generated column).
async fn write_note(
    txn: &DatabaseTransaction,
    author: Uuid,
    n: NoteIn,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let pids = services::notes::normalise(&n.participant_ids);
    let cids = services::notes::normalise(&n.code_ids);
    let m = entity::note::ActiveModel {
        id: Set(n.id),
        site_id: Set(n.site_id),
        author_id: Set(author),
        observed_at: Set(n.observed_at),
        location: Set(n.location.as_str().into()),
        body: Set(n.body.clone()),
        create_hash: Set(services::notes::content_hash(&n)),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        deleted_by: Set(None),
    }
    .insert(txn)
    .await?;
    for p in &pids {
        entity::note_participant::ActiveModel {
            note_id: Set(m.id),
            participant_id: Set(*p),
        }
        .insert(txn)
        .await?;
    }
    for c in &cids {
        entity::note_code::ActiveModel {
            note_id: Set(m.id),
            code_id: Set(*c),
        }
        .insert(txn)
        .await?;
    }
    let out = NoteOut::from_parts(m, pids, cids);
    services::notes::record_version(txn, &out, "create", author)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use sea_orm::{ColumnTrait, QueryFilter};

    use super::*;

    #[test]
    fn generated_passwords_pass_the_policy() {
        for _ in 0..20 {
            let p = generate_password();
            assert_eq!(p.len(), 19);
            assert!(password::check_strength("p", &p).is_ok(), "{p}");
        }
    }

    /// On the night the clocks go forward, too: 02:00-03:00 does not exist
    /// in Oslo on 2026-03-29.
    #[tokio::test]
    async fn loads_once_into_an_empty_database() {
        let path = std::env::temp_dir().join(format!("fieldnotes-demo-{}.db", Uuid::new_v4()));
        let db = sea_orm::Database::connect(format!("sqlite://{}?mode=rwc", path.display()))
            .await
            .expect("open a scratch database");
        crate::db::migrate(&db).await.expect("migrate");
        let now: DateTime<Utc> = "2026-03-29T01:30:00Z".parse().expect("a time");
        let d = load(&db, Some("demo-password-123".into()), now)
            .await
            .expect("the demo loads");
        assert_eq!(d.password, "demo-password-123");
        assert_eq!(
            (d.sites, d.accounts.len(), d.participants, d.codes),
            (2, 4, 12, 20)
        );
        let peers = entity::user::Entity::find()
            .filter(entity::user::Column::PeerResearcher.eq(true))
            .count(&db)
            .await
            .expect("count");
        assert_eq!(peers, 1);
        assert_eq!(
            entity::postponement::Entity::find()
                .count(&db)
                .await
                .expect("count"),
            2
        );
        assert_eq!(
            entity::interview_session::Entity::find()
                .count(&db)
                .await
                .expect("count"),
            2
        );
        let today = now.with_timezone(&TZ).date_naive();
        let todays = entity::interview::Entity::find()
            .all(&db)
            .await
            .expect("interviews")
            .into_iter()
            .filter(|i| i.scheduled_at.with_timezone(&TZ).date_naive() == today)
            .count();
        assert_eq!(todays, 1, "one interview today");
        assert_eq!(
            entity::note::Entity::find()
                .count(&db)
                .await
                .expect("count"),
            d.notes as u64
        );

        let again = load(&db, None, now).await;
        let err = again.err().expect("a second load is refused");
        assert!(err.to_string().contains("empty database"), "{err}");
        drop(db);
        let _ = std::fs::remove_file(&path);
    }
}
