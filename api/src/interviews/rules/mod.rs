//! How an interview moves between its states, and why it may be postponed.
//! Pure rules: every change to an interview (whoever asks for it: the API,
//! a withdrawal, the demo) asks these functions first.
//!
//! ```text
//!  scheduled ──postpone (no time)──▶ postponed ──postpone or reschedule──▶ scheduled
//!      │  ▲                              │
//!      │  └──────── reopen ◀── cancelled ◀── cancel (any open state)
//!      └─start session──▶ in_progress ──complete──▶ completed ──reopen──▶ in_progress
//! ```
pub mod earlier;
pub mod schedule;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum InterviewStatus {
    Scheduled,
    /// Postponed with the new time still to be agreed.
    Postponed,
    InProgress,
    Completed,
    Cancelled,
}

/// Statuses of an interview that is still to be done.
pub const OPEN: [InterviewStatus; 3] = [
    InterviewStatus::Scheduled,
    InterviewStatus::Postponed,
    InterviewStatus::InProgress,
];

/// Statuses in which an interview holds its interviewers' time.
pub const BUSY: [InterviewStatus; 2] = [InterviewStatus::Scheduled, InterviewStatus::InProgress];

crate::kernel::names::stored_names!(InterviewStatus, "interview status");

impl InterviewStatus {
    pub fn is_open(self) -> bool {
        OPEN.contains(&self)
    }

    /// Whether the interview holds its interviewers' time (a clash check
    /// applies to it).
    pub fn holds_time(self) -> bool {
        BUSY.contains(&self)
    }

    /// The stored names of `set`, for a query filter.
    pub fn names(set: &[InterviewStatus]) -> Vec<&'static str> {
        set.iter().map(|s| s.as_str()).collect()
    }
}

impl std::fmt::Display for InterviewStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an interview was postponed. The history of postponements and their
/// reasons is research data: never rewritten.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PostponeReason {
    ParticipantNotReady,
    ParticipantUnwillingToday,
    ParticipantAbsent,
    ClinicCircumstances,
    InterviewerUnavailable,
    /// Needs a note.
    Other,
}

crate::kernel::names::stored_names!(PostponeReason, "postponement reason");

impl PostponeReason {
    /// `other` says nothing by itself: the postponement must say why.
    pub fn needs_note(self) -> bool {
        self == Self::Other
    }

    /// The readiness reasons of the moment are kept with the postponement.
    pub fn keeps_readiness_reasons(self) -> bool {
        self == Self::ParticipantNotReady
    }
}

/// A transition the rules refuse: a stable code and words a fieldworker
/// understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub code: &'static str,
    pub detail: String,
}

fn refuse(code: &'static str, detail: String) -> Refused {
    Refused { code, detail }
}

fn must_be_open(status: InterviewStatus, detail: String) -> Result<(), Refused> {
    if status.is_open() {
        Ok(())
    } else {
        Err(refuse("interview_closed", detail))
    }
}

/// Refuses while a session of the interview is running; `detail` says what
/// to do.
fn no_running_session(session_running: bool, detail: &str) -> Result<(), Refused> {
    if session_running {
        Err(refuse("session_open", detail.into()))
    } else {
        Ok(())
    }
}

/// Changing the length, interviewers, place or note.
pub fn edit(status: InterviewStatus) -> Result<(), Refused> {
    must_be_open(
        status,
        format!("This interview is {status}; reopen it first."),
    )
}

/// Postponing, to a new time or to "to be agreed"; `session_running` when a
/// session of it has not ended. Gives the status after it.
pub fn postpone(
    status: InterviewStatus,
    new_time: bool,
    session_running: bool,
) -> Result<InterviewStatus, Refused> {
    must_be_open(
        status,
        format!("This interview is {status}; reopen it first."),
    )?;
    no_running_session(
        session_running,
        "End the running session before postponing.",
    )?;
    Ok(if new_time {
        InterviewStatus::Scheduled
    } else {
        InterviewStatus::Postponed
    })
}

/// Giving an interview a new time with no reason to report: a time agreed
/// for one whose time was to be agreed, or a plan changed. No postponement
/// is recorded. A split interview between sessions keeps `in_progress`.
pub fn reschedule(
    status: InterviewStatus,
    session_running: bool,
) -> Result<InterviewStatus, Refused> {
    must_be_open(
        status,
        format!("This interview is {status}; reopen it first."),
    )?;
    no_running_session(
        session_running,
        "End the running session before giving the interview a new time.",
    )?;
    Ok(match status {
        InterviewStatus::InProgress => InterviewStatus::InProgress,
        _ => InterviewStatus::Scheduled,
    })
}

/// Cancelling, by a coordinator or because the participant withdrew.
pub fn cancel(status: InterviewStatus, session_running: bool) -> Result<InterviewStatus, Refused> {
    must_be_open(status, format!("This interview is already {status}."))?;
    no_running_session(
        session_running,
        "End the running session before cancelling.",
    )?;
    Ok(InterviewStatus::Cancelled)
}

/// Reopening a cancelled or completed interview, with or without a new
/// time. A completed one goes back to its sessions; a cancelled one is
/// scheduled again, or postponed while its time is to be agreed.
/// An interview entered later (held before the study used Fieldnotes) is
/// history: it cannot be reopened.
pub fn reopen(
    status: InterviewStatus,
    new_time: bool,
    entered_later: bool,
) -> Result<InterviewStatus, Refused> {
    if entered_later {
        return Err(refuse(
            "interview_closed",
            "This interview was held before the study used Fieldnotes and entered later: it is history and cannot be reopened.".into(),
        ));
    }
    match status {
        InterviewStatus::Completed => Ok(InterviewStatus::InProgress),
        InterviewStatus::Cancelled if new_time => Ok(InterviewStatus::Scheduled),
        InterviewStatus::Cancelled => Ok(InterviewStatus::Postponed),
        _ => Err(refuse(
            "interview_open",
            "Only a cancelled or completed interview can be reopened.".into(),
        )),
    }
}

