//! When an interview held before the study used Fieldnotes may be entered
//! afterwards (`POST /interviews/earlier`): its sittings lie in the past,
//! each ends after it began and lasts at most eight hours, each begins after
//! the one before ended, and all of them end before the participant's first
//! interview in Fieldnotes. After that moment, interviews are recorded as
//! they happen, behind the readiness gate, so a later entry cannot be used
//! to step round it.
use chrono::{DateTime, Utc};

use crate::kernel::field::{FieldError, FieldProblem};

/// The longest sitting, in minutes, as for a booked interview.
pub const MAX_MINUTES: i64 = 480;

/// One sitting of an interview entered later.
#[derive(Debug, Clone, Copy)]
pub struct Sitting {
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
}

/// The participant's first interview in Fieldnotes: the earliest time of an
/// interview booked there that has not been cancelled unheld, given as
/// (its first time, its first session's start), each of them if any.
pub fn first_in_fieldnotes(
    interviews: impl IntoIterator<Item = (DateTime<Utc>, Option<DateTime<Utc>>, bool)>,
) -> Option<DateTime<Utc>> {
    interviews
        .into_iter()
        .filter_map(
            |(first_time, first_session, cancelled)| match first_session {
                Some(s) => Some(first_time.min(s)),
                None if cancelled => None,
                None => Some(first_time),
            },
        )
        .min()
}

/// What is wrong with `sittings` (pointers under `/sessions`), or nothing.
pub fn check(
    sittings: &[Sitting],
    now: DateTime<Utc>,
    first_in_fieldnotes: Option<DateTime<Utc>>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, s) in sittings.iter().enumerate() {
        let at = |f: &str| format!("/sessions/{i}/{f}");
        if s.started_at > now {
            errors.push(FieldError::new(at("started_at"), FieldProblem::InFuture));
        }
        if s.ended_at > now {
            errors.push(FieldError::new(at("ended_at"), FieldProblem::InFuture));
        }
        let minutes = (s.ended_at - s.started_at).num_minutes();
        if s.ended_at <= s.started_at {
            errors.push(FieldError::new(
                at("ended_at"),
                FieldProblem::NotAfter {
                    other: at("started_at"),
                },
            ));
        } else if minutes > MAX_MINUTES {
            errors.push(FieldError::new(
                at("ended_at"),
                FieldProblem::Minutes {
                    min: 1,
                    max: MAX_MINUTES,
                },
            ));
        }
        if let Some(before) = i.checked_sub(1).map(|j| sittings[j]) {
            if s.started_at < before.ended_at {
                errors.push(FieldError::new(
                    at("started_at"),
                    FieldProblem::NotAfter {
                        other: format!("/sessions/{}/ended_at", i - 1),
                    },
                ));
            }
        }
        if let Some(first) = first_in_fieldnotes {
            if s.ended_at > first {
                errors.push(FieldError::new(
                    at("ended_at"),
                    FieldProblem::NotBeforeFieldnotes { at: first },
                ));
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, day, hour, 0, 0).unwrap()
    }

    fn sit(day: u32, from: u32, to: u32) -> Sitting {
        Sitting {
            started_at: t(day, from),
            ended_at: t(day, to),
        }
    }

    fn codes(e: &[FieldError]) -> Vec<(String, FieldProblem)> {
        e.iter()
            .map(|e| (e.pointer.clone(), e.problem.clone()))
            .collect()
    }

    #[test]
    fn sittings_in_order_in_the_past_and_before_fieldnotes_pass() {
        let now = t(20, 12);
        let s = [sit(1, 10, 11), sit(3, 10, 12)];
        assert!(check(&s, now, Some(t(10, 9))).is_empty());
        assert!(check(&s, now, None).is_empty());
    }

    #[test]
    fn each_wrong_sitting_is_named_with_its_field() {
        let now = t(20, 12);
        let s = [
            sit(1, 10, 11),
            // Starts before the first ended.
            Sitting {
                started_at: t(1, 10) + Duration::minutes(30),
                ended_at: t(1, 12),
            },
            // Ends before it starts.
            sit(2, 12, 11),
            // Nine hours.
            sit(4, 8, 17),
            // In the future.
            sit(21, 10, 11),
        ];
        assert_eq!(
            codes(&check(&s, now, None)),
            vec![
                (
                    "/sessions/1/started_at".into(),
                    FieldProblem::NotAfter {
                        other: "/sessions/0/ended_at".into()
                    }
                ),
                (
                    "/sessions/2/ended_at".into(),
                    FieldProblem::NotAfter {
                        other: "/sessions/2/started_at".into()
                    }
                ),
                (
                    "/sessions/3/ended_at".into(),
                    FieldProblem::Minutes { min: 1, max: 480 }
                ),
                ("/sessions/4/started_at".into(), FieldProblem::InFuture),
                ("/sessions/4/ended_at".into(), FieldProblem::InFuture),
            ]
        );
    }

    #[test]
    fn nothing_may_end_after_the_first_interview_in_fieldnotes() {
        let first = t(5, 10);
        let e = check(&[sit(4, 9, 10), sit(5, 9, 11)], t(20, 0), Some(first));
        assert_eq!(
            codes(&e),
            vec![(
                "/sessions/1/ended_at".into(),
                FieldProblem::NotBeforeFieldnotes { at: first }
            )]
        );
    }

    #[test]
    fn the_first_interview_in_fieldnotes_skips_cancellations_never_held() {
        // Booked for the 9th, held from the 8th (moved earlier).
        let held = (t(9, 10), Some(t(8, 10)), false);
        let cancelled_unheld = (t(2, 10), None, true);
        let booked = (t(12, 10), None, false);
        assert_eq!(
            first_in_fieldnotes([cancelled_unheld, booked, held]),
            Some(t(8, 10))
        );
        assert_eq!(first_in_fieldnotes([cancelled_unheld]), None);
        assert_eq!(first_in_fieldnotes([]), None);
    }
}
