//! The draft paragraph for a paper's methods section, in English or
//! bokmål, from the fieldwork numbers. With small-cell suppression, every
//! count from 1 to 4 reads "fewer than 5": there are few clinics, and a
//! clinic, a period and a small count can identify someone.
use fixed_decimal::Decimal;
use icu_locale_core::locale;
use icu_plurals::{PluralCategory, PluralOperands, PluralRules};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{interviews::rules::PostponeReason, kernel::lang::Lang};

/// A count as a report shows it: a number, or "fewer than 5" when small
/// cells are suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Count {
    N(u64),
    #[schema(value_type = String, example = "fewer than 5")]
    Suppressed(#[serde(serialize_with = "fewer")] ()),
}

fn fewer<S: serde::Serializer>(_: &(), s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("fewer than 5")
}

impl Count {
    pub fn of(n: u64, suppress: bool) -> Count {
        if suppress && (1..=4).contains(&n) {
            Count::Suppressed(())
        } else {
            Count::N(n)
        }
    }
}

/// What the paragraph says.
#[derive(Debug, Clone, Default)]
pub struct Numbers {
    /// Completed interviews per site, largest first.
    pub completed_by_site: Vec<u64>,
    /// Completed interviews per wave, in wave order (waves with none left
    /// out): said when there is more than one.
    pub completed_by_wave: Vec<u64>,
    /// Completed interviews held before the study used Fieldnotes and
    /// entered afterwards: said, with how readiness was checked for them.
    pub entered_later: u64,
    /// Participants with at least one completed interview.
    pub participants_interviewed: u64,
    pub interviews_postponed: u64,
    pub postponements: u64,
    /// New times given with no reason, and the interviews that had them:
    /// said apart from the postponements.
    pub interviews_rescheduled: u64,
    pub reschedules: u64,
    /// Completed interviews with a peer researcher among the interviewers.
    pub interviews_with_peers: u64,
    /// The most frequent postponement reason and how often it was given.
    pub top_reason: Option<(PostponeReason, u64)>,
    /// Interviews held in more than one session, and their sessions.
    pub interviews_split: u64,
    pub sessions_of_split: u64,
    /// In whole minutes, rounded once by the report that gives them.
    pub minutes_mean: Option<f64>,
    pub minutes_median: Option<f64>,
}

fn small(n: u64, lang: Lang) -> String {
    let en = [
        "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    let nb = [
        "ingen", "én", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni", "ti",
    ];
    match (lang, n) {
        (Lang::En, 0..=10) => en[n as usize].to_string(),
        (Lang::Nb, 0..=10) => nb[n as usize].to_string(),
        _ => n.to_string(),
    }
}

fn reason_words(reason: PostponeReason, lang: Lang) -> &'static str {
    use PostponeReason::*;
    match (reason, lang) {
        (ParticipantNotReady, Lang::En) => "the participant was not ready (screening)",
        (ParticipantNotReady, Lang::Nb) => "deltakeren ikke var klar (screening)",
        (ParticipantUnwillingToday, Lang::En) => "the participant was unwilling that day",
        (ParticipantUnwillingToday, Lang::Nb) => "deltakeren ikke ønsket det den dagen",
        (ParticipantAbsent, Lang::En) => "the participant did not come",
        (ParticipantAbsent, Lang::Nb) => "deltakeren ikke kom",
        (ClinicCircumstances, Lang::En) => "of circumstances at the clinic",
        (ClinicCircumstances, Lang::Nb) => "forholdene på klinikken",
        (InterviewerUnavailable, Lang::En) => "the interviewer was unavailable",
        (InterviewerUnavailable, Lang::Nb) => "intervjueren ikke var tilgjengelig",
        (Other, Lang::En) => "of other reasons",
        (Other, Lang::Nb) => "andre grunner",
    }
}

/// `one` or `other`, by the language's plural rules (CLDR, through ICU4X)
/// for a number as the text shows it; words ("fewer than 5") take `other`.
fn form<'a>(lang: Lang, shown: &str, one: &'a str, other: &'a str) -> &'a str {
    // The rules are compiled in: making them reads static data.
    let rules = PluralRules::try_new_cardinal(match lang {
        Lang::En => locale!("en").into(),
        Lang::Nb => locale!("nb").into(),
    });
    let category = shown
        .parse::<Decimal>()
        .ok()
        .zip(rules.ok())
        .map(|(n, r)| r.category_for(PluralOperands::from(&n)));
    if category == Some(PluralCategory::One) {
        one
    } else {
        other
    }
}

