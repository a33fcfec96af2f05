//! When an interview held before the study used Fieldnotes may be entered
//! afterwards (`POST /interviews/earlier`): its sittings lie in the past,
//! each ends after it began and lasts at most eight hours, each begins after
//! the one before ended, and all of them end before the participant came
//! into Fieldnotes: before they were registered there, and before their
//! first interview there. From that moment, interviews are recorded as they
//! happen, behind the readiness gate, so a later entry cannot be used to
//! step round it.
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

/// When the participant came into Fieldnotes: when they were registered
/// there, or the earliest time of an interview booked there (its first
/// time, its time now, its first session's start), whichever came first.
/// An interview cancelled without a session never happened and does not
/// count. Each interview is (first time, time now, first session, cancelled).
pub fn came_in(
    registered: DateTime<Utc>,
    interviews: impl IntoIterator<Item = (DateTime<Utc>, DateTime<Utc>, Option<DateTime<Utc>>, bool)>,
) -> DateTime<Utc> {
    interviews
        .into_iter()
        .filter_map(|(first, now, session, cancelled)| match session {
            Some(s) => Some(first.min(now).min(s)),
            None if cancelled => None,
            None => Some(first.min(now)),
        })
        .fold(registered, DateTime::min)
}

/// What is wrong with `sittings` (pointers under `/sessions`), or nothing.
pub fn check(sittings: &[Sitting], now: DateTime<Utc>, came_in: DateTime<Utc>) -> Vec<FieldError> {
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
        // A sitting in the future is said to be that, once.
        if s.ended_at > came_in && s.ended_at <= now {
            errors.push(FieldError::new(
                at("ended_at"),
                FieldProblem::NotBeforeFieldnotes { at: came_in },
            ));
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
        assert!(check(&s, now, t(10, 9)).is_empty());
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
            codes(&check(&s, now, now)),
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
    fn nothing_may_end_after_the_participant_came_into_fieldnotes() {
        let first = t(5, 10);
        let e = check(&[sit(4, 9, 10), sit(5, 9, 11)], t(20, 0), first);
        assert_eq!(
            codes(&e),
            vec![(
                "/sessions/1/ended_at".into(),
                FieldProblem::NotBeforeFieldnotes { at: first }
            )]
        );
    }

    #[test]
    fn coming_in_is_registration_or_the_first_interview_never_a_cancellation_unheld() {
        let registered = t(15, 8);
        // Booked for the 9th, moved to the 7th, held from the 8th.
        let held = (t(9, 10), t(7, 10), Some(t(8, 10)), false);
        let cancelled_unheld = (t(2, 10), t(2, 10), None, true);
        let booked = (t(12, 10), t(12, 10), None, false);
        assert_eq!(
            came_in(registered, [cancelled_unheld, booked, held]),
            t(7, 10)
        );
        assert_eq!(came_in(registered, [cancelled_unheld]), registered);
        assert_eq!(came_in(registered, []), registered);
        // Registered before anything was booked: registration is the line.
        assert_eq!(came_in(t(1, 8), [booked]), t(1, 8));
    }
}
