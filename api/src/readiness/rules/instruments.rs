//! Screening instrument definitions: the JSON a study enters, its checks, the
//! built-in scales, and the conversion to the rule engine's [`Instrument`].
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::kernel::field::{FieldError, FieldProblem};
pub use crate::kernel::lang::Lang;
use crate::readiness::rules::{self as readiness, Outcome};

/// Text in English and, where given, Norwegian (bokmål).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    #[schema(min_length = 1, max_length = 500)]
    pub en: String,
    #[schema(min_length = 1, max_length = 500)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nb: Option<String>,
}

impl Text {
    fn new(en: &str, nb: &str) -> Self {
        Text {
            en: en.into(),
            nb: Some(nb.into()),
        }
    }
    pub fn get(&self, lang: Lang) -> &str {
        match (lang, &self.nb) {
            (Lang::Nb, Some(nb)) => nb,
            _ => &self.en,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Sedation,
    Intoxication,
    Withdrawal,
    Capacity,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Sedation => "sedation",
            Kind::Intoxication => "intoxication",
            Kind::Withdrawal => "withdrawal",
            Kind::Capacity => "capacity",
        }
    }
}

/// How item scores make the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// The total is the sum of the items' scores.
    Sum,
    /// One item; its score is the total.
    SingleItem,
}

/// One answer an item allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelDef {
    #[schema(min_length = 1, max_length = 40)]
    pub key: String,
    pub label: Text,
    /// `null` marks "not assessed": the item counts as unanswered, never as 0.
    pub score: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemDef {
    #[schema(min_length = 1, max_length = 40)]
    pub key: String,
    pub label: Text,
    #[serde(default = "yes")]
    pub required: bool,
    #[schema(min_items = 1, max_items = 30)]
    pub levels: Vec<LevelDef>,
}

fn yes() -> bool {
    true
}

/// Totals in `min..=max` give `outcome`, with the reason people read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub min: i32,
    pub max: i32,
    pub outcome: Outcome,
    /// Stable code, e.g. `poss_drowsy`.
    #[schema(min_length = 1, max_length = 60)]
    pub reason_code: String,
    pub message: Text,
}

/// An instrument as a study enters it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstrumentDef {
    /// Stable key shared by all versions, lower case: `poss`, `rass`.
    #[schema(min_length = 1, max_length = 40, pattern = "^[a-z0-9_]+$")]
    pub key: String,
    pub name: Text,
    pub kind: Kind,
    pub combine: Combine,
    #[schema(min_items = 1, max_items = 50)]
    pub items: Vec<ItemDef>,
    #[schema(min_items = 1, max_items = 30)]
    pub rules: Vec<RuleDef>,
    /// Minutes a screening stays valid; default 30.
    #[serde(default = "thirty")]
    #[schema(minimum = 1, maximum = 1440)]
    pub validity_minutes: i64,
    /// Where the instrument comes from and what it is (not) validated for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Text>,
}

fn thirty() -> i64 {
    30
}

/// How long a screening may stay valid, in minutes (the schema's
/// `minimum`/`maximum` of every `validity_minutes` say the same).
pub const VALIDITY_MINUTES: std::ops::RangeInclusive<i64> = 1..=1440;

/// The refusal of a validity outside [`VALIDITY_MINUTES`].
pub fn validity_problem() -> FieldProblem {
    FieldProblem::Minutes {
        min: *VALIDITY_MINUTES.start(),
        max: *VALIDITY_MINUTES.end(),
    }
}

