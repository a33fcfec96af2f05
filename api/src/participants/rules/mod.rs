//! A participant's place in the study, and what each place allows.
pub mod import;
pub mod pseudonym;

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
pub enum ParticipantStatus {
    Active,
    Withdrawn,
    Ended,
}

crate::kernel::names::stored_names!(ParticipantStatus, "participant status");

impl ParticipantStatus {
    /// Screenings, consent and interview sessions are recorded only for an
    /// active participant.
    pub fn may_record(self) -> bool {
        self == Self::Active
    }

    /// Interviews can be booked with anyone who has not withdrawn.
    pub fn may_be_scheduled(self) -> bool {
        self != Self::Withdrawn
    }
}

impl std::fmt::Display for ParticipantStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a requested status change is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// Nothing follows from it: set the field.
    Set(ParticipantStatus),
    /// A withdrawal, with all its consequences (open interviews cancelled
    /// and their people told, no more reminders).
    Withdraw,
    /// A withdrawal of someone who gave consent: it must go through the
    /// consent's withdrawal, which records what happens to their data.
    WithdrawConsentFirst,
}

/// What setting `to` on a participant who is `from` (and has a consent in
/// force or not) amounts to.
pub fn status_change(
    from: ParticipantStatus,
    to: ParticipantStatus,
    consent_in_force: bool,
) -> StatusChange {
    match to {
        ParticipantStatus::Withdrawn if from == ParticipantStatus::Withdrawn => {
            StatusChange::Set(to)
        }
        ParticipantStatus::Withdrawn if consent_in_force => StatusChange::WithdrawConsentFirst,
        ParticipantStatus::Withdrawn => StatusChange::Withdraw,
        _ => StatusChange::Set(to),
    }
}

#[cfg(test)]
mod tests {
    use super::ParticipantStatus::*;
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in [Active, Withdrawn, Ended] {
            assert_eq!(ParticipantStatus::parse(s.as_str()), Ok(s));
        }
    }

    #[test]
    fn only_active_participants_are_screened_consented_and_interviewed() {
        assert!(Active.may_record());
        assert!(!Withdrawn.may_record());
        assert!(!Ended.may_record());
        assert!(Ended.may_be_scheduled());
        assert!(!Withdrawn.may_be_scheduled());
    }

    #[test]
    fn setting_withdrawn_is_a_withdrawal() {
        assert_eq!(
            status_change(Active, Withdrawn, false),
            StatusChange::Withdraw
        );
        assert_eq!(
            status_change(Ended, Withdrawn, false),
            StatusChange::Withdraw
        );
        assert_eq!(
            status_change(Active, Withdrawn, true),
            StatusChange::WithdrawConsentFirst
        );
        assert_eq!(
            status_change(Withdrawn, Withdrawn, true),
            StatusChange::Set(Withdrawn)
        );
        assert_eq!(
            status_change(Withdrawn, Active, false),
            StatusChange::Set(Active)
        );
        assert_eq!(status_change(Active, Ended, true), StatusChange::Set(Ended));
    }
}
