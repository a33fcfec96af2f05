//! Fieldnotes: field notes, interviews, screening-gated consent and
//! postponements for qualitative fieldwork with vulnerable participants.
pub mod auth;
pub mod backup;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod email;
pub mod error;
pub mod extract;
pub mod jobs;
pub mod metrics;
pub mod routes;
pub mod services;
pub mod startup;
pub mod state;
pub mod web;
pub mod wire;
