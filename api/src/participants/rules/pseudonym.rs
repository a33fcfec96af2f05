//! When two pseudonyms name the same participant, and what a pseudonym may
//! hold. The rules are in `migration::pseudonym` (the migration that
//! re-keyed existing participants computes the same key); this is where the
//! service reads them.
pub use migration::pseudonym::{folded, normalize, site_key, Refusal};

use crate::kernel::field::FieldProblem;

/// Why `pseudonym` (already [`normalize`]d) cannot be one, if it cannot.
pub fn refusal(pseudonym: &str) -> Option<FieldProblem> {
    migration::pseudonym::refusal(pseudonym).map(|r| match r {
        Refusal::NeedsLetter => FieldProblem::PseudonymNeedsLetter,
        Refusal::Characters => FieldProblem::PseudonymCharacters,
        Refusal::MixedScripts => FieldProblem::PseudonymMixedScripts,
    })
}
