//! One invalid field of a request, as rules report it: no HTTP type in
//! sight (`kernel::error` maps a list of them to a 422 problem).
//!
//! Each field error carries a stable `code` with typed `params`, listed in
//! the OpenAPI document: a client picks its words by the code, never by the
//! English `detail`, which is written here, from the code, in one place.
use serde::Serialize;
use utoipa::ToSchema;

use super::hours::Window;

/// One invalid field of a request. Its document is [`FieldErrorDoc`].
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    /// JSON pointer to the field, e.g. `/observed_at` or `/notes/3/body`.
    pub pointer: String,
    /// What is wrong, as a stable code and its parameters.
    #[serde(flatten)]
    pub problem: FieldProblem,
    /// What is wrong with it, in English words a developer can act on. Made
    /// from `code` and `params`; a client shows its own words for the code.
    pub detail: String,
}

// The document's shape of a field error: flat, with every param optional.
// (A `oneOf` of the 55 codes, each with its own params, describes the same
// JSON, but building it for every operation took 34 MiB at start.)
/// One invalid field of a request: `code` says what is wrong, `params` (for
/// some codes) the bounds or names it concerns, `detail` the same in English.
#[derive(ToSchema)]
#[schema(as = FieldError)]
#[allow(dead_code)]
pub struct FieldErrorDoc {
    /// JSON pointer to the field, e.g. `/observed_at` or `/notes/3/body`.
    pointer: String,
    /// The stable code of what is wrong: a client words it itself.
    code: FieldCode,
    params: Option<FieldParams>,
    /// What is wrong with it, in English words a developer can act on. Made
    /// from `code` and `params`; a client shows its own words for the code.
    detail: String,
}

/// The parameters of a field error: which ones a code carries is said at
/// each (see [`FieldCode`]); absent for codes that carry none.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FieldParams {
    /// `length`, `range`, `minutes`, `at_least`, `count`, `date_range`,
    /// `password_too_short`: the least allowed.
    min: Option<i64>,
    /// `length`, `too_long`, `too_long_bytes`, `range`, `minutes`,
    /// `at_most`, `count`, `too_many`, `date_range`, `key_chars`,
    /// `password_too_long`: the most allowed.
    max: Option<i64>,
    /// `not_found`: what was not found (`site`, `participant`, `code`,
    /// `instrument`, `wave`, `session`, `team_member`, ...).
    thing: Option<String>,
    /// `not_after`, `below`: the other field.
    other: Option<String>,
    /// `not_one_of`: the allowed values.
    allowed: Option<Vec<String>>,
    /// `outside_opening_hours`: the site's name.
    site: Option<String>,
    /// `outside_opening_hours`: the site's opening windows, local time.
    windows: Option<Vec<Window>>,
    /// `outside_opening_hours`: the site's IANA time zone.
    time_zone: Option<String>,
    /// `no_access_to_site`: the team member's display name.
    name: Option<String>,
    /// `no_such_item`: the instrument's key.
    instrument: Option<String>,
    /// `no_such_item`: the item asked for.
    item: Option<String>,
    /// `not_a_level`: the item's levels.
    levels: Option<Vec<String>>,
    /// `key_fixed`: the key an instrument keeps.
    key: Option<String>,
    /// `no_such_wave`: the study's waves.
    waves: Option<Vec<i32>>,
    /// `past_end`: the text's length in code points.
    length: Option<i64>,
    /// `not_before_fieldnotes`: when the participant came into Fieldnotes,
    /// registered or first interviewed (an earlier interview ends before).
    at: Option<chrono::DateTime<chrono::Utc>>,
}

