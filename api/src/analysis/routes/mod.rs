//! Handlers of transcripts, the report and the exports.
pub mod exports;
pub mod reports;
pub mod transcripts;