fn code_like(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 60
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_text(errors: &mut Vec<FieldError>, pointer: &str, t: &Text) {
    let ok = |s: &str| !s.trim().is_empty() && s.chars().count() <= 500;
    if !ok(&t.en) {
        errors.push(FieldError::new(
            format!("{pointer}/en"),
            FieldProblem::Length { min: 1, max: 500 },
        ));
    }
    if t.nb.as_deref().is_some_and(|s| !ok(s)) {
        errors.push(FieldError::new(
            format!("{pointer}/nb"),
            FieldProblem::Length { min: 1, max: 500 },
        ));
    }
}

impl InstrumentDef {
    /// Every problem, each naming its field.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if !code_like(&self.key) || self.key.len() > 40 {
            errors.push(FieldError::new("/key", FieldProblem::KeyChars { max: 40 }));
        }
        check_text(&mut errors, "/name", &self.name);
        if let Some(s) = &self.source {
            check_text(&mut errors, "/source", s);
        }
        if !VALIDITY_MINUTES.contains(&self.validity_minutes) {
            errors.push(FieldError::new("/validity_minutes", validity_problem()));
        }
        if self.items.is_empty() || self.items.len() > 50 {
            errors.push(FieldError::new(
                "/items",
                FieldProblem::Count { min: 1, max: 50 },
            ));
        }
        if self.combine == Combine::SingleItem && self.items.len() != 1 {
            errors.push(FieldError::new("/combine", FieldProblem::SingleItem));
        }
        for (i, item) in self.items.iter().enumerate() {
            let p = format!("/items/{i}");
            if !code_like(&item.key) || item.key.len() > 40 {
                errors.push(FieldError::new(
                    format!("{p}/key"),
                    FieldProblem::KeyChars { max: 40 },
                ));
            }
            if self.items[..i].iter().any(|o| o.key == item.key) {
                errors.push(FieldError::new(format!("{p}/key"), FieldProblem::Duplicate));
            }
            check_text(&mut errors, &format!("{p}/label"), &item.label);
            if item.levels.is_empty() || item.levels.len() > 30 {
                errors.push(FieldError::new(
                    format!("{p}/levels"),
                    FieldProblem::Count { min: 1, max: 30 },
                ));
            }
            for (j, level) in item.levels.iter().enumerate() {
                let lp = format!("{p}/levels/{j}");
                let k = &level.key;
                if k.trim().is_empty() || k.chars().count() > 40 {
                    errors.push(FieldError::new(
                        format!("{lp}/key"),
                        FieldProblem::Length { min: 1, max: 40 },
                    ));
                }
                if item.levels[..j].iter().any(|o| &o.key == k) {
                    errors.push(FieldError::new(
                        format!("{lp}/key"),
                        FieldProblem::Duplicate,
                    ));
                }
                if level.score.is_some_and(|s| !(-1000..=1000).contains(&s)) {
                    errors.push(FieldError::new(
                        format!("{lp}/score"),
                        FieldProblem::Range {
                            min: -1000,
                            max: 1000,
                        },
                    ));
                }
                check_text(&mut errors, &format!("{lp}/label"), &level.label);
            }
        }
        if self.rules.is_empty() || self.rules.len() > 30 {
            errors.push(FieldError::new(
                "/rules",
                FieldProblem::Count { min: 1, max: 30 },
            ));
        }
        for (i, rule) in self.rules.iter().enumerate() {
            let p = format!("/rules/{i}");
            if rule.min > rule.max {
                errors.push(FieldError::new(
                    format!("{p}/max"),
                    FieldProblem::Below {
                        other: "min".into(),
                    },
                ));
            }
            if !code_like(&rule.reason_code) {
                errors.push(FieldError::new(
                    format!("{p}/reason_code"),
                    FieldProblem::KeyChars { max: 60 },
                ));
            }
            check_text(&mut errors, &format!("{p}/message"), &rule.message);
        }
        if errors.is_empty() && !self.rules.iter().any(|r| r.outcome == Outcome::Ready) {
            errors.push(FieldError::new("/rules", FieldProblem::NoReadyRule));
        }
        errors
    }

    /// The rule engine's view, with messages in `lang` and the study's
    /// validity override if any.
    pub fn to_engine(&self, lang: Lang, validity_override: Option<i64>) -> readiness::Instrument {
        readiness::Instrument {
            key: self.key.clone(),
            name: self.name.get(lang).to_string(),
            items: self
                .items
                .iter()
                .map(|i| readiness::Item {
                    key: i.key.clone(),
                    required: i.required,
                    levels: i
                        .levels
                        .iter()
                        .map(|l| readiness::Level {
                            key: l.key.clone(),
                            score: l.score,
                        })
                        .collect(),
                })
                .collect(),
            rules: self
                .rules
                .iter()
                .map(|r| readiness::Rule {
                    min: r.min,
                    max: r.max,
                    outcome: r.outcome,
                    reason_code: r.reason_code.clone(),
                    message: format!("{}: {}", self.name.get(lang), r.message.get(lang)),
                })
                .collect(),
            validity_minutes: validity_override.unwrap_or(self.validity_minutes),
            lang,
        }
    }
}

/// A built-in instrument and its fixed id (the same on every installation).
pub struct Builtin {
    pub id: Uuid,
    pub def: InstrumentDef,
}

pub const POSS_ID: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
pub const RASS_ID: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0002);
pub const CAPACITY_ID: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0003);

fn level(key: &str, score: Option<i32>, en: &str, nb: &str) -> LevelDef {
    LevelDef {
        key: key.into(),
        label: Text::new(en, nb),
        score,
    }
}

fn not_assessed() -> LevelDef {
    level("not_assessed", None, "Not assessed", "Ikke vurdert")
}

fn rule(min: i32, max: i32, outcome: Outcome, code: &str, en: &str, nb: &str) -> RuleDef {
    RuleDef {
        min,
        max,
        outcome,
        reason_code: code.into(),
        message: Text::new(en, nb),
    }
}

