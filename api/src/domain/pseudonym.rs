//! When two pseudonyms name the same participant, and what a pseudonym may
//! hold. The rules are in `migration::pseudonym` (the migration that
//! re-keyed existing participants computes the same key); this is where the
//! service reads them.
pub use migration::pseudonym::{folded, normalize, refusal, site_key};