/// What is wrong with a field: `code`, and for some codes `params`. Its
/// codes, as the document lists them, are [`FieldCode`].
#[derive(Debug, Clone, Serialize, PartialEq, Eq, strum::EnumDiscriminants)]
#[serde(tag = "code", content = "params", rename_all = "snake_case")]
#[strum_discriminants(
    name(FieldCode),
    derive(Serialize, ToSchema, strum::EnumIter),
    serde(rename_all = "snake_case")
)]
pub enum FieldProblem {
    /// The field is missing or empty.
    Required,
    /// The value is not of the field's type or form (`detail` says which).
    Invalid,
    /// The field is not part of the request.
    UnknownField,
    /// The value is not one of the allowed ones.
    NotOneOf { allowed: Vec<String> },
    /// A text of `min` to `max` characters.
    Length { min: u64, max: u64 },
    /// At most `max` characters.
    TooLong { max: u64 },
    /// At most `max` bytes of UTF-8.
    TooLongBytes { max: u64 },
    /// A number from `min` to `max`.
    Range { min: i64, max: i64 },
    /// A number of minutes from `min` to `max`.
    Minutes { min: i64, max: i64 },
    /// A number of at least `min`.
    AtLeast { min: i64 },
    /// A number of at most `max`.
    AtMost { max: i64 },
    /// A list of `min` to `max` entries.
    Count { min: u64, max: u64 },
    /// A list of at most `max` entries.
    TooMany { max: u64 },
    /// The value appears twice in its list.
    Duplicate,
    /// The value names a `thing` that does not exist (or that the caller
    /// cannot see): `site`, `participant`, `code`, `instrument`, `wave`,
    /// `session`, `team_member`.
    NotFound { thing: String },
    /// A time in the future where only a past one makes sense.
    InFuture,
    /// Must be after the field `other`.
    NotAfter { other: String },
    /// Must not be below the field `other`.
    Below { other: String },
    /// A window that overlaps another one of the same day.
    Overlaps,
    /// Not a time of day as `HH:MM`.
    TimeOfDay,
    /// Not an IANA time zone such as `Europe/Oslo`.
    TimeZone,
    /// Not a date between the years `min` and `max`.
    DateRange { min: i32, max: i32 },
    /// Not an email address.
    Email,
    /// Not a language tag such as `nb`, `en` or `nb-NO`.
    LanguageTag,
    /// Not a UUID.
    Uuid,
    /// Not a cursor this service gave out.
    Cursor,
    /// Not 1 to `max` characters of `a-z`, `0-9` and `_`.
    KeyChars { max: u64 },
    /// A single-line field holds a line break or another control character.
    OneLine,
    /// The NUL character (U+0000).
    Nul,
    /// A search with no word in it.
    NoSearchTerms,
    /// The time is outside the opening hours of `site` (`windows`, local
    /// time in `time_zone`); `allow_outside_opening_hours: true` books it
    /// anyway.
    OutsideOpeningHours {
        site: String,
        windows: Vec<Window>,
        time_zone: String,
    },
    /// The reason `other` needs a note saying why.
    NoteRequired,
    /// The team member `name` has no access to the participant's site.
    NoAccessToSite { name: String },
    /// Not the code the authenticator app shows now (or it was used).
    WrongCode,
    /// Participants are known by pseudonym only: this field would identify.
    Identifying,
    /// A pseudonym needs a letter or a digit.
    PseudonymNeedsLetter,
    /// A pseudonym holds only letters, digits, spaces, hyphens,
    /// apostrophes, dots and underscores.
    PseudonymCharacters,
    /// A pseudonym mixes alphabets, so it can look like another one.
    PseudonymMixedScripts,
    /// A password of at least `min` characters.
    PasswordTooShort { min: u64 },
    /// A password of at most `max` characters.
    PasswordTooLong { max: u64 },
    /// A password that is one character repeated.
    PasswordRepeated,
    /// The instrument `instrument` has no item `item`.
    NoSuchItem { instrument: String, item: String },
    /// Not one of the item's `levels`.
    NotALevel { levels: Vec<String> },
    /// `combine: single_item` needs exactly one item.
    SingleItem,
    /// No rule of the instrument gives ready.
    NoReadyRule,
    /// At most one capacity instrument in a readiness list.
    CapacityAtMostOne,
    /// A capacity check needs an intoxication or sedation screen before it.
    CapacityNeedsScreen,
    /// An API key needs at least one scope.
    ScopeRequired,
    /// Only an admin can give a key the admin scope.
    AdminScopeForbidden,
    /// An instrument keeps its key `key` across versions.
    KeyFixed { key: String },
    /// A code cannot be placed under itself or its own descendants.
    CodeCycle,
    /// Not a wave of the study; it has `waves`.
    NoSuchWave { waves: Vec<i32> },
    /// A passage boundary that falls inside a character.
    InsideCharacter,
    /// Past the end of a text `length` code points long.
    PastEnd { length: u64 },
    /// No one may disable themselves or remove their own admin role.
    SelfLockout,
    /// An emailed link (invitation, password reset) that is unknown,
    /// expired or already used.
    InvalidLink,
    /// Only when disabling a person (handing over or keeping their open
    /// interviews).
    OnlyWhenDisabling,
    /// A person's interviews cannot be handed to that same person.
    HandOverToSelf,
    /// Not an `https` URL with a host, without a user name or password.
    WebhookUrl,
    /// The URL's host name does not resolve.
    Unresolvable,
    /// The URL's host is, or resolves to, a loopback, private, link-local
    /// or metadata address.
    PrivateTarget,
    /// An interview entered later must lie before the participant came into
    /// Fieldnotes (`at`: registered there, or first interviewed there): what
    /// came after is recorded as it happens, behind the readiness gate.
    NotBeforeFieldnotes { at: chrono::DateTime<chrono::Utc> },
    /// Not a date (`YYYY-MM-DD`).
    NotADate,
    /// Another participant at this site has this pseudonym, or one that
    /// looks the same.
    PseudonymTaken,
}

