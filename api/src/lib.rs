//! Fieldnotes: field notes, interviews, screening-gated consent and
//! postponements for qualitative fieldwork with vulnerable participants.
//!
//! Each feature is a folder holding its service (the folder's own modules),
//! its rules (`rules`: no web, no database) and its handlers (`routes`).
//! Beneath them all is the `kernel`; around them, `http` and `app`.
pub mod app;
pub mod http;
pub mod kernel;

pub mod access;
pub mod analysis;
pub mod codebook;
pub mod integrations;
pub mod interviews;
pub mod notes;
pub mod participants;
pub mod readiness;
pub mod sites;