fn poss() -> InstrumentDef {
    use Outcome::*;
    InstrumentDef {
        key: "poss".into(),
        name: Text::new("POSS (sedation)", "POSS (sedasjon)"),
        kind: Kind::Sedation,
        combine: Combine::SingleItem,
        items: vec![ItemDef {
            key: "sedation".into(),
            label: Text::new("Level of sedation", "Sedasjonsnivå"),
            required: true,
            levels: vec![
                level("S", Some(0), "S: sleeping, easy to arouse", "S: sover, lett å vekke"),
                level("1", Some(1), "1: awake and alert", "1: våken og oppmerksom"),
                level("2", Some(2), "2: slightly drowsy, easily aroused", "2: litt døsig, lett å vekke"),
                level("3", Some(3), "3: frequently drowsy, drifts off to sleep during conversation", "3: ofte døsig, sovner under samtale"),
                level("4", Some(4), "4: somnolent, minimal or no response", "4: somnolent, minimal eller ingen respons"),
                not_assessed(),
            ],
        }],
        rules: vec![
            rule(0, 0, Postpone, "poss_asleep", "asleep (S). Let the participant wake fully and screen again later.", "sover (S). La deltakeren våkne helt og screen på nytt senere."),
            rule(1, 1, Ready, "poss_alert", "awake and alert.", "våken og oppmerksom."),
            rule(2, 2, Postpone, "poss_slightly_drowsy", "slightly drowsy (2). Not ready for consent or an interview now; screen again later.", "litt døsig (2). Ikke klar for samtykke eller intervju nå; screen på nytt senere."),
            rule(3, 3, Postpone, "poss_drowsy", "frequently drowsy (3). Postpone and screen again later.", "ofte døsig (3). Utsett og screen på nytt senere."),
            rule(4, 4, Stop, "poss_somnolent", "somnolent with minimal or no response (4). Stop for today and tell clinic staff.", "somnolent med minimal eller ingen respons (4). Avslutt for i dag og si fra til klinikkpersonalet."),
        ],
        validity_minutes: 30,
        source: Some(Text::new(
            "Pasero Opioid-induced Sedation Scale. Clinically S-2 is acceptable; for consent only 1 is plainly ready. Not validated for consent readiness: the study chooses.",
            "Pasero Opioid-induced Sedation Scale. Klinisk er S-2 akseptabelt; for samtykke er bare 1 klart. Ikke validert for samtykkekompetanse: studien velger.",
        )),
    }
}

fn rass() -> InstrumentDef {
    use Outcome::*;
    let l = |score: i32, en: &str, nb: &str| {
        level(
            &if score > 0 {
                format!("+{score}")
            } else {
                score.to_string()
            },
            Some(score),
            en,
            nb,
        )
    };
    InstrumentDef {
        key: "rass".into(),
        name: Text::new("RASS (agitation and sedation)", "RASS (agitasjon og sedasjon)"),
        kind: Kind::Sedation,
        combine: Combine::SingleItem,
        items: vec![ItemDef {
            key: "rass".into(),
            label: Text::new("Richmond Agitation-Sedation Scale", "Richmond agitasjons- og sedasjonsskala"),
            required: true,
            levels: vec![
                l(4, "+4: combative", "+4: stridbar"),
                l(3, "+3: very agitated", "+3: svært agitert"),
                l(2, "+2: agitated", "+2: agitert"),
                l(1, "+1: restless", "+1: urolig"),
                l(0, "0: alert and calm", "0: våken og rolig"),
                l(-1, "-1: drowsy", "-1: døsig"),
                l(-2, "-2: light sedation", "-2: lett sedert"),
                l(-3, "-3: moderate sedation", "-3: moderat sedert"),
                l(-4, "-4: deep sedation", "-4: dypt sedert"),
                l(-5, "-5: unarousable", "-5: ikke vekkbar"),
                not_assessed(),
            ],
        }],
        rules: vec![
            rule(-5, -2, Stop, "rass_sedated", "sedated (-2 or below). Stop for today and tell clinic staff.", "sedert (-2 eller lavere). Avslutt for i dag og si fra til klinikkpersonalet."),
            rule(-1, -1, Postpone, "rass_drowsy", "drowsy (-1). Postpone and screen again later.", "døsig (-1). Utsett og screen på nytt senere."),
            rule(0, 0, Ready, "rass_alert_calm", "alert and calm.", "våken og rolig."),
            rule(1, 1, Postpone, "rass_restless", "restless (+1). Postpone and screen again later.", "urolig (+1). Utsett og screen på nytt senere."),
            rule(2, 4, Stop, "rass_agitated", "agitated (+2 or above). Stop for today and tell clinic staff.", "agitert (+2 eller høyere). Avslutt for i dag og si fra til klinikkpersonalet."),
        ],
        validity_minutes: 30,
        source: Some(Text::new(
            "Richmond Agitation-Sedation Scale; 0 is the target. Not validated for consent readiness: the study chooses.",
            "Richmond Agitation-Sedation Scale; 0 er målet. Ikke validert for samtykkekompetanse: studien velger.",
        )),
    }
}