/// Starting a session (readiness and consent are checked elsewhere).
pub fn start_session(
    status: InterviewStatus,
    session_running: bool,
) -> Result<InterviewStatus, Refused> {
    must_be_open(status, format!("This interview is {status}."))?;
    no_running_session(
        session_running,
        "A session of this interview is already running; end it first.",
    )?;
    Ok(InterviewStatus::InProgress)
}

/// Closing an interview after its sessions.
pub fn complete(
    status: InterviewStatus,
    session_running: bool,
) -> Result<InterviewStatus, Refused> {
    no_running_session(session_running, "End the running session first.")?;
    if status != InterviewStatus::InProgress {
        return Err(refuse(
            "no_sessions",
            format!(
                "This interview is {status}; only an interview with sessions can be completed."
            ),
        ));
    }
    Ok(InterviewStatus::Completed)
}

#[cfg(test)]
mod tests {
    use super::InterviewStatus::*;
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn statuses_round_trip_through_their_names() {
        assert_eq!(InterviewStatus::iter().count(), 5);
        for s in InterviewStatus::iter() {
            assert_eq!(InterviewStatus::parse(s.as_str()), Ok(s));
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::json!(s.as_str()))
            );
        }
    }

    #[test]
    fn reasons_round_trip_through_their_names() {
        use PostponeReason::*;
        for r in PostponeReason::iter() {
            assert_eq!(PostponeReason::parse(r.as_str()), Ok(r));
            assert_eq!(
                serde_json::to_value(r).ok(),
                Some(serde_json::json!(r.as_str()))
            );
            assert_eq!(r.needs_note(), r == Other);
            assert_eq!(r.keeps_readiness_reasons(), r == ParticipantNotReady);
        }
    }

    #[test]
    fn an_unknown_stored_name_is_an_error_not_a_guess() {
        assert!(PostponeReason::parse("tuesday").is_err());
        assert!(InterviewStatus::parse("").is_err());
    }

    #[test]
    fn only_open_interviews_change() {
        for s in InterviewStatus::iter() {
            let open = matches!(s, Scheduled | Postponed | InProgress);
            assert_eq!(s.is_open(), open);
            assert_eq!(edit(s).is_ok(), open);
            assert_eq!(postpone(s, true, false).is_ok(), open);
            assert_eq!(cancel(s, false).is_ok(), open);
            assert_eq!(start_session(s, false).is_ok(), open);
            assert_eq!(reopen(s, false, false).is_ok(), !open);
            if !open {
                assert_eq!(edit(s).map_err(|e| e.code), Err("interview_closed"));
            }
        }
    }

    #[test]
    fn only_scheduled_and_running_interviews_hold_time() {
        for s in InterviewStatus::iter() {
            assert_eq!(s.holds_time(), matches!(s, Scheduled | InProgress));
        }
    }

    #[test]
    fn a_postponement_with_a_time_is_scheduled_without_one_postponed() {
        for s in OPEN {
            assert_eq!(postpone(s, true, false), Ok(Scheduled));
            assert_eq!(postpone(s, false, false), Ok(Postponed));
        }
    }

    #[test]
    fn a_reschedule_agrees_a_time_and_keeps_a_split_interview_running() {
        assert_eq!(reschedule(Scheduled, false), Ok(Scheduled));
        assert_eq!(reschedule(Postponed, false), Ok(Scheduled));
        assert_eq!(reschedule(InProgress, false), Ok(InProgress));
        for s in [Completed, Cancelled] {
            assert_eq!(
                reschedule(s, false).map_err(|e| e.code),
                Err("interview_closed")
            );
        }
        assert_eq!(
            reschedule(InProgress, true).map_err(|e| e.code),
            Err("session_open")
        );
    }

    #[test]
    fn a_running_session_blocks_postpone_cancel_start_and_complete() {
        for s in OPEN {
            assert_eq!(
                postpone(s, true, true).map_err(|e| e.code),
                Err("session_open")
            );
            assert_eq!(cancel(s, true).map_err(|e| e.code), Err("session_open"));
            assert_eq!(
                start_session(s, true).map_err(|e| e.code),
                Err("session_open")
            );
        }
        assert_eq!(
            complete(InProgress, true).map_err(|e| e.code),
            Err("session_open")
        );
    }

    #[test]
    fn only_an_interview_with_sessions_completes() {
        for s in InterviewStatus::iter() {
            assert_eq!(complete(s, false).is_ok(), s == InProgress);
        }
        assert_eq!(
            complete(Scheduled, false).map_err(|e| e.code),
            Err("no_sessions")
        );
    }

    #[test]
    fn reopening_goes_back_to_where_the_interview_was() {
        assert_eq!(reopen(Completed, false, false), Ok(InProgress));
        assert_eq!(reopen(Completed, true, false), Ok(InProgress));
        assert_eq!(reopen(Cancelled, true, false), Ok(Scheduled));
        assert_eq!(reopen(Cancelled, false, false), Ok(Postponed));
        // An interview entered later is history.
        assert_eq!(
            reopen(Completed, true, true).map_err(|e| e.code),
            Err("interview_closed")
        );
        assert_eq!(
            reopen(Scheduled, true, false).map_err(|e| e.code),
            Err("interview_open")
        );
    }
}
