//! Handlers of participants and their consents.
pub mod consents;
pub mod participants;