fn capacity() -> InstrumentDef {
    use Outcome::*;
    let questions: [(&str, &str, &str); 10] = [
        (
            "purpose",
            "What is the purpose of the study?",
            "Hva er formålet med studien?",
        ),
        (
            "what_happens",
            "What will you be asked to do if you take part?",
            "Hva blir du bedt om å gjøre hvis du deltar?",
        ),
        ("voluntary", "Do you have to take part?", "Må du delta?"),
        (
            "stop_any_time",
            "Can you stop taking part at any time, and how?",
            "Kan du slutte å delta når som helst, og hvordan?",
        ),
        (
            "treatment_unaffected",
            "Will saying no change your treatment at the clinic?",
            "Vil det å si nei endre behandlingen din på klinikken?",
        ),
        (
            "confidential",
            "Who will know what you tell the researchers?",
            "Hvem får vite det du forteller forskerne?",
        ),
        (
            "recordings",
            "What happens to the recordings and notes?",
            "Hva skjer med opptakene og notatene?",
        ),
        (
            "risks",
            "What could be uncomfortable about taking part?",
            "Hva kan være ubehagelig ved å delta?",
        ),
        (
            "benefits",
            "Is there anything you could gain by taking part?",
            "Er det noe du kan ha nytte av ved å delta?",
        ),
        (
            "questions",
            "Who can you ask if you have questions later?",
            "Hvem kan du spørre hvis du har spørsmål senere?",
        ),
    ];
    InstrumentDef {
        key: "capacity".into(),
        name: Text::new(
            "Capacity to consent (UBACC-style comprehension check)",
            "Samtykkekompetanse (forståelsessjekk i UBACC-stil)",
        ),
        kind: Kind::Capacity,
        combine: Combine::Sum,
        items: questions
            .iter()
            .map(|(key, en, nb)| ItemDef {
                key: (*key).into(),
                label: Text::new(en, nb),
                required: true,
                levels: vec![
                    level("0", Some(0), "0: incorrect or no answer", "0: feil eller ikke svar"),
                    level("1", Some(1), "1: partly correct", "1: delvis riktig"),
                    level("2", Some(2), "2: clearly correct", "2: tydelig riktig"),
                    not_assessed(),
                ],
            })
            .collect(),
        rules: vec![
            rule(0, 14, Postpone, "capacity_not_demonstrated", "below the pass mark (15 of 20). Explain the study again and check understanding later, or postpone.", "under grensen (15 av 20). Forklar studien på nytt og sjekk forståelsen senere, eller utsett."),
            rule(15, 20, Ready, "capacity_demonstrated", "understanding shown.", "forståelse vist."),
        ],
        validity_minutes: 30,
        source: Some(Text::new(
            "Ten comprehension questions scored 0-2, in the style of the UBACC. The pass mark (15 of 20 by default) is the study's decision: change it by creating a new version with other rules.",
            "Ti forståelsesspørsmål med 0-2 poeng, i stil med UBACC. Grensen (15 av 20 som standard) er studiens beslutning: endre den ved å lage en ny versjon med andre regler.",
        )),
    }
}

/// The instruments every installation has, version 1.
pub fn builtins() -> Vec<Builtin> {
    vec![
        Builtin {
            id: POSS_ID,
            def: poss(),
        },
        Builtin {
            id: RASS_ID,
            def: rass(),
        },
        Builtin {
            id: CAPACITY_ID,
            def: capacity(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_valid_and_bilingual() {
        for b in builtins() {
            assert_eq!(b.def.validate(), vec![], "{}", b.def.key);
            for item in &b.def.items {
                assert!(item.label.nb.is_some(), "{} {}", b.def.key, item.key);
                for l in &item.levels {
                    assert!(l.label.nb.is_some(), "{} {}", b.def.key, l.key);
                }
            }
            for r in &b.def.rules {
                assert!(r.message.nb.is_some());
            }
        }
    }

    #[test]
    fn every_total_of_a_builtin_is_covered_by_exactly_one_rule() {
        for b in builtins() {
            let min: i32 = b
                .def
                .items
                .iter()
                .map(|i| i.levels.iter().filter_map(|l| l.score).min().unwrap_or(0))
                .sum();
            let max: i32 = b
                .def
                .items
                .iter()
                .map(|i| i.levels.iter().filter_map(|l| l.score).max().unwrap_or(0))
                .sum();
            for t in min..=max {
                let n = b
                    .def
                    .rules
                    .iter()
                    .filter(|r| (r.min..=r.max).contains(&t))
                    .count();
                assert_eq!(n, 1, "{} total {t}", b.def.key);
            }
        }
    }
}