/// The paragraph.
pub fn text(n: &Numbers, lang: Lang, suppress: bool) -> String {
    let c = |v: u64| -> String {
        match Count::of(v, suppress) {
            Count::Suppressed(()) => match lang {
                Lang::En => "fewer than 5".into(),
                Lang::Nb => "færre enn 5".into(),
            },
            Count::N(v) => v.to_string(),
        }
    };
    let total: u64 = n.completed_by_site.iter().sum();
    let sites = n.completed_by_site.len() as u64;
    // " (27, 22 and 16)" for two or more counts; nothing for one.
    let listed = |counts: &[u64]| -> String {
        let parts: Vec<String> = counts.iter().map(|v| c(*v)).collect();
        let and = match lang {
            Lang::En => " and ",
            Lang::Nb => " og ",
        };
        match parts.split_last() {
            Some((last, rest)) if !rest.is_empty() => {
                format!(" ({}{and}{last})", rest.join(", "))
            }
            _ => String::new(),
        }
    };
    let per_site = listed(&n.completed_by_site);
    // The word form that goes with a count as shown ("1 interview", "2
    // interviews"; "fewer than 5" takes the plural).
    let w = |shown: &str, one: &'static str, other: &'static str| form(lang, shown, one, other);
    let mut out = Vec::new();
    let (t, p) = (c(total), c(n.participants_interviewed));
    let s = sites.to_string();
    out.push(match lang {
        Lang::En => format!(
            "We conducted {t} {} with {p} {} at {} {}{}.",
            w(&t, "interview", "interviews"),
            w(&p, "participant", "participants"),
            small(sites, lang),
            w(&s, "site", "sites"),
            per_site
        ),
        Lang::Nb => format!(
            "Vi gjennomførte {t} {} med {p} {} ved {} {}{}.",
            w(&t, "intervju", "intervjuer"),
            w(&p, "deltaker", "deltakere"),
            small(sites, lang),
            w(&s, "klinikk", "klinikker"),
            per_site
        ),
    });
    if n.completed_by_wave.len() > 1 {
        let waves = n.completed_by_wave.len() as u64;
        let per_wave = listed(&n.completed_by_wave);
        out.push(match lang {
            Lang::En => format!(
                "The interviews were held over {} waves{per_wave}.",
                small(waves, lang)
            ),
            Lang::Nb => format!(
                "Intervjuene ble gjennomført i {} bølger{per_wave}.",
                small(waves, lang)
            ),
        });
    }
    if n.entered_later > 0 {
        let e = c(n.entered_later);
        out.push(match lang {
            Lang::En => format!(
                "{e} of the interviews {} held before the study used Fieldnotes and entered afterwards from the team's records; readiness for {} was assessed at the time as recorded with each.",
                w(&e, "was", "were"),
                w(&e, "it", "them"),
            ),
            Lang::Nb => format!(
                "{e} av intervjuene ble holdt før studien tok i bruk Fieldnotes og registrert i etterkant fra teamets egne notater; klarheten ble da vurdert slik det er notert ved hvert intervju."
            ),
        });
    }
    if n.postponements > 0 {
        let (k, times) = (c(n.interviews_postponed), c(n.postponements));
        let mut s = match lang {
            Lang::En => format!(
                "{k} {} postponed {times} {}",
                w(&k, "interview was", "interviews were"),
                w(&times, "time", "times"),
            ),
            Lang::Nb => format!(
                "{k} {} ble utsatt {times} {}",
                w(&k, "intervju", "intervjuer"),
                w(&times, "gang", "ganger"),
            ),
        };
        if let Some((code, k)) = &n.top_reason {
            s.push_str(&match lang {
                Lang::En => format!(
                    ", most often because {} ({})",
                    reason_words(*code, lang),
                    c(*k)
                ),
                Lang::Nb => format!(", oftest fordi {} ({})", reason_words(*code, lang), c(*k)),
            });
        }
        s.push('.');
        out.push(capitalise(s));
    } else {
        out.push(match lang {
            Lang::En => "No interview was postponed.".into(),
            Lang::Nb => "Ingen intervjuer ble utsatt.".into(),
        });
    }
    if n.reschedules > 0 {
        let (k, times) = (c(n.interviews_rescheduled), c(n.reschedules));
        out.push(match lang {
            Lang::En => format!(
                "Besides, {k} {} agreed or changed while planning ({times} {}); these are not counted as postponements.",
                w(&k, "interview had its time", "interviews had their time"),
                w(&times, "time", "times"),
            ),
            Lang::Nb => format!(
                "I tillegg fikk {k} {} tidspunktet avtalt eller endret under planleggingen ({times} {}); dette regnes ikke som utsettelser.",
                w(&k, "intervju", "intervjuer"),
                w(&times, "gang", "ganger"),
            ),
        });
    }
    if n.interviews_with_peers > 0 {
        let k = c(n.interviews_with_peers);
        out.push(capitalise(match lang {
            Lang::En => format!(
                "{k} of the completed interviews {} conducted by peer researchers, alone or with a researcher.",
                w(&k, "was", "were"),
            ),
            Lang::Nb => format!(
                "{k} av de gjennomførte intervjuene ble gjort av likepersonsforskere, alene eller sammen med en forsker."
            ),
        }));
    }
    if n.interviews_split > 0 {
        let (k, sessions) = (c(n.interviews_split), c(n.sessions_of_split));
        out.push(capitalise(match lang {
            Lang::En => format!(
                "{k} {} split into {sessions} {}.",
                w(&k, "interview was", "interviews were"),
                w(&sessions, "session", "sessions"),
            ),
            Lang::Nb => format!(
                "{k} {} ble delt over {sessions} {}.",
                w(&k, "intervju", "intervjuer"),
                w(&sessions, "økt", "økter"),
            ),
        }));
    }
    if let (Some(mean), Some(median)) = (n.minutes_mean, n.minutes_median) {
        let m = mean.to_string();
        out.push(match lang {
            Lang::En => format!(
                "Interviews lasted {m} {} on average (median {median}).",
                w(&m, "minute", "minutes"),
            ),
            Lang::Nb => format!(
                "Intervjuene varte i gjennomsnitt {m} {} (median {median}).",
                w(&m, "minutt", "minutter"),
            ),
        });
    }
    out.join(" ")
}

