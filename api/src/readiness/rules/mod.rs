//! Readiness to consent or to run an interview session, from screenings.
//!
//! Pure rules, no database or web: the service loads the latest screenings
//! and the study's policy and asks [`decide`]. The most restrictive outcome
//! wins (STOP > POSTPONE > READY); a missing answer is never counted as 0.
pub mod instruments;

use std::collections::BTreeMap;

use crate::kernel::lang::Lang;
use chrono::{DateTime, Duration, Utc};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ready,
    Postpone,
    Stop,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Reason {
    pub code: String,
    pub message: String,
    pub outcome: Outcome,
}

impl Reason {
    pub fn new(outcome: Outcome, code: &str, message: impl Into<String>) -> Self {
        Reason {
            code: code.into(),
            message: message.into(),
            outcome,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Level {
    pub key: String,
    /// `None` marks "not assessed": it answers nothing.
    pub score: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub key: String,
    pub required: bool,
    pub levels: Vec<Level>,
}

/// Maps a total in `min..=max` to an outcome, with the reason people read.
#[derive(Debug, Clone)]
pub struct Rule {
    pub min: i32,
    pub max: i32,
    pub outcome: Outcome,
    pub reason_code: String,
    pub message: String,
}

/// A screening instrument. Its total is the sum of its answered items' scores;
/// a single-item scale (POSS, RASS) is an instrument with one item.
#[derive(Debug, Clone)]
pub struct Instrument {
    pub key: String,
    pub name: String,
    pub items: Vec<Item>,
    pub rules: Vec<Rule>,
    pub validity_minutes: i64,
    /// Language of `name`, rule messages and the engine's own messages.
    pub lang: Lang,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    pub total: Option<i32>,
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
}

/// Scores one screening. Unanswered or "not assessed" required items make it
/// incomplete (POSTPONE, `screening_incomplete`) and it gets no total.
pub fn score(instrument: &Instrument, responses: &BTreeMap<String, String>) -> Scored {
    let mut total = 0;
    let mut missing = Vec::new();
    for item in &instrument.items {
        let score = responses
            .get(&item.key)
            .and_then(|answer| item.levels.iter().find(|l| &l.key == answer))
            .and_then(|l| l.score);
        match score {
            Some(s) => total += s,
            None if item.required => missing.push(item.key.clone()),
            None => {}
        }
    }
    if !missing.is_empty() {
        return Scored {
            total: None,
            outcome: Outcome::Postpone,
            reasons: vec![Reason::new(
                Outcome::Postpone,
                "screening_incomplete",
                instrument.lang.pick(
                    format!(
                        "{}: not every required item was answered ({}). Finish the screening before going on.",
                        instrument.name,
                        missing.join(", ")
                    ),
                    format!(
                        "{}: ikke alle obligatoriske spørsmål er besvart ({}). Fullfør screeningen før du går videre.",
                        instrument.name,
                        missing.join(", ")
                    ),
                ),
            )],
        };
    }
    let mut reasons: Vec<Reason> = instrument
        .rules
        .iter()
        .filter(|r| (r.min..=r.max).contains(&total) && r.outcome != Outcome::Ready)
        .map(|r| Reason::new(r.outcome, &r.reason_code, r.message.clone()))
        .collect();
    let matched = instrument
        .rules
        .iter()
        .any(|r| (r.min..=r.max).contains(&total));
    if !matched {
        // A total no rule covers is not a pass.
        reasons.push(Reason::new(
            Outcome::Postpone,
            "screening_unrecognised",
            instrument.lang.pick(
                format!(
                    "{}: a total of {total} is not covered by the instrument's rules.",
                    instrument.name
                ),
                format!(
                    "{}: summen {total} dekkes ikke av instrumentets regler.",
                    instrument.name
                ),
            ),
        ));
    }
    let outcome = reasons
        .iter()
        .map(|r| r.outcome)
        .max()
        .unwrap_or(Outcome::Ready);
    Scored {
        total: Some(total),
        outcome,
        reasons,
    }
}

/// A screening as stored: when, with which instrument, and how it scored.
#[derive(Debug, Clone)]
pub struct Screening {
    /// The caller's id for the screening, echoed in [`Decision::screening_ids`].
    pub id: String,
    pub instrument_key: String,
    pub performed_at: DateTime<Utc>,
    pub scored: Scored,
}

/// What a study requires before consent or a session.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Intoxication/sedation instruments, all required.
    pub required: Vec<Instrument>,
    /// A capacity check that only counts after the others passed.
    pub capacity: Option<Instrument>,
    /// A POSTPONE within this many minutes is not erased by a passing re-screen.
    pub no_screen_shopping_minutes: i64,
    /// Screenings at or before this time do not count: the previous session
    /// of the interview ended then, and a new session needs a new screening.
    pub fresh_after: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
    pub valid_until: Option<DateTime<Utc>>,
    /// When not ready because of a recent POSTPONE or STOP: the moment from
    /// which a passing screening can count again (the no-screen-shopping
    /// window has passed). A screening before then cannot make the
    /// participant ready.
    pub screen_again_at: Option<DateTime<Utc>>,
    /// The screenings the decision rests on (the latest valid one of each
    /// instrument), in policy order.
    pub screening_ids: Vec<String>,
}

fn minutes_ago(now: DateTime<Utc>, then: DateTime<Utc>) -> i64 {
    (now - then).num_minutes()
}

/// What the checks of a decision gather.
#[derive(Default)]
struct Acc {
    reasons: Vec<Reason>,
    valid_until: Option<DateTime<Utc>>,
    screen_again_at: Option<DateTime<Utc>>,
    used: Vec<String>,
}

fn check(
    now: DateTime<Utc>,
    instrument: &Instrument,
    history: &[Screening],
    shopping: i64,
    fresh_after: Option<DateTime<Utc>>,
    acc: &mut Acc,
    missing_code: &str,
) {
    // A POSTPONE or STOP within the window keeps any passing screening from
    // counting until the window has passed.
    let blocked = history
        .iter()
        .filter(|s| s.instrument_key == instrument.key && s.performed_at <= now)
        .filter(|s| s.scored.outcome > Outcome::Ready)
        .map(|s| s.performed_at + Duration::minutes(shopping))
        .filter(|t| *t > now)
        .max();
    if let Some(b) = blocked {
        acc.screen_again_at = Some(acc.screen_again_at.map_or(b, |a| a.max(b)));
    }
    let Acc {
        reasons,
        valid_until,
        used,
        ..
    } = acc;
    let mut own: Vec<&Screening> = history
        .iter()
        .filter(|s| s.instrument_key == instrument.key && s.performed_at <= now)
        .collect();
    // Of screenings done at the same moment, the most restrictive counts as
    // the latest: a tie never turns a POSTPONE into READY.
    own.sort_by_key(|s| (s.performed_at, s.scored.outcome));
    let Some(latest) = own.last() else {
        reasons.push(Reason::new(
            Outcome::Postpone,
            missing_code,
            instrument.lang.pick(
                format!(
                    "No {} screening yet. Screen the participant first.",
                    instrument.name
                ),
                format!(
                    "Ingen {}-screening ennå. Screen deltakeren først.",
                    instrument.name
                ),
            ),
        ));
        return;
    };
    if fresh_after.is_some_and(|t| latest.performed_at <= t) {
        reasons.push(Reason::new(
            Outcome::Postpone,
            "rescreen_between_sessions",
            instrument.lang.pick(
                format!(
                    "The last {} screening was before the previous session of this interview ended. The study asks for a new screening before every session: screen again.",
                    instrument.name
                ),
                format!(
                    "Siste {}-screening var før forrige økt av dette intervjuet sluttet. Studien krever ny screening før hver økt: screen på nytt.",
                    instrument.name
                ),
            ),
        ));
        return;
    }
    let expires = latest.performed_at + Duration::minutes(instrument.validity_minutes);
    if expires <= now {
        reasons.push(Reason::new(
            Outcome::Postpone,
            "screening_stale",
            instrument.lang.pick(
                format!(
                    "Screened with {} {} minutes ago; screenings are valid for {} minutes. Screen again.",
                    instrument.name,
                    minutes_ago(now, latest.performed_at),
                    instrument.validity_minutes
                ),
                format!(
                    "Screenet med {} for {} minutter siden; screeninger gjelder i {} minutter. Screen på nytt.",
                    instrument.name,
                    minutes_ago(now, latest.performed_at),
                    instrument.validity_minutes
                ),
            ),
        ));
        return;
    }
    *valid_until = Some(valid_until.map_or(expires, |v| v.min(expires)));
    used.push(latest.id.clone());
    reasons.extend(
        latest
            .scored
            .reasons
            .iter()
            .filter(|r| r.outcome != Outcome::Ready)
            .cloned(),
    );
    if latest.scored.outcome == Outcome::Ready {
        let window = now - Duration::minutes(shopping);
        if let Some(recent) = own
            .iter()
            .rev()
            .skip(1)
            .find(|s| s.performed_at > window && s.scored.outcome > Outcome::Ready)
        {
            let wait = ((recent.performed_at + Duration::minutes(shopping)) - now)
                .num_minutes()
                .max(1);
            let stop = recent.scored.outcome == Outcome::Stop;
            reasons.push(Reason::new(
                recent.scored.outcome,
                "recent_postpone",
                instrument.lang.pick(
                    format!(
                        "{} said {} {} minutes ago, and a passing screening right after does not undo that. Screen again in {wait} minutes.",
                        instrument.name,
                        if stop { "stop" } else { "postpone" },
                        minutes_ago(now, recent.performed_at),
                    ),
                    format!(
                        "{} ga {} for {} minutter siden, og en godkjent screening rett etterpå opphever ikke det. Screen på nytt om {wait} minutter.",
                        instrument.name,
                        if stop { "stopp" } else { "utsett" },
                        minutes_ago(now, recent.performed_at),
                    ),
                ),
            ));
        }
    }
}

/// The readiness decision at `now` from every screening of the participant.
pub fn decide(now: DateTime<Utc>, policy: &Policy, history: &[Screening]) -> Decision {
    let mut acc = Acc::default();
    for instrument in &policy.required {
        check(
            now,
            instrument,
            history,
            policy.no_screen_shopping_minutes,
            policy.fresh_after,
            &mut acc,
            "screening_missing",
        );
    }
    if let Some(capacity) = &policy.capacity {
        if acc.reasons.is_empty() {
            // Only a capacity check done after the intoxication screens passed counts.
            let passed_at = history
                .iter()
                .filter(|s| policy.required.iter().any(|i| i.key == s.instrument_key))
                .map(|s| s.performed_at)
                .max();
            let after: Vec<Screening> = history
                .iter()
                .filter(|s| {
                    s.instrument_key == capacity.key
                        && passed_at.is_none_or(|p| s.performed_at >= p)
                })
                .cloned()
                .collect();
            check(
                now,
                capacity,
                &after,
                policy.no_screen_shopping_minutes,
                policy.fresh_after,
                &mut acc,
                "capacity_not_assessed",
            );
        }
    }
    let Acc {
        reasons,
        valid_until,
        screen_again_at,
        used,
    } = acc;
    let outcome = reasons
        .iter()
        .map(|r| r.outcome)
        .max()
        .unwrap_or(Outcome::Ready);
    Decision {
        outcome,
        valid_until: if outcome == Outcome::Ready {
            valid_until
        } else {
            None
        },
        screen_again_at: if outcome == Outcome::Ready {
            None
        } else {
            screen_again_at
        },
        reasons,
        screening_ids: used,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// POSS as a single-item instrument: S, 1 ready? Only 1 is plainly ready.
    fn poss() -> Instrument {
        let lv = |k: &str, s: i32| Level {
            key: k.into(),
            score: Some(s),
        };
        Instrument {
            key: "poss".into(),
            name: "POSS".into(),
            items: vec![Item {
                key: "sedation".into(),
                required: true,
                levels: vec![
                    lv("S", 0),
                    lv("1", 1),
                    lv("2", 2),
                    lv("3", 3),
                    lv("4", 4),
                    Level {
                        key: "not_assessed".into(),
                        score: None,
                    },
                ],
            }],
            rules: vec![
                Rule {
                    min: 0,
                    max: 0,
                    outcome: Outcome::Postpone,
                    reason_code: "poss_sleeping".into(),
                    message: "Asleep.".into(),
                },
                Rule {
                    min: 1,
                    max: 1,
                    outcome: Outcome::Ready,
                    reason_code: "poss_alert".into(),
                    message: "Awake and alert.".into(),
                },
                Rule {
                    min: 2,
                    max: 3,
                    outcome: Outcome::Postpone,
                    reason_code: "poss_drowsy".into(),
                    message: "Drowsy.".into(),
                },
                Rule {
                    min: 4,
                    max: 4,
                    outcome: Outcome::Stop,
                    reason_code: "poss_somnolent".into(),
                    message: "Somnolent.".into(),
                },
            ],
            validity_minutes: 30,
            lang: Lang::En,
        }
    }

    fn screen(at: DateTime<Utc>, level: &str) -> Screening {
        let mut r = BTreeMap::new();
        r.insert("sedation".to_string(), level.to_string());
        Screening {
            id: format!("{at}-{level}"),
            instrument_key: "poss".into(),
            performed_at: at,
            scored: score(&poss(), &r),
        }
    }

    fn policy() -> Policy {
        Policy {
            required: vec![poss()],
            capacity: None,
            no_screen_shopping_minutes: 60,
            fresh_after: None,
        }
    }

    fn codes(d: &Decision) -> Vec<&str> {
        d.reasons.iter().map(|r| r.code.as_str()).collect()
    }

    #[test]
    fn a_new_session_needs_a_screening_taken_after_the_previous_one_ended() {
        let now = Utc::now();
        let screened = now - Duration::minutes(20);
        let ended = now - Duration::minutes(5);
        let between = Policy {
            fresh_after: Some(ended),
            ..policy()
        };
        let d = decide(now, &between, &[screen(screened, "1")]);
        assert_eq!(
            (d.outcome, codes(&d)),
            (Outcome::Postpone, vec!["rescreen_between_sessions"])
        );
        assert!(
            d.reasons[0].message.contains("before every session"),
            "{:?}",
            d.reasons
        );
        // Valid by its own window, but from before the session ended.
        assert_eq!(
            decide(now, &policy(), &[screen(screened, "1")]).outcome,
            Outcome::Ready
        );
        // A screening since counts; one at the very moment it ended does not.
        let d = decide(
            now,
            &between,
            &[
                screen(screened, "1"),
                screen(now - Duration::minutes(1), "1"),
            ],
        );
        assert_eq!(d.outcome, Outcome::Ready);
        let d = decide(now, &between, &[screen(ended, "1")]);
        assert_eq!(codes(&d), vec!["rescreen_between_sessions"]);
    }

    #[test]
    fn of_two_screenings_at_one_moment_the_worse_counts() {
        let now = Utc::now();
        let at = now - Duration::minutes(23);
        for history in [
            vec![screen(at, "2"), screen(at, "1")],
            vec![screen(at, "1"), screen(at, "2")],
        ] {
            let d = decide(now, &policy(), &history);
            assert_eq!(d.outcome, Outcome::Postpone, "{history:?}");
        }
    }

    #[test]
    fn the_reasons_table() {
        let now = Utc::now();
        let d = decide(now, &policy(), &[]);
        assert_eq!(
            (d.outcome, codes(&d)),
            (Outcome::Postpone, vec!["screening_missing"])
        );
        let d = decide(now, &policy(), &[screen(now - Duration::minutes(42), "1")]);
        assert_eq!(codes(&d), vec!["screening_stale"]);
        assert!(d.reasons[0].message.contains("42 minutes ago"));
        let d = decide(
            now,
            &policy(),
            &[screen(now - Duration::minutes(5), "not_assessed")],
        );
        assert_eq!(codes(&d), vec!["screening_incomplete"]);
        let d = decide(now, &policy(), &[screen(now - Duration::minutes(5), "4")]);
        assert_eq!(
            (d.outcome, codes(&d)),
            (Outcome::Stop, vec!["poss_somnolent"])
        );
        let d = decide(now, &policy(), &[screen(now - Duration::minutes(5), "1")]);
        assert_eq!(d.outcome, Outcome::Ready);
        assert_eq!(
            d.valid_until,
            Some(now - Duration::minutes(5) + Duration::minutes(30))
        );
        let d = decide(
            now,
            &policy(),
            &[
                screen(now - Duration::minutes(20), "3"),
                screen(now - Duration::minutes(2), "1"),
            ],
        );
        assert_eq!(
            (d.outcome, codes(&d)),
            (Outcome::Postpone, vec!["recent_postpone"])
        );
        // A passing screening counts again 60 minutes after the POSTPONE.
        assert_eq!(
            d.screen_again_at,
            Some(now - Duration::minutes(20) + Duration::minutes(60))
        );
        let d = decide(now, &policy(), &[screen(now - Duration::minutes(5), "3")]);
        assert_eq!(d.screen_again_at, Some(now + Duration::minutes(55)));
        // Outside the window there is nothing to wait for.
        let d = decide(now, &policy(), &[screen(now - Duration::minutes(61), "3")]);
        assert_eq!((d.outcome, d.screen_again_at), (Outcome::Postpone, None));
        let d = decide(now, &policy(), &[screen(now - Duration::minutes(5), "1")]);
        assert_eq!(d.screen_again_at, None);
    }

    #[test]
    fn a_missing_item_is_never_zero() {
        let s = score(&poss(), &BTreeMap::new());
        assert_eq!(s.total, None);
        assert_eq!(s.outcome, Outcome::Postpone);
    }

    #[test]
    fn adding_a_worse_screening_never_makes_ready() {
        let now = Utc::now();
        let levels = ["S", "1", "2", "3", "4", "not_assessed"];
        for a in levels {
            for b in levels {
                for gap in [1i64, 10, 25] {
                    let first = screen(now - Duration::minutes(gap + 1), a);
                    let second = screen(now - Duration::minutes(1), b);
                    let before = decide(now, &policy(), std::slice::from_ref(&first));
                    let after = decide(now, &policy(), &[first.clone(), second.clone()]);
                    if second.scored.outcome >= first.scored.outcome
                        && before.outcome > Outcome::Ready
                    {
                        assert!(after.outcome > Outcome::Ready, "{a} then {b}: {after:?}");
                    }
                    assert!(
                        after.outcome
                            >= after
                                .reasons
                                .iter()
                                .map(|r| r.outcome)
                                .max()
                                .unwrap_or(Outcome::Ready)
                    );
                }
            }
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        const LEVELS: [&str; 6] = ["S", "1", "2", "3", "4", "not_assessed"];

        fn history() -> impl Strategy<Value = Vec<(usize, i64)>> {
            prop::collection::vec((0..LEVELS.len(), 0i64..120), 0..6)
        }

        fn build(now: DateTime<Utc>, h: &[(usize, i64)]) -> Vec<Screening> {
            h.iter()
                .map(|(l, ago)| screen(now - Duration::minutes(*ago), LEVELS[*l]))
                .collect()
        }

        fn policy_with(shopping: i64) -> Policy {
            Policy {
                no_screen_shopping_minutes: shopping,
                ..policy()
            }
        }

        proptest! {
            #[test]
            fn a_worse_screening_never_turns_not_ready_into_ready(
                h in history(),
                extra in (0..LEVELS.len(), 0i64..120),
                shopping in 0i64..120,
            ) {
                let now = Utc::now();
                let before = build(now, &h);
                let added = screen(now - Duration::minutes(extra.1), LEVELS[extra.0]);
                prop_assume!(added.scored.outcome > Outcome::Ready);
                let d0 = decide(now, &policy_with(shopping), &before);
                let mut after = before.clone();
                after.push(added);
                let d1 = decide(now, &policy_with(shopping), &after);
                if d0.outcome > Outcome::Ready {
                    prop_assert!(d1.outcome > Outcome::Ready, "{:?}", d1);
                }
            }

            #[test]
            fn the_most_restrictive_outcome_wins(h in history(), shopping in 0i64..120) {
                let now = Utc::now();
                let d = decide(now, &policy_with(shopping), &build(now, &h));
                let worst = d.reasons.iter().map(|r| r.outcome).max().unwrap_or(Outcome::Ready);
                prop_assert_eq!(d.outcome, worst);
                prop_assert_eq!(d.outcome == Outcome::Ready, d.reasons.is_empty());
                prop_assert_eq!(d.valid_until.is_some(), d.outcome == Outcome::Ready);
                // READY rests on a fresh, passing latest screening
                if d.outcome == Outcome::Ready {
                    let latest = h.iter().min_by_key(|(_, ago)| *ago).expect("screened");
                    prop_assert_eq!(LEVELS[latest.0], "1");
                    prop_assert!(latest.1 < 30);
                }
            }

            #[test]
            fn a_missing_item_never_passes(
                answers in prop::collection::vec(prop::option::of(0usize..4), 10),
            ) {
                let capacity = crate::readiness::rules::instruments::builtins()
                    .into_iter()
                    .find(|b| b.def.key == "capacity")
                    .expect("capacity")
                    .def
                    .to_engine(Lang::En, None);
                let keys = ["0", "1", "2", "not_assessed"];
                let responses: BTreeMap<String, String> = capacity
                    .items
                    .iter()
                    .zip(&answers)
                    .filter_map(|(item, a)| a.map(|a| (item.key.clone(), keys[a].to_string())))
                    .collect();
                let incomplete = answers.iter().any(|a| matches!(a, None | Some(3)));
                let s = score(&capacity, &responses);
                if incomplete {
                    prop_assert_eq!(s.outcome, Outcome::Postpone);
                    prop_assert_eq!(s.total, None);
                    prop_assert_eq!(s.reasons[0].code.as_str(), "screening_incomplete");
                } else {
                    let total: i32 = answers.iter().map(|a| a.unwrap_or(0) as i32).sum();
                    prop_assert_eq!(s.total, Some(total));
                    prop_assert_eq!(s.outcome == Outcome::Ready, total >= 15);
                }
            }
        }
    }
}
