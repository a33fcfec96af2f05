//! What makes two pseudonyms the same participant. It lives here because
//! the migration that re-keys existing participants must compute exactly
//! what the service computes for new ones; the service uses it through
//! `fieldnotes::participants::rules::pseudonym`.
use unicode_normalization::UnicodeNormalization;
use unicode_security::{skeleton, GeneralSecurityProfile, MixedScript};

/// Punctuation a pseudonym may hold besides letters and digits.
const PUNCTUATION: &[char] = &[' ', '-', '\'', '\u{2019}', '.', '_'];

/// The pseudonym as stored: NFKC (so fullwidth `Ａｎｎａ` and a combining
/// `Å` are stored as `Anna` and the precomposed `Å`), trimmed.
pub fn normalize(raw: &str) -> String {
    raw.nfkc().collect::<String>().trim().to_string()
}

/// Why `pseudonym` (already [`normalize`]d) cannot be one, if it cannot:
/// only letters and digits that UTS #39 allows in identifiers, with spaces,
/// hyphens, apostrophes, dots and underscores; so no control or format
/// character (zero-width space, soft hyphen, direction override, NUL), and
/// not two alphabets at once (a Cyrillic `А` inside a Latin name).
pub fn refusal(pseudonym: &str) -> Option<Refusal> {
    if !pseudonym.chars().any(char::is_alphanumeric) {
        return Some(Refusal::NeedsLetter);
    }
    if pseudonym
        .chars()
        .any(|c| !(c.identifier_allowed() || PUNCTUATION.contains(&c)))
    {
        return Some(Refusal::Characters);
    }
    if !pseudonym.is_single_script() {
        return Some(Refusal::MixedScripts);
    }
    None
}

/// Why a text cannot be a pseudonym.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// It holds no letter and no digit.
    NeedsLetter,
    /// It holds a character other than letters, digits, spaces, hyphens,
    /// apostrophes, dots and underscores.
    Characters,
    /// It mixes alphabets, so it can look like another pseudonym.
    MixedScripts,
}

/// Lower case, for search by prefix.
pub fn folded(pseudonym: &str) -> String {
    normalize(pseudonym).to_lowercase()
}

/// The form two pseudonyms share when they look alike (UTS #39 skeleton of
/// the case-folded NFKC form): `Anna`, `ANNA` and `Аnna` with a Cyrillic
/// `А` have one.
pub fn look(pseudonym: &str) -> String {
    skeleton(&folded(pseudonym))
        .collect::<String>()
        .nfkc()
        .collect::<String>()
        .to_lowercase()
}

/// The uniqueness key of a pseudonym at a site: unique per site, so a
/// pseudonym used at one site says nothing at another.
pub fn site_key(site_id_simple: &str, pseudonym: &str) -> String {
    format!("{site_id_simple}:{}", look(pseudonym))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_share_a_key() {
        let anna = look("Anna");
        for same in ["anna", "ANNA", "Ａｎｎａ", "Аnna", " Anna "] {
            assert_eq!(look(&normalize(same)), anna, "{same:?}");
        }
        assert_eq!(look("A\u{30a}se"), look("Åse"));
        assert_ne!(look("Anna"), look("Anne"));
        assert_eq!(look("rn"), look("m"), "UTS #39 confusables");
    }

    #[test]
    fn invisible_and_mixed_characters_are_refused() {
        for bad in [
            "An\u{200b}na",
            "An\u{ad}na",
            "\u{200b}",
            "\u{202e}annA",
            "An\0na",
            "Аnna",
            "Ann\u{1F600}",
            "--",
        ] {
            assert!(refusal(&normalize(bad)).is_some(), "{bad:?}");
        }
        for good in [
            "Anna",
            "Åse",
            "Mary-Ann",
            "P41",
            "O'Neill",
            "Lark-mx2f4far-6",
            "Ørjan",
            "Лариса",
        ] {
            assert_eq!(refusal(&normalize(good)), None, "{good:?}");
        }
    }
}