impl FieldProblem {
    /// The problem in English: a developer's words, made in this one place.
    pub fn english(&self) -> String {
        use FieldProblem::*;
        let list = |v: &[String]| v.join(", ");
        match self {
            Required => "is required and must not be empty".into(),
            Invalid => "is not valid here".into(),
            UnknownField => "is not part of the request".into(),
            NotOneOf { allowed } => format!("must be one of: {}", list(allowed)),
            Length { min, max } => format!("must be {min} to {max} characters"),
            TooLong { max } => format!("must be at most {max} characters"),
            TooLongBytes { max } => format!("must be at most {max} bytes of UTF-8"),
            Range { min, max } => format!("must be {min} to {max}"),
            Minutes { min, max } => format!("must be {min} to {max} minutes"),
            AtLeast { min } => format!("must be at least {min}"),
            AtMost { max } => format!("must be at most {max}"),
            Count { min, max } => format!("must name {min} to {max}"),
            TooMany { max } => format!("must name at most {max}"),
            Duplicate => "is listed twice".into(),
            NotFound { thing } => format!("no such {}", thing.replace('_', " ")),
            InFuture => "is in the future; give the time it happened".into(),
            NotAfter { other } => format!("must be after {other}"),
            Below { other } => format!("must not be below {other}"),
            Overlaps => "overlaps another window".into(),
            TimeOfDay => "must be a time as HH:MM".into(),
            TimeZone => "must be an IANA time zone such as Europe/Oslo".into(),
            DateRange { min, max } => format!("must be a date between the years {min} and {max}"),
            Email => "must be an email address".into(),
            LanguageTag => "must be a language tag such as nb, en or nb-NO".into(),
            Uuid => "is not a valid identifier (expected a UUID)".into(),
            Cursor => "is not a cursor this service gave out".into(),
            KeyChars { max } => format!("must be 1 to {max} characters of a-z, 0-9 and _"),
            OneLine => "must be one line of text, with no control characters".into(),
            Nul => "must not contain the NUL character (U+0000)".into(),
            NoSearchTerms => "give at least one word to search for".into(),
            OutsideOpeningHours {
                site,
                windows,
                time_zone,
            } => format!(
                "is outside {site}'s opening hours ({} in {time_zone}); send allow_outside_opening_hours: true to book it anyway",
                windows
                    .iter()
                    .map(|w| format!("{}-{}", w.start, w.end))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            NoteRequired => "say why when the reason is other".into(),
            NoAccessToSite { name } => format!("{name} has no access to this participant's site"),
            WrongCode => {
                "is not the code the authenticator app shows now (or it was already used)".into()
            }
            Identifying => "participants are known by pseudonym only; this service stores no names, contact details or national ids".into(),
            PseudonymNeedsLetter => "must contain a letter or a digit".into(),
            PseudonymCharacters => "may hold only letters, digits, spaces, hyphens, apostrophes, dots and underscores (no invisible or control characters, no symbols)".into(),
            PseudonymMixedScripts => "mixes letters of different alphabets, which can look like another pseudonym".into(),
            PasswordTooShort { min } => format!("must be at least {min} characters long"),
            PasswordTooLong { max } => format!("must be at most {max} characters long"),
            PasswordRepeated => "must not be one repeated character".into(),
            NoSuchItem { instrument, item } => format!("{instrument} has no item {item}"),
            NotALevel { levels } => format!("not a level of this item; one of: {}", list(levels)),
            SingleItem => "single_item needs exactly one item".into(),
            NoReadyRule => "no rule gives ready, so no screening could ever pass".into(),
            CapacityAtMostOne => "at most one capacity instrument; it counts after the others passed".into(),
            CapacityNeedsScreen => "a capacity check needs an intoxication or sedation screen before it".into(),
            ScopeRequired => "name at least one scope".into(),
            AdminScopeForbidden => "only an admin can give a key the admin scope".into(),
            KeyFixed { key } => format!("the key stays {key}"),
            CodeCycle => "a code cannot be placed under itself or its own descendants".into(),
            NoSuchWave { waves } => format!(
                "the study has waves {}",
                waves.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(", ")
            ),
            InsideCharacter => "falls inside a character (a letter with its accent, or an emoji made of several code points); move it to where the character starts or ends".into(),
            PastEnd { length } => format!("is past the end of the text, which is {length} characters long (counted in Unicode code points)"),
            SelfLockout => "you cannot disable yourself or remove your own admin role".into(),
            InvalidLink => "This link is invalid, expired or already used. Ask for a new one.".into(),
            OnlyWhenDisabling => "only applies when disabling the person".into(),
            HandOverToSelf => "must be someone else than the person being disabled".into(),
            WebhookUrl => "must be an https URL with a host name, and no user name or password".into(),
            Unresolvable => "names a host that does not resolve".into(),
            NotBeforeFieldnotes { at } => format!(
                "must be before {}, when this participant was registered or first interviewed in Fieldnotes; interviews since are recorded as they happen",
                at.format("%Y-%m-%d %H:%M UTC")
            ),
            NotADate => "must be a date as YYYY-MM-DD".into(),
            PseudonymTaken => "is taken: another participant at this site has this pseudonym, or one that looks the same".into(),
            PrivateTarget => "points at a loopback, private, link-local or metadata address; webhooks go to public https receivers".into(),
        }
    }
}

/// The value names a `thing` that does not exist, or that the caller cannot
/// see: said alike for both, so a refusal never tells another site's ids
/// from unknown ones.
pub fn not_found(thing: &str) -> FieldProblem {
    FieldProblem::NotFound {
        thing: thing.to_string(),
    }
}

impl FieldError {
    /// A field error whose English words are made from its code.
    pub fn new(pointer: impl Into<String>, problem: FieldProblem) -> Self {
        let detail = problem.english();
        Self {
            pointer: pointer.into(),
            problem,
            detail,
        }
    }

