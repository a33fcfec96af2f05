//! Clinic opening hours: opening windows in the site's local time, every
//! day or on the weekdays they name, and the days the clinic is closed.
use chrono::{Datelike, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::field::{FieldError, FieldProblem};

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    pub const ALL: [Day; 7] = [
        Day::Mon,
        Day::Tue,
        Day::Wed,
        Day::Thu,
        Day::Fri,
        Day::Sat,
        Day::Sun,
    ];
    pub fn of(date: NaiveDate) -> Day {
        Day::ALL[date.weekday().num_days_from_monday() as usize]
    }
}

/// One opening window, local time of the site, `HH:MM` 24-hour clock: every
/// day, or only on the weekdays it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    #[schema(example = "08:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub start: String,
    #[schema(example = "12:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub end: String,
    /// The weekdays it is open; absent: every day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1, max_items = 7)]
    pub days: Option<Vec<Day>>,
}

impl Window {
    /// Whether the window is open on `day`.
    pub fn on(&self, day: Day) -> bool {
        self.days.as_ref().is_none_or(|d| d.contains(&day))
    }
}

/// Closed days must be distinct, and at most [`MAX_CLOSED_DAYS`].
pub const MAX_CLOSED_DAYS: usize = 366;

pub fn validate_closed_days(pointer: &str, days: &[NaiveDate]) -> Vec<FieldError> {
    if days.len() > MAX_CLOSED_DAYS {
        return vec![FieldError::new(
            pointer,
            FieldProblem::TooMany {
                max: MAX_CLOSED_DAYS as u64,
            },
        )];
    }
    let mut seen = std::collections::HashSet::new();
    days.iter()
        .enumerate()
        .filter(|(_, d)| !seen.insert(**d))
        .map(|(i, _)| FieldError::new(format!("{pointer}/{i}"), FieldProblem::Duplicate))
        .collect()
}

pub fn parse_time(s: &str) -> Option<NaiveTime> {
    if s.len() != 5 {
        return None;
    }
    NaiveTime::parse_from_str(s, "%H:%M").ok()
}

/// Windows must be well-formed, each start before its end, and not overlap.
pub fn validate(pointer: &str, windows: &[Window]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if windows.len() > 12 {
        errors.push(FieldError::new(pointer, FieldProblem::TooMany { max: 12 }));
        return errors;
    }
    let mut parsed = Vec::new();
    for (i, w) in windows.iter().enumerate() {
        let (s, e) = (parse_time(&w.start), parse_time(&w.end));
        if s.is_none() {
            errors.push(FieldError::new(
                format!("{pointer}/{i}/start"),
                FieldProblem::TimeOfDay,
            ));
        }
        if e.is_none() {
            errors.push(FieldError::new(
                format!("{pointer}/{i}/end"),
                FieldProblem::TimeOfDay,
            ));
        }
        if let (Some(s), Some(e)) = (s, e) {
            if s >= e {
                errors.push(FieldError::new(
                    format!("{pointer}/{i}/end"),
                    FieldProblem::NotAfter {
                        other: "start".into(),
                    },
                ));
            } else {
                parsed.push((i, s, e));
            }
        }
    }
    for (i, w) in windows.iter().enumerate() {
        if let Some(days) = &w.days {
            let distinct: std::collections::HashSet<_> = days.iter().collect();
            if days.is_empty() || distinct.len() != days.len() {
                errors.push(FieldError::new(
                    format!("{pointer}/{i}/days"),
                    if days.is_empty() {
                        FieldProblem::Count { min: 1, max: 7 }
                    } else {
                        FieldProblem::Duplicate
                    },
                ));
            }
        }
    }
    // Windows open on the same day may not overlap.
    parsed.sort_by_key(|p| p.1);
    let mut overlapping = std::collections::BTreeSet::new();
    for day in Day::ALL {
        let on: Vec<_> = parsed.iter().filter(|p| windows[p.0].on(day)).collect();
        for pair in on.windows(2) {
            if pair[1].1 < pair[0].2 {
                overlapping.insert(pair[1].0);
            }
        }
    }
    for i in overlapping {
        errors.push(FieldError::new(
            format!("{pointer}/{i}"),
            FieldProblem::Overlaps,
        ));
    }
    errors
}

