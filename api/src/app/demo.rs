//! `fieldnotes demo`: a small study to try the service and the web client
//! with. Two clinics, a team with a peer researcher, a dozen pseudonymous
//! participants at different points of their wave-1 windows, interviews (one
//! today, one postponed twice, one split into two sessions), field notes and
//! the codebook of the source paper's Table 1. It only loads into a database
//! with no sites and no participants, so it never mixes with real data.
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rand::Rng;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::{
    access::password,
    interviews::{lifecycle, rules::PostponeReason, sessions},
    kernel::{
        access::{Principal, Role},
        audit::{Actor, Entry},
        ctx::Ctx,
        error::ApiError,
        hours::Window,
        lang::Lang,
        writer::Writer,
    },
    notes::{Location, NoteIn},
    readiness::rules::instruments::{builtins, CAPACITY_ID, POSS_ID},
    sites::KnownSites,
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

/// The demo team's people, as services see them.
struct Team {
    writer: Writer,
    db: DatabaseConnection,
    wake: Notify,
    public_url: String,
}

impl Team {
    /// A context acting as `p` at `at`.
    fn as_<'a>(&'a self, p: &'a Principal, at: DateTime<Utc>) -> Ctx<'a> {
        Ctx {
            writer: &self.writer,
            read: &self.db,
            p,
            actor: Actor {
                user_id: Some(p.user_id),
                ..Actor::system()
            },
            lang: Lang::En,
            public_url: &self.public_url,
            outbox_wake: &self.wake,
            at: Some(at),
        }
    }
}

fn principal(user: &entity::user::Model, role: Role, site_ids: Vec<Uuid>) -> Principal {
    Principal::person(
        user.id,
        user.email.clone(),
        user.display_name.clone(),
        role,
        user.peer_researcher,
        site_ids,
    )
}

/// A service's refusal, as the demo loader reports it.
fn failed(e: ApiError) -> anyhow::Error {
    anyhow::anyhow!("{}", e.to_problem().detail)
}

/// Loads the demo study through the same services the API uses, step by
/// step at the moments the study's history has them (a postponement a week
/// ago, a consent before a session), so every row, audit entry and message
/// is what real use makes. `password` is the shared password of the demo
/// accounts (generated when `None`); `now` anchors every date, so the study
/// always looks current; links in its mail point at `public_url`.
pub async fn load(
    db: &DatabaseConnection,
    password: Option<String>,
    now: DateTime<Utc>,
    public_url: &str,
) -> anyhow::Result<Loaded> {
    ensure_empty(db).await?;
    let password = password.unwrap_or_else(generate_password);
    if let Err(e) = password::check_strength("FIELDNOTES_DEMO_PASSWORD", &password) {
        anyhow::bail!("{}: {}", e.pointer, e.detail);
    }
    let team_list = [
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
    let team = Team {
        writer: Writer {
            db: db.clone(),
            group: None,
        },
        db: db.clone(),
        wake: Notify::new(),
        public_url: public_url.to_string(),
    };
    let today = now.with_timezone(&TZ).date_naive();
    let day = |offset: i64| today + Duration::days(offset);
    let setup = now - Duration::days(60);

    // The first admin, then the sites through the admin.
    let mut hashes = Vec::new();
    for _ in &team_list {
        hashes.push(
            password::hash(password.clone())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
    }
    let (email, name, role, peer, _) = team_list[0];
    let admin_user = crate::access::users::create(
        db,
        crate::access::users::NewUser {
            email: email.into(),
            display_name: name.into(),
            role,
            peer_researcher: peer,
            site_ids: vec![],
            password_hash: Some(hashes[0].clone()),
            language: Default::default(),
        },
    )
    .await
    .map_err(failed)?;
    let admin = principal(&admin_user, Role::Admin, vec![]);
    let mut site_ids = Vec::new();
    for name in ["Oslo HAT clinic", "Bergen HAT clinic"] {
        let site = crate::sites::create(
            &team.as_(&admin, setup),
            crate::sites::SiteIn {
                name: name.into(),
                timezone: TZ.name().into(),
                opening_hours: HOURS
                    .iter()
                    .map(|(s, e)| Window {
                        start: (*s).into(),
                        end: (*e).into(),
                        days: None,
                    })
                    .collect(),
                closed_days: Vec::new(),
            },
        )
        .await
        .map_err(failed)?;
        site_ids.push(site.id);
    }
    let (oslo, bergen) = (site_ids[0], site_ids[1]);

    // The rest of the team.
    let mut people_of_team = vec![admin];
    let mut accounts = Vec::new();
    for ((email, name, role, peer, about), hash) in team_list.iter().zip(hashes) {
        accounts.push(Account {
            email: (*email).into(),
            name: (*name).into(),
            role: *role,
            about,
        });
        if *role == Role::Admin {
            continue;
        }
        let sites = match *email {
            "demo-fieldworker@example.org" => vec![oslo],
            _ => vec![oslo, bergen],
        };
        let user = crate::access::users::create(
            db,
            crate::access::users::NewUser {
                email: (*email).into(),
                display_name: (*name).into(),
                role: *role,
                peer_researcher: *peer,
                site_ids: sites.clone(),
                password_hash: Some(hash),
                language: Default::default(),
            },
        )
        .await
        .map_err(failed)?;
        people_of_team.push(principal(&user, *role, sites));
    }
    let [_, coordinator, ola, siv] = &people_of_team[..] else {
        anyhow::bail!("the demo team has four people");
    };

    let codes = codebook(&team.as_(coordinator, setup)).await?;

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
        let m = crate::participants::create(
            &team.as_(coordinator, setup),
            serde_json::json!({
                "pseudonym": pseudonym,
                "site_id": site,
                "treatment_started_on": day(-days),
                "age_band": age,
            }),
        )
        .await
        .map_err(failed)?;
        pid.insert(pseudonym, m.id);
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
    let booked = now - Duration::days(10);
    let book = |who: &'static str, when, minutes, location: &'static str, with: Vec<Uuid>| {
        lifecycle::InterviewIn {
            participant_id: pid[who],
            wave: 1,
            scheduled_at: when,
            duration_minutes: minutes,
            interviewer_ids: with,
            location: Some(location.into()),
            note: None,
            allow_outside_opening_hours: false,
        }
    };
    let schedule = |at_: DateTime<Utc>, b: lifecycle::InterviewIn| {
        let cx = team.as_(coordinator, at_);
        async move { lifecycle::create(&cx, b).await.map(|c| c.interview.id) }
    };
    let (ola_id, siv_id) = (ola.user_id, siv.user_id);
    schedule(
        booked,
        book("Heron", today_at, 45, "Room 2", vec![ola_id, siv_id]),
    )
    .await
    .map_err(failed)?;
    schedule(
        booked,
        book("Juniper", at(day(2), 14, 30)?, 40, "Room 2", vec![ola_id]),
    )
    .await
    .map_err(failed)?;
    schedule(
        booked,
        book(
            "Osprey",
            at(day(1), 10, 0)?,
            45,
            "Interview room",
            vec![siv_id],
        ),
    )
    .await
    .map_err(failed)?;
    let mut interviews = 3;

    // Kestrel: postponed twice, first because the screening said not ready,
    // then because Kestrel did not come.
    let first = at(day(-6), 10, 0)?;
    let second = at(day(-3), 14, 30)?;
    let third = at(day(2), 10, 0)?;
    let kestrel = schedule(
        booked,
        book("Kestrel", first, 45, "Room 1", vec![ola_id, siv_id]),
    )
    .await
    .map_err(failed)?;
    interviews += 1;
    screen(
        &team.as_(ola, first - Duration::minutes(4)),
        pid["Kestrel"],
        POSS_ID,
        &[("sedation", "3")],
    )
    .await?;
    lifecycle::postpone(
        &team.as_(ola, first + Duration::minutes(8)),
        kestrel,
        lifecycle::PostponeIn {
            reason: PostponeReason::ParticipantNotReady,
            new_scheduled_at: Some(second),
            note: Some(
                "Drowsy after the morning dose; agreed to try the afternoon later in the week."
                    .into(),
            ),
            allow_outside_opening_hours: false,
        },
    )
    .await
    .map_err(failed)?;
    lifecycle::postpone(
        &team.as_(siv, second + Duration::minutes(40)),
        kestrel,
        lifecycle::PostponeIn {
            reason: PostponeReason::ParticipantAbsent,
            new_scheduled_at: Some(third),
            note: None,
            allow_outside_opening_hours: false,
        },
    )
    .await
    .map_err(failed)?;

    // Linden: consent after a READY screening, then an interview split into
    // two shorter conversations on consecutive days, both recorded.
    let s1 = at(day(-8), 10, 5)?;
    let s2 = at(day(-7), 14, 10)?;
    let linden = schedule(
        s1 - Duration::days(3),
        book(
            "Linden",
            at(day(-8), 10, 0)?,
            60,
            "Interview room",
            vec![siv_id, coordinator.user_id],
        ),
    )
    .await
    .map_err(failed)?;
    interviews += 1;
    screen(
        &team.as_(siv, s1 - Duration::minutes(12)),
        pid["Linden"],
        POSS_ID,
        &[("sedation", "1")],
    )
    .await?;
    let capacity: Vec<(String, &str)> = builtins()
        .into_iter()
        .find(|b| b.id == CAPACITY_ID)
        .map(|b| b.def.items.into_iter().map(|i| (i.key, "2")).collect())
        .unwrap_or_default();
    let capacity: Vec<(&str, &str)> = capacity.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    screen(
        &team.as_(siv, s1 - Duration::minutes(9)),
        pid["Linden"],
        CAPACITY_ID,
        &capacity,
    )
    .await?;
    crate::participants::consents::create(
        &team.as_(siv, s1 - Duration::minutes(7)),
        pid["Linden"],
        crate::participants::consents::ConsentIn {
            form_version: "1.0".into(),
            method: crate::participants::consents::ConsentMethod::Written,
            note: None,
        },
    )
    .await
    .map_err(failed)?;
    for (n, start, minutes, label, note) in [
        (
            1,
            s1,
            22,
            "REC_0107",
            "Stopped after the questions on daily routines; tired.",
        ),
        (
            2,
            s2,
            25,
            "REC_0112",
            "Clinic rules and staff; ended on plans for the summer.",
        ),
    ] {
        if n > 1 {
            // The second conversation's time, agreed after the first: a
            // reschedule, not a postponement.
            lifecycle::patch(
                &team.as_(siv, s1 + Duration::minutes(40)),
                linden,
                crate::kernel::precondition::IfMatch::Absent,
                lifecycle::InterviewPatch {
                    scheduled_at: Some(start - Duration::minutes(10)),
                    duration_minutes: None,
                    interviewer_ids: None,
                    location: None,
                    note: None,
                    allow_outside_opening_hours: false,
                },
            )
            .await
            .map_err(failed)?;
            screen(
                &team.as_(siv, start - Duration::minutes(6)),
                pid["Linden"],
                POSS_ID,
                &[("sedation", "1")],
            )
            .await?;
        }
        sessions::start(&team.as_(siv, start), linden, Default::default())
            .await
            .map_err(failed)?;
        sessions::end(
            &team.as_(siv, start + Duration::minutes(minutes)),
            linden,
            n,
            sessions::EndSessionIn {
                note: Some(note.into()),
                recorded: true,
                recording_label: Some(label.into()),
            },
        )
        .await
        .map_err(failed)?;
    }
    lifecycle::complete(&team.as_(siv, s2 + Duration::minutes(30)), linden)
        .await
        .map_err(failed)?;

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
    let known = KnownSites::default();
    for (author, site, observed, location, body, who, coded) in notes {
        let note = NoteIn {
            id: Uuid::new_v4(),
            site_id: site,
            observed_at: observed,
            location,
            body: body.into(),
            participant_ids: who.iter().map(|p| pid[p]).collect(),
            code_ids: coded.iter().filter_map(|n| c(n)).collect(),
        };
        let checked = crate::notes::validate(db, &known, author, vec![Ok(note)], |_| String::new())
            .await
            .map_err(failed)?;
        let cx = team.as_(author, now);
        let applied = team
            .writer
            .notes(author.user_id, cx.actor.clone(), checked)
            .await
            .map_err(failed)?;
        if let Some(crate::notes::Applied::Rejected(e)) = applied.into_iter().next() {
            return Err(failed(e));
        }
    }

    let cx = team.as_(&people_of_team[0], now);
    cx.log(Entry::new("demo.load", "study", "demo"))
        .await
        .map_err(failed)?;
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

/// A screening entered on the phone, done at the context's time.
async fn screen(
    cx: &Ctx<'_>,
    participant: Uuid,
    instrument: Uuid,
    answers: &[(&str, &str)],
) -> anyhow::Result<()> {
    crate::readiness::screenings::create(
        cx,
        participant,
        crate::readiness::screenings::ScreeningIn {
            instrument_id: instrument,
            performed_at: Some(cx.now()),
            responses: answers
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
            note: None,
        },
    )
    .await
    .map_err(failed)?;
    Ok(())
}

/// A theme of Table 1: its name, its dimension and its two sub-codes.
pub type Theme = (&'static str, &'static str, [&'static str; 2]);

/// The paper's Table 1: each root with its description and its themes.
pub const TABLE_1: [(&str, &str, [Theme; 3]); 2] = [
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

/// The codebook of the paper's Table 1: benefits and challenges, each tied
/// to a dimension of the treatment, with their sub-codes. Returns
/// (name, id) of every code.
async fn codebook(cx: &Ctx<'_>) -> anyhow::Result<Vec<(String, Uuid)>> {
    let table = TABLE_1;
    let mut out = Vec::new();
    let add =
        |name: &str, parent: Option<Uuid>, dimension: Option<&str>, description: Option<&str>| {
            crate::codebook::codes::create(
                cx,
                crate::codebook::codes::CodeIn {
                    name: name.into(),
                    description: description.map(str::to_string),
                    dimension: dimension.map(str::to_string),
                    parent_id: parent,
                },
            )
        };
    for (root, about, themes) in table {
        let root_id = add(root, None, None, Some(about)).await.map_err(failed)?.id;
        out.push((root.to_string(), root_id));
        for (theme, dimension, subs) in themes {
            let theme_id = add(theme, Some(root_id), Some(dimension), None)
                .await
                .map_err(failed)?
                .id;
            out.push((theme.to_string(), theme_id));
            for sub in subs {
                let id = add(sub, Some(theme_id), Some(dimension), None)
                    .await
                    .map_err(failed)?
                    .id;
                out.push((sub.to_string(), id));
            }
        }
    }
    Ok(out)
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
        crate::app::db::migrate(&db).await.expect("migrate");
        let now: DateTime<Utc> = "2026-03-29T01:30:00Z".parse().expect("a time");
        let d = load(
            &db,
            Some("demo-password-123".into()),
            now,
            "http://fieldnotes.test",
        )
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

        let again = load(&db, None, now, "http://fieldnotes.test").await;
        let err = again.err().expect("a second load is refused");
        assert!(err.to_string().contains("empty database"), "{err}");
        drop(db);
        let _ = std::fs::remove_file(&path);
    }
}
