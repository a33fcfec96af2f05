//! Reading request documents into wire types, with the field of the first
//! problem kept as a JSON pointer. No HTTP types: the extractors
//! (`http::extract`) use it for bodies and query strings, and a service that
//! takes a document apart itself (which keys a PATCH has) uses it too.
use serde::de::DeserializeOwned;

use crate::kernel::{
    error::{ApiError, FieldError},
    field::FieldProblem,
};

pub(crate) fn segment_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                out.push_str(&format!("/{}", crate::kernel::error::pointer_segment(key)))
            }
            Segment::Enum { variant } => out.push_str(&format!("/{variant}")),
            Segment::Unknown => {}
        }
    }
    out
}

/// The field error of a value serde refused, classified by serde's own
/// message: a missing field is `required`, an unknown one `unknown_field`,
/// an unknown enum variant `not_one_of` with the allowed ones, anything
/// else `invalid` (with serde's words as the detail). serde names the field
/// in the message for unknown and missing fields; it is appended so the
/// pointer points at the field, not at its parent.
pub(crate) fn serde_field_error(pointer: String, message: &str) -> FieldError {
    let (pointer, message) = refine_pointer(pointer, message);
    let problem = if message.starts_with("missing field") {
        FieldProblem::Required
    } else if message.starts_with("unknown field") {
        FieldProblem::UnknownField
    } else if let Some(rest) = message
        .strip_prefix("unknown variant `")
        .and_then(|r| r.split_once("expected one of "))
        .map(|(_, list)| list)
    {
        FieldProblem::NotOneOf {
            allowed: rest
                .split(", ")
                .map(|w| w.trim_matches('`').to_string())
                .collect(),
        }
    } else {
        FieldProblem::Invalid
    };
    FieldError::said(pointer, problem, message)
}

fn refine_pointer(mut pointer: String, message: &str) -> (String, String) {
    for prefix in ["unknown field `", "missing field `", "duplicate field `"] {
        if let Some(rest) = message.strip_prefix(prefix) {
            if let Some(end) = rest.find('`') {
                let field = format!("/{}", &rest[..end]);
                if !pointer.ends_with(&field) {
                    pointer.push_str(&field);
                }
            }
        }
    }
    let message = match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    };
    let message = if message.starts_with("unknown field") {
        match message.find(", expected") {
            Some(i) => format!("{} (this field is not part of the request)", &message[..i]),
            None => message,
        }
    } else {
        message
    };
    if pointer.is_empty() {
        pointer.push('/');
    }
    (pointer, message)
}

/// Deserializes an already-parsed body (e.g. after checking which keys it has).
pub fn parse_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(json_error)
}

pub(crate) fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let pointer = segment_pointer(e.path());
    let inner = e.inner();
    match inner.classify() {
        serde_json::error::Category::Syntax
        | serde_json::error::Category::Eof
        | serde_json::error::Category::Io => ApiError::BadRequest {
            code: "malformed_json",
            detail: format!("The request body is not valid JSON: {inner}"),
        },
        serde_json::error::Category::Data => {
            ApiError::Validation(vec![serde_field_error(pointer, &inner.to_string())])
        }
    }
}

/// For `Option<Option<T>>` fields of a PATCH: absent is `None`, `null` is
/// `Some(None)`. Use with `#[serde(default, deserialize_with = "present")]`.
pub fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// Refuses, anywhere in `value`, dates outside [`YEARS`] and strings or keys
/// holding a NUL character, naming each with its pointer (`prefix` followed
/// by its place in `value`).
///
/// NUL is refused everywhere alike: PostgreSQL cannot store it in text (the
/// statement fails), SQLite would store it, and no field of the service has
/// a use for it.
pub fn check_strings(value: &serde_json::Value, prefix: &str) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    scan_strings(value, &mut prefix.to_string(), &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Years a date or time may have. Outside them the service does no fieldwork
/// and its date arithmetic would overflow.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

pub(crate) const DATE_RANGE: FieldProblem = FieldProblem::DateRange {
    min: *YEARS.start(),
    max: *YEARS.end(),
};

/// The year of a string that is a whole date or RFC 3339 time, if it is one.
/// Every length is looked at: a time with a long fractional second (or a
/// six-digit year) is still a time the deserializer accepts.
pub(crate) fn date_year(s: &str) -> Option<i32> {
    use chrono::Datelike;
    let first = s.chars().next()?;
    if s.len() < 10 || !(first.is_ascii_digit() || first == '+' || first == '-') {
        return None;
    }
    s.parse::<chrono::DateTime<chrono::Utc>>()
        .map(|t| t.year())
        .or_else(|_| s.parse::<chrono::NaiveDate>().map(|d| d.year()))
        .ok()
}

fn scan_strings(v: &serde_json::Value, pointer: &mut String, errors: &mut Vec<FieldError>) {
    match v {
        serde_json::Value::String(s) if s.contains('\0') => {
            errors.push(FieldError::new(pointer.clone(), FieldProblem::Nul));
        }
        serde_json::Value::String(s) if date_year(s).is_some_and(|y| !YEARS.contains(&y)) => {
            errors.push(FieldError::new(pointer.clone(), DATE_RANGE));
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                scan_strings(item, pointer, errors);
                pointer.truncate(len);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, item) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&crate::kernel::error::pointer_segment(k));
                if k.contains('\0') {
                    errors.push(FieldError::new(pointer.clone(), FieldProblem::Nul));
                }
                scan_strings(item, pointer, errors);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}