    /// A field error whose English words come from elsewhere (a parser's
    /// own message about the value's type).
    pub fn said(pointer: impl Into<String>, problem: FieldProblem, detail: String) -> Self {
        Self {
            pointer: pointer.into(),
            problem,
            detail,
        }
    }

    /// The same error at `prefix` + its pointer (an item of a batch).
    pub fn under(self, prefix: &str) -> Self {
        Self {
            pointer: format!("{prefix}{}", self.pointer),
            ..self
        }
    }
}

/// Checks the length of an optional text field (trimmed, in characters).
pub fn check_len(
    errors: &mut Vec<FieldError>,
    pointer: &str,
    value: Option<&str>,
    min: usize,
    max: usize,
) {
    if let Some(v) = value {
        let n = v.trim().chars().count();
        if n < min || n > max {
            let (min, max) = (min as u64, max as u64);
            errors.push(FieldError::new(
                pointer,
                if n == 0 {
                    FieldProblem::Required
                } else {
                    FieldProblem::Length { min, max }
                },
            ));
        }
    }
}

/// Checks a single-line text field (a name, a pseudonym, a place): its
/// length as [`check_len`], and no control characters (CR, LF, NUL, tab,
/// ESC...) nor the Unicode line and paragraph separators (U+2028, U+2029),
/// which would let one field forge lines of an email, a calendar entry or a
/// log.
pub fn check_line(
    errors: &mut Vec<FieldError>,
    pointer: &str,
    value: Option<&str>,
    min: usize,
    max: usize,
) {
    let before = errors.len();
    check_len(errors, pointer, value, min, max);
    let breaks_lines = |c: char| c.is_control() || c == '\u{2028}' || c == '\u{2029}';
    if errors.len() == before && value.is_some_and(|v| v.chars().any(breaks_lines)) {
        errors.push(FieldError::new(pointer, FieldProblem::OneLine));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_error_carries_its_code_and_typed_params() {
        let e = FieldError::new("/body", FieldProblem::TooLong { max: 20_000 });
        assert_eq!(
            serde_json::to_value(&e).expect("serializes"),
            serde_json::json!({
                "pointer": "/body",
                "code": "too_long",
                "params": {"max": 20000},
                "detail": "must be at most 20000 characters",
            })
        );
        let e = FieldError::new("/observed_at", FieldProblem::InFuture);
        let v = serde_json::to_value(&e).expect("serializes");
        assert_eq!(v["code"], "in_future");
        assert!(v.get("params").is_none(), "{v}");
    }

    #[test]
    fn an_empty_text_is_required_and_a_long_one_names_its_bounds() {
        let mut errors = Vec::new();
        check_len(&mut errors, "/a", Some("  "), 1, 5);
        check_len(&mut errors, "/b", Some("abcdef"), 1, 5);
        check_line(&mut errors, "/c", Some("a\u{2028}b"), 1, 5);
        let codes: Vec<_> = errors.iter().map(|e| e.problem.clone()).collect();
        assert_eq!(
            codes,
            vec![
                FieldProblem::Required,
                FieldProblem::Length { min: 1, max: 5 },
                FieldProblem::OneLine
            ]
        );
    }
}
