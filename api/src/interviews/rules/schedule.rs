//! Interview timing: wave due windows and clinic opening hours. Pure rules.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::kernel::hours::{parse_time, Day, Window};

/// A wave's due window, in days after the participant's treatment start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Wave {
    #[schema(minimum = 1, maximum = 20)]
    pub wave: i32,
    #[schema(minimum = 0, maximum = 3650)]
    pub opens_day: i32,
    #[schema(minimum = 0, maximum = 3650)]
    pub closes_day: i32,
}

/// Wave 1: day 28 to 56; wave 2: day 330 to 400.
pub fn default_waves() -> Vec<Wave> {
    vec![
        Wave {
            wave: 1,
            opens_day: 28,
            closes_day: 56,
        },
        Wave {
            wave: 2,
            opens_day: 330,
            closes_day: 400,
        },
    ]
}

/// Where a date falls against a wave's due window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowState {
    Before,
    Open,
    After,
}

impl Wave {
    pub fn opens_on(&self, start: NaiveDate) -> NaiveDate {
        start + Duration::days(self.opens_day.into())
    }
    pub fn closes_on(&self, start: NaiveDate) -> NaiveDate {
        start + Duration::days(self.closes_day.into())
    }
    pub fn state(&self, start: NaiveDate, on: NaiveDate) -> WindowState {
        if on < self.opens_on(start) {
            WindowState::Before
        } else if on > self.closes_on(start) {
            WindowState::After
        } else {
            WindowState::Open
        }
    }
}

/// How pressing a participant's wave is, for the coordinators' "due" list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    /// The window is open and closes in more than 7 days.
    Open,
    /// The window closes within 7 days.
    ClosingSoon,
    /// The window has closed.
    Overdue,
}

/// `None` while the window has not opened yet.
pub fn due_state(wave: &Wave, start: NaiveDate, today: NaiveDate) -> Option<DueState> {
    match wave.state(start, today) {
        WindowState::Before => None,
        WindowState::After => Some(DueState::Overdue),
        WindowState::Open if wave.closes_on(start) - today <= Duration::days(7) => {
            Some(DueState::ClosingSoon)
        }
        WindowState::Open => Some(DueState::Open),
    }
}

/// Where one participant stands in one wave, for the retention counts of
/// the fieldwork report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Not counted: the window has not opened, or they ended the study
    /// without this wave's interview.
    Outside,
    /// A completed interview of this wave (whatever their status now).
    Interviewed,
    /// Active, not interviewed, the window open today.
    InWindow,
    /// Active, not interviewed, the window closed.
    Missed,
    /// Withdrew from the study without this wave's interview, its window
    /// having opened.
    Withdrawn,
}

/// The standings a list of participants can be filtered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaveState {
    /// Completed that wave's interview.
    Interviewed,
    /// Active, not interviewed, the wave's window open today.
    Due,
    /// Active, not interviewed, the window closed.
    Missed,
    /// Withdrew without that wave's interview, after its window opened.
    Withdrawn,
}

impl WaveState {
    pub fn holds(self, s: Standing) -> bool {
        matches!(
            (self, s),
            (WaveState::Interviewed, Standing::Interviewed)
                | (WaveState::Due, Standing::InWindow)
                | (WaveState::Missed, Standing::Missed)
                | (WaveState::Withdrawn, Standing::Withdrawn)
        )
    }
}

/// A participant's standing in `wave`: `status` is theirs now
/// (`active`, `withdrawn`, `ended`), `interviewed` whether an interview of
/// this wave was completed.
pub fn standing(
    wave: &Wave,
    start: NaiveDate,
    today: NaiveDate,
    status: &str,
    interviewed: bool,
) -> Standing {
    if interviewed {
        return Standing::Interviewed;
    }
    match (wave.state(start, today), status) {
        (WindowState::Before, _) => Standing::Outside,
        (_, "withdrawn") => Standing::Withdrawn,
        (WindowState::Open, "active") => Standing::InWindow,
        (WindowState::After, "active") => Standing::Missed,
        _ => Standing::Outside,
    }
}

