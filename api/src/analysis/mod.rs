//! What a team analyses and reports: transcripts, the fieldwork report and
//! methods paragraph, and the exports to analysis tools.
pub mod docx;
pub mod exports;
pub mod reports;
pub mod routes;
pub mod rules;
pub mod transcripts;
