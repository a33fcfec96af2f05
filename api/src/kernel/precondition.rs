//! Conditional requests (RFC 9110 §13): `If-Match` guards a change against
//! overwriting someone else's, `If-None-Match` lets a reader keep what it
//! has. One reading of both headers for every object that carries an ETag
//! (notes and transcripts by version, interviews and participants by the
//! digest of what the caller sees).
use serde::Serialize;
use sha2::{Digest, Sha256};

/// What an `If-Match` header asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// No header: the change applies to whatever is current.
    Absent,
    /// `*`: the object must exist; any version will do.
    Any,
    /// One or more entity tags; the change applies only if the current one
    /// is among them (strong comparison: a weak tag never matches).
    Tags(Vec<String>),
}

impl IfMatch {
    /// Reads the header's value (`None` when absent). A value that names no
    /// tag of ours (garbage, a weak tag) can match nothing.
    pub fn parse(value: Option<&str>) -> Self {
        let Some(v) = value else {
            return IfMatch::Absent;
        };
        if v.trim() == "*" {
            return IfMatch::Any;
        }
        IfMatch::Tags(tags(v).map(str::to_string).collect())
    }

    pub fn is_absent(&self) -> bool {
        matches!(self, IfMatch::Absent)
    }

    /// Whether a change may go ahead on the object whose ETag is `current`.
    pub fn allows(&self, current: &str) -> bool {
        match self {
            IfMatch::Absent | IfMatch::Any => true,
            IfMatch::Tags(t) => t.iter().any(|t| t == current),
        }
    }
}

/// Whether an `If-None-Match` value names `current` (or is `*`): the reader
/// already has it, and gets 304 (weak comparison, RFC 9110 §13.1.2).
pub fn none_match(value: Option<&str>, current: &str) -> bool {
    let Some(v) = value else {
        return false;
    };
    let current = current.strip_prefix("W/").unwrap_or(current);
    v.trim() == "*"
        || v.split(',')
            .map(str::trim)
            .any(|t| t.strip_prefix("W/").unwrap_or(t) == current)
}

/// The strong tags of a list: `"a", "b"`; weak ones (`W/"a"`) are left out.
fn tags(v: &str) -> impl Iterator<Item = &str> {
    v.split(',')
        .map(str::trim)
        .filter(|t| t.len() >= 2 && t.starts_with('"') && t.ends_with('"'))
}

/// The ETag of a version number.
pub fn of_version(version: i32) -> String {
    format!("\"{version}\"")
}

/// The ETag of a representation: the first 16 bytes of the SHA-256 of its
/// JSON, so it changes exactly when what the caller sees changes.
pub fn of_json(value: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    format!("\"{}\"", hex::encode(&Sha256::digest(&bytes)[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_reads_star_lists_and_garbage() {
        assert_eq!(IfMatch::parse(None), IfMatch::Absent);
        assert_eq!(IfMatch::parse(Some(" * ")), IfMatch::Any);
        let m = IfMatch::parse(Some("\"3\", \"4\""));
        assert!(m.allows("\"4\""));
        assert!(!m.allows("\"5\""));
        // A weak tag never matches in a strong comparison; garbage neither.
        let weak = IfMatch::parse(Some("W/\"4\""));
        assert!(!weak.allows("\"4\""));
        assert!(!IfMatch::parse(Some("4")).allows("\"4\""));
        assert!(IfMatch::Any.allows("\"9\""));
    }

    #[test]
    fn if_none_match_is_weak_and_takes_star() {
        assert!(none_match(Some("\"7\""), "\"7\""));
        assert!(none_match(Some("W/\"7\", \"8\""), "\"7\""));
        assert!(none_match(Some("*"), "\"7\""));
        assert!(!none_match(Some("\"6\""), "\"7\""));
        assert!(!none_match(None, "\"7\""));
    }

    #[test]
    fn json_tags_follow_the_content() {
        let a = of_json(&serde_json::json!({"x": 1}));
        assert_eq!(a, of_json(&serde_json::json!({"x": 1})));
        assert_ne!(a, of_json(&serde_json::json!({"x": 2})));
        assert_eq!(a.len(), 34);
        assert_eq!(of_version(3), "\"3\"");
    }
}