/// Whether `start .. start + minutes` lies inside one opening window of the
/// site open that weekday, on a day it is not closed, in the site's own
/// time zone.
pub fn within_opening_hours(
    tz: Tz,
    windows: &[Window],
    closed: &[NaiveDate],
    start: DateTime<Utc>,
    minutes: i64,
) -> bool {
    let from = start.with_timezone(&tz).naive_local();
    let to = (start + Duration::minutes(minutes))
        .with_timezone(&tz)
        .naive_local();
    // Daily windows never cross midnight.
    if from.date() != to.date() || closed.contains(&from.date()) {
        return false;
    }
    let day = Day::of(from.date());
    windows
        .iter()
        .filter(|w| w.on(day))
        .any(|w| match (parse_time(&w.start), parse_time(&w.end)) {
            (Some(s), Some(e)) => s <= from.time() && to.time() <= e,
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_participant_stands_in_a_wave_by_window_status_and_interview() {
        use super::{standing, Standing::*, Wave};
        let w = Wave {
            wave: 2,
            opens_day: 100,
            closes_day: 130,
        };
        let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let day = |n: i64| start + chrono::Duration::days(n);
        assert_eq!(standing(&w, start, day(99), "active", false), Outside);
        assert_eq!(standing(&w, start, day(100), "active", false), InWindow);
        assert_eq!(standing(&w, start, day(130), "active", false), InWindow);
        assert_eq!(standing(&w, start, day(131), "active", false), Missed);
        assert_eq!(standing(&w, start, day(131), "withdrawn", false), Withdrawn);
        assert_eq!(standing(&w, start, day(99), "withdrawn", false), Outside);
        assert_eq!(standing(&w, start, day(131), "ended", false), Outside);
        // an interview counts whatever happened since
        assert_eq!(
            standing(&w, start, day(131), "withdrawn", true),
            Interviewed
        );
        assert_eq!(standing(&w, start, day(50), "ended", true), Interviewed);
    }

    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn windows_and_due_states() {
        let w = &default_waves()[0];
        let start = d("2026-10-01");
        assert_eq!(w.state(start, d("2026-10-28")), WindowState::Before);
        assert_eq!(w.state(start, d("2026-10-29")), WindowState::Open);
        assert_eq!(w.state(start, d("2026-11-26")), WindowState::Open);
        assert_eq!(w.state(start, d("2026-11-27")), WindowState::After);
        assert_eq!(due_state(w, start, d("2026-10-20")), None);
        assert_eq!(due_state(w, start, d("2026-11-01")), Some(DueState::Open));
        assert_eq!(
            due_state(w, start, d("2026-11-20")),
            Some(DueState::ClosingSoon)
        );
        assert_eq!(
            due_state(w, start, d("2026-12-01")),
            Some(DueState::Overdue)
        );
    }

    #[test]
    fn opening_hours_in_local_time() {
        let windows = vec![
            Window {
                start: "08:00".into(),
                end: "12:00".into(),
                days: None,
            },
            Window {
                start: "14:00".into(),
                end: "17:00".into(),
                days: None,
            },
        ];
        let tz: Tz = "Europe/Oslo".parse().expect("tz");
        let at = |s: &str| s.parse::<DateTime<Utc>>().expect("time");
        // 10:00 Oslo (winter, UTC+1) is 09:00 UTC
        assert!(within_opening_hours(
            tz,
            &windows,
            &[],
            at("2026-11-24T09:00:00Z"),
            60
        ));
        // 11:30-12:30 runs past the morning window
        assert!(!within_opening_hours(
            tz,
            &windows,
            &[],
            at("2026-11-24T10:30:00Z"),
            60
        ));
        // 13:00 is the lunch gap
        assert!(!within_opening_hours(
            tz,
            &windows,
            &[],
            at("2026-11-24T12:00:00Z"),
            30
        ));
        // summer time: 08:00 Oslo is 06:00 UTC
        assert!(within_opening_hours(
            tz,
            &windows,
            &[],
            at("2026-06-10T06:00:00Z"),
            60
        ));
        assert!(!within_opening_hours(
            tz,
            &windows,
            &[],
            at("2026-06-10T05:30:00Z"),
            60
        ));
    }

    #[test]
    fn weekdays_and_closed_days() {
        let windows = vec![
            Window {
                start: "08:00".into(),
                end: "12:00".into(),
                days: Some(vec![Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri]),
            },
            Window {
                start: "10:00".into(),
                end: "14:00".into(),
                days: Some(vec![Day::Sat]),
            },
        ];
        let tz: Tz = "Europe/Oslo".parse().expect("tz");
        let at = |s: &str| s.parse::<DateTime<Utc>>().expect("time");
        // Tuesday 24 November 2026, 09:00 Oslo: open on weekdays.
        assert!(within_opening_hours(
            tz,
            &windows,
            &[],
            at("2026-11-24T08:00:00Z"),
            60
        ));
        // Saturday 28 November, 09:00: the Saturday window opens at 10.
        assert!(!within_opening_hours(
            tz,
            &windows,
            &[],
            at("2026-11-28T08:00:00Z"),
            60
        ));
        assert!(within_opening_hours(
            tz,
            &windows,
            &[],
            at("2026-11-28T10:00:00Z"),
            60
        ));
        // Sunday: closed.
        assert!(!within_opening_hours(
            tz,
            &windows,
            &[],
            at("2026-11-29T10:00:00Z"),
            60
        ));
        // A holiday on a Tuesday: closed.
        let closed = ["2026-11-24".parse().expect("date")];
        assert!(!within_opening_hours(
            tz,
            &windows,
            &closed,
            at("2026-11-24T08:00:00Z"),
            60
        ));
    }
}
