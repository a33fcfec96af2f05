//! The study's codebook and the passages coded with it, in notes and
//! transcripts.
pub mod codes;
pub mod codings;
pub mod passages;
pub mod qdc;
pub mod retrieval;
pub mod routes;
pub mod rules;