pub fn validate_timezone(pointer: &str, tz: &str) -> Option<FieldError> {
    tz.parse::<chrono_tz::Tz>()
        .err()
        .map(|_| FieldError::new(pointer, FieldProblem::TimeZone))
}

/// The local day in `tz` that contains `now`, as UTC instants: from its
/// first moment to the next day's (23 or 25 hours on a daylight-saving day).
pub fn local_day(
    tz: chrono_tz::Tz,
    now: chrono::DateTime<chrono::Utc>,
) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    use chrono::{Duration, TimeZone, Utc};
    let date = now.with_timezone(&tz).date_naive();
    let start = |d: chrono::NaiveDate| {
        let midnight = d.and_time(NaiveTime::MIN);
        // midnight may not exist where a time change happens at 00:00
        (0..4)
            .find_map(|h| {
                tz.from_local_datetime(&(midnight + Duration::hours(h)))
                    .earliest()
            })
            .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
    };
    (start(date), start(date + Duration::days(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_day_follows_the_site_not_utc() {
        use chrono::{TimeZone, Utc};
        let oslo: chrono_tz::Tz = "Europe/Oslo".parse().expect("tz");
        // 23:12 UTC on 23 November is already 24 November in Oslo
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 23, 12, 0).unwrap();
        let (from, to) = local_day(oslo, now);
        assert_eq!(from, Utc.with_ymd_and_hms(2026, 11, 23, 23, 0, 0).unwrap());
        assert_eq!(to, Utc.with_ymd_and_hms(2026, 11, 24, 23, 0, 0).unwrap());
        // the spring-forward day has 23 hours
        let (from, to) = local_day(oslo, Utc.with_ymd_and_hms(2026, 3, 29, 12, 0, 0).unwrap());
        assert_eq!(to - from, chrono::Duration::hours(23));
        assert_eq!(
            local_day(chrono_tz::UTC, now).0,
            Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
        );
    }

    fn w(s: &str, e: &str) -> Window {
        Window {
            start: s.into(),
            end: e.into(),
            days: None,
        }
    }

    fn on(s: &str, e: &str, days: &[Day]) -> Window {
        Window {
            days: Some(days.to_vec()),
            ..w(s, e)
        }
    }

    #[test]
    fn windows_overlap_only_on_a_day_they_share() {
        // Weekday mornings and a Saturday window at the same hours: fine.
        assert!(validate(
            "/h",
            &[
                on("08:00", "12:00", &[Day::Mon, Day::Fri]),
                on("09:00", "13:00", &[Day::Sat])
            ]
        )
        .is_empty());
        // An every-day window meets Saturday's.
        let errs = validate(
            "/h",
            &[w("08:00", "12:00"), on("09:00", "13:00", &[Day::Sat])],
        );
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].pointer, "/h/1");
        // No days, or a day twice, is named at the window's days.
        let errs = validate(
            "/h",
            &[
                on("08:00", "12:00", &[]),
                on("13:00", "14:00", &[Day::Mon, Day::Mon]),
            ],
        );
        let pointers: Vec<_> = errs.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/h/0/days", "/h/1/days"]);
    }

    #[test]
    fn closed_days_are_distinct() {
        let d = |s: &str| s.parse::<NaiveDate>().expect("date");
        assert!(validate_closed_days("/c", &[d("2026-12-24"), d("2026-12-25")]).is_empty());
        let errs = validate_closed_days("/c", &[d("2026-12-24"), d("2026-12-24")]);
        assert_eq!(errs[0].pointer, "/c/1");
    }

    #[test]
    fn clinic_hours_are_valid() {
        assert!(validate("/h", &[w("08:00", "12:00"), w("14:00", "17:00")]).is_empty());
    }

    #[test]
    fn bad_windows_are_named() {
        let errs = validate(
            "/h",
            &[
                w("8", "12:00"),
                w("13:00", "12:00"),
                w("11:00", "13:00"),
                w("12:30", "14:00"),
            ],
        );
        let pointers: Vec<_> = errs.iter().map(|e| e.pointer.as_str()).collect();
        assert!(pointers.contains(&"/h/0/start"));
        assert!(pointers.contains(&"/h/1/end"));
        assert!(pointers.contains(&"/h/3"));
    }

    #[test]
    fn timezones() {
        assert!(validate_timezone("/tz", "Europe/Oslo").is_none());
        assert!(validate_timezone("/tz", "Mars/Olympus").is_some());
    }
}
