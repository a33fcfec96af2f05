//! Clinic opening hours: a list of daily windows in the site's local time.
use chrono::NaiveTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::field::{FieldError, FieldProblem};

/// One daily opening window, local time of the site, `HH:MM` 24-hour clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    #[schema(example = "08:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub start: String,
    #[schema(example = "12:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub end: String,
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
    parsed.sort_by_key(|p| p.1);
    for pair in parsed.windows(2) {
        if pair[1].1 < pair[0].2 {
            errors.push(FieldError::new(
                format!("{pointer}/{}", pair[1].0),
                FieldProblem::Overlaps,
            ));
        }
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
        }
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