fn capitalise(s: String) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paper() -> Numbers {
        Numbers {
            completed_by_site: vec![19, 7],
            participants_interviewed: 26,
            interviews_postponed: 14,
            postponements: 31,
            top_reason: Some((PostponeReason::ParticipantUnwillingToday, 12)),
            interviews_split: 4,
            sessions_of_split: 9,
            minutes_mean: Some(41.0),
            minutes_median: Some(39.0),
            ..Numbers::default()
        }
    }

    #[test]
    fn the_papers_numbers_in_english() {
        assert_eq!(
            text(&paper(), Lang::En, false),
            "We conducted 26 interviews with 26 participants at two sites (19 and 7). 14 interviews were postponed 31 times, most often because the participant was unwilling that day (12). 4 interviews were split into 9 sessions. Interviews lasted 41 minutes on average (median 39)."
        );
    }

    #[test]
    fn the_follow_up_study_says_its_waves_in_both_languages() {
        // 65 interviews with 27 participants at two sites over three waves.
        let n = Numbers {
            completed_by_site: vec![40, 25],
            completed_by_wave: vec![27, 22, 16],
            participants_interviewed: 27,
            ..Numbers::default()
        };
        let en = text(&n, Lang::En, false);
        assert!(
            en.starts_with("We conducted 65 interviews with 27 participants at two sites (40 and 25). The interviews were held over three waves (27, 22 and 16). "),
            "{en}"
        );
        let nb = text(&n, Lang::Nb, false);
        assert!(
            nb.contains(" Intervjuene ble gjennomført i tre bølger (27, 22 og 16). "),
            "{nb}"
        );
        // The waves brought in from before Fieldnotes are said as such.
        let later = Numbers {
            entered_later: 49,
            ..n.clone()
        };
        assert!(
            text(&later, Lang::En, false).contains(" 49 of the interviews were held before the study used Fieldnotes and entered afterwards from the team's records; readiness for them was assessed at the time as recorded with each. "),
            "{}",
            text(&later, Lang::En, false)
        );
        assert!(text(&later, Lang::Nb, false)
            .contains(" 49 av intervjuene ble holdt før studien tok i bruk Fieldnotes"));
        let one_later = Numbers {
            entered_later: 1,
            ..n.clone()
        };
        assert!(text(&one_later, Lang::En, false).contains(" 1 of the interviews was held before"));
        // one wave: nothing said of waves
        let one = Numbers {
            completed_by_wave: vec![65],
            ..n
        };
        assert!(!text(&one, Lang::En, false).contains("wave"));
    }

    #[test]
    fn reschedules_and_peer_researchers_are_said_apart_from_postponements() {
        let n = Numbers {
            completed_by_site: vec![2],
            participants_interviewed: 2,
            interviews_postponed: 2,
            postponements: 2,
            top_reason: Some((PostponeReason::ClinicCircumstances, 2)),
            interviews_rescheduled: 1,
            reschedules: 1,
            interviews_with_peers: 1,
            minutes_mean: Some(1.0),
            minutes_median: Some(1.0),
            ..Numbers::default()
        };
        assert_eq!(
            text(&n, Lang::En, false),
            "We conducted 2 interviews with 2 participants at one site. 2 interviews were postponed 2 times, most often because of circumstances at the clinic (2). Besides, 1 interview had its time agreed or changed while planning (1 time); these are not counted as postponements. 1 of the completed interviews was conducted by peer researchers, alone or with a researcher. Interviews lasted 1 minute on average (median 1)."
        );
        let nb = text(&n, Lang::Nb, false);
        assert!(nb.contains("I tillegg fikk 1 intervju tidspunktet avtalt eller endret under planleggingen (1 gang); dette regnes ikke som utsettelser."), "{nb}");
        assert!(
            nb.contains("varte i gjennomsnitt 1 minutt (median 1)"),
            "{nb}"
        );
    }

    #[test]
    fn one_takes_the_singular_in_both_languages() {
        let n = Numbers {
            completed_by_site: vec![1],
            participants_interviewed: 1,
            interviews_postponed: 1,
            postponements: 1,
            interviews_split: 1,
            sessions_of_split: 2,
            ..Numbers::default()
        };
        let en = text(&n, Lang::En, false);
        assert!(
            en.starts_with("We conducted 1 interview with 1 participant at one site."),
            "{en}"
        );
        assert!(en.contains("1 interview was postponed 1 time."), "{en}");
        assert!(
            en.contains("1 interview was split into 2 sessions."),
            "{en}"
        );
        let nb = text(&n, Lang::Nb, false);
        assert!(
            nb.starts_with("Vi gjennomførte 1 intervju med 1 deltaker ved én klinikk."),
            "{nb}"
        );
        assert!(nb.contains("1 intervju ble utsatt 1 gang."), "{nb}");
        assert!(nb.contains("1 intervju ble delt over 2 økter."), "{nb}");
        // Suppressed, the count takes the plural.
        let t = text(&n, Lang::En, true);
        assert!(
            t.starts_with("We conducted fewer than 5 interviews with fewer than 5 participants"),
            "{t}"
        );
        assert_eq!(form(Lang::En, "1.5", "minute", "minutes"), "minutes");
        assert_eq!(form(Lang::Nb, "0", "gang", "ganger"), "ganger");
    }

    #[test]
    fn in_bokmaal() {
        let t = text(&paper(), Lang::Nb, false);
        assert!(
            t.starts_with(
                "Vi gjennomførte 26 intervjuer med 26 deltakere ved to klinikker (19 og 7)."
            ),
            "{t}"
        );
        assert!(
            t.contains("oftest fordi deltakeren ikke ønsket det den dagen (12)"),
            "{t}"
        );
    }

    #[test]
    fn small_cells_are_suppressed() {
        let t = text(&paper(), Lang::En, true);
        assert!(
            t.contains("Fewer than 5 interviews were split into 9 sessions."),
            "{t}"
        );
        assert!(t.contains("(19 and 7)"), "{t}");
        let t = text(&paper(), Lang::Nb, true);
        assert!(t.contains("Færre enn 5 intervjuer ble delt"), "{t}");
        assert_eq!(
            serde_json::to_value(Count::of(3, true)).expect("ok"),
            "fewer than 5"
        );
        assert_eq!(serde_json::to_value(Count::of(0, true)).expect("ok"), 0);
        assert_eq!(serde_json::to_value(Count::of(5, true)).expect("ok"), 5);
        assert_eq!(serde_json::to_value(Count::of(3, false)).expect("ok"), 3);
    }
}
