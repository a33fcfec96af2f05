//! Reading a CSV of participants to register in bulk (`POST
//! /participants/import`): its columns, and each line's values checked as
//! for one participant. Every problem is named by its line and column
//! (`/lines/7/treatment_started_on`), so a coordinator can mend the file.
//! Which site a line names, and whether its pseudonym is taken, is the
//! service's to find out.
use chrono::NaiveDate;

use crate::kernel::field::{check_line, FieldError, FieldProblem};

/// The most lines one file may register.
pub const MAX_LINES: usize = 5000;

/// The most columns a file may have (it needs five at most).
pub const MAX_COLUMNS: usize = 32;

/// The most problems said of one file: enough to mend it by.
pub const MAX_PROBLEMS: usize = 500;

/// The columns a file may have; the first three are required.
pub const COLUMNS: [&str; 5] = [
    "pseudonym",
    "site",
    "treatment_started_on",
    "gender",
    "age_band",
];

/// Other names a spreadsheet may give a column.
const ALIASES: [(&str, &str); 4] = [
    ("treatment_start", "treatment_started_on"),
    ("treatment_started", "treatment_started_on"),
    ("site_name", "site"),
    ("age", "age_band"),
];

/// One line of the file, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Its line number in the file (the header is line 1).
    pub line: u64,
    pub pseudonym: String,
    /// A site's name or id, as written.
    pub site: String,
    pub treatment_started_on: Option<NaiveDate>,
    pub gender: Option<String>,
    pub age_band: Option<String>,
}

fn column_name(raw: &str) -> String {
    let name = raw
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .replace([' ', '-'], "_");
    ALIASES
        .iter()
        .find(|(a, _)| *a == name)
        .map_or(name, |(_, c)| c.to_string())
}

/// `,`, `;` (as spreadsheets write CSV where the comma is the decimal sign)
/// or a tab: whichever the header line has most of.
fn delimiter(bytes: &[u8]) -> u8 {
    let header = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| header.iter().filter(|b| *b == d).count())
        .unwrap_or(b',')
}

/// A date as `YYYY-MM-DD`, or `DD.MM.YYYY` as Norwegian spreadsheets write it.
fn date(v: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(v, "%d.%m.%Y"))
        .ok()
        .filter(|d| (1900..=2200).contains(&chrono::Datelike::year(d)))
}

/// The lines of `bytes`, and every problem found in them; `identifying`
/// names the columns that would hold who someone is.
pub fn read(bytes: &[u8], identifying: &[&str]) -> (Vec<Line>, Vec<FieldError>) {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut errors = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(bytes))
        .flexible(true)
        .from_reader(bytes);
    let header: Vec<String> = match reader.byte_headers() {
        Ok(h) => h
            .iter()
            .map(|c| column_name(&String::from_utf8_lossy(c)))
            .collect(),
        Err(_) => Vec::new(),
    };
    if header.len() > MAX_COLUMNS {
        // No spreadsheet of participants is this wide: said once, not per
        // column.
        errors.push(FieldError::new(
            "/header",
            FieldProblem::TooMany {
                max: MAX_COLUMNS as u64,
            },
        ));
        return (Vec::new(), errors);
    }
    let mut seen = std::collections::HashSet::new();
    for (i, name) in header.iter().enumerate() {
        let at = format!("/header/{i}");
        if identifying.contains(&name.as_str()) {
            errors.push(FieldError::new(at, FieldProblem::Identifying));
        } else if !COLUMNS.contains(&name.as_str()) {
            errors.push(FieldError::new(
                at,
                FieldProblem::NotOneOf {
                    allowed: COLUMNS.iter().map(|c| c.to_string()).collect(),
                },
            ));
        } else if !seen.insert(name.as_str()) {
            errors.push(FieldError::new(at, FieldProblem::Duplicate));
        }
    }
    for need in &COLUMNS[..3] {
        if !header.iter().any(|h| h == need) {
            errors.push(FieldError::new(
                format!("/header/{need}"),
                FieldProblem::Required,
            ));
        }
    }
    if !errors.is_empty() {
        return (Vec::new(), errors);
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut lines = Vec::new();
    // The line a record starts on, counted here: the CSV reader's count
    // skips blank lines and stops short of a CRLF's LF, and a record's
    // offset can be where the blank lines before it begin.
    let (mut seen_byte, mut seen_line) = (0usize, 1u64);
    let mut line_at = |byte: u64| {
        let mut byte = (byte as usize).min(bytes.len());
        while bytes.get(byte).is_some_and(|b| *b == b'\r' || *b == b'\n') {
            byte += 1;
        }
        if byte > seen_byte {
            seen_line += bytes[seen_byte..byte]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            seen_byte = byte;
        }
        seen_line
    };
    for record in reader.byte_records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                errors.push(FieldError::new(
                    format!("/lines/{line}"),
                    FieldProblem::Invalid,
                ));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        if record.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        if errors.len() >= MAX_PROBLEMS {
            break;
        }
        if lines.len() >= MAX_LINES {
            errors.push(FieldError::new(
                "/lines",
                FieldProblem::TooMany {
                    max: MAX_LINES as u64,
                },
            ));
            break;
        }
        let at = |c: &str| format!("/lines/{line}/{c}");
        let mut text = |c: &str| -> Option<String> {
            let raw = record.get(col(c)?)?;
            match std::str::from_utf8(raw) {
                Ok(v) => Some(v.trim().to_string()).filter(|v| !v.is_empty()),
                Err(_) => {
                    errors.push(FieldError::new(at(c), FieldProblem::Invalid));
                    None
                }
            }
        };
        let pseudonym = text("pseudonym").unwrap_or_default();
        let site = text("site").unwrap_or_default();
        let started = text("treatment_started_on");
        let gender = text("gender");
        let age_band = text("age_band");
        check_line(&mut errors, &at("pseudonym"), Some(&pseudonym), 1, 40);
        check_line(&mut errors, &at("site"), Some(&site), 1, 200);
        check_line(&mut errors, &at("gender"), gender.as_deref(), 0, 40);
        check_line(&mut errors, &at("age_band"), age_band.as_deref(), 0, 40);
        let treatment_started_on = match started.as_deref().map(date) {
            None => {
                errors.push(FieldError::new(
                    at("treatment_started_on"),
                    FieldProblem::Required,
                ));
                None
            }
            Some(None) => {
                errors.push(FieldError::new(
                    at("treatment_started_on"),
                    FieldProblem::NotADate,
                ));
                None
            }
            Some(d) => d,
        };
        lines.push(Line {
            line,
            pseudonym,
            site,
            treatment_started_on,
            gender,
            age_band,
        });
    }
    errors.truncate(MAX_PROBLEMS);
    if lines.is_empty() && errors.is_empty() {
        errors.push(FieldError::new(
            "/lines",
            FieldProblem::Count {
                min: 1,
                max: MAX_LINES as u64,
            },
        ));
    }
    (lines, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(e: &[FieldError]) -> Vec<(String, FieldProblem)> {
        e.iter()
            .map(|e| (e.pointer.clone(), e.problem.clone()))
            .collect()
    }

    #[test]
    fn a_spreadsheets_file_is_read_with_its_line_numbers() {
        let file = "\u{feff}Pseudonym;Site;Treatment start;Gender;Age band\r\nP01;Oslo;2022-03-01;woman;30-39\r\n\r\nP02;Bergen;15.04.2022;;\r\n";
        let (lines, errors) = read(file.as_bytes(), &["name"]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].line, lines[0].pseudonym.as_str()), (2, "P01"));
        assert_eq!(lines[0].gender.as_deref(), Some("woman"));
        assert_eq!(
            (
                lines[1].line,
                lines[1].site.as_str(),
                lines[1].age_band.clone()
            ),
            (4, "Bergen", None)
        );
        assert_eq!(
            lines[1].treatment_started_on,
            NaiveDate::from_ymd_opt(2022, 4, 15)
        );
    }

    #[test]
    fn every_bad_value_is_named_by_line_and_column() {
        let file =
            "pseudonym,site,treatment_started_on\nP01,Oslo,yesterday\n,Oslo,2022-01-01\nP03,,\n";
        let (_, errors) = read(file.as_bytes(), &[]);
        assert_eq!(
            problems(&errors),
            vec![
                (
                    "/lines/2/treatment_started_on".into(),
                    FieldProblem::NotADate
                ),
                ("/lines/3/pseudonym".into(), FieldProblem::Required),
                ("/lines/4/site".into(), FieldProblem::Required),
                (
                    "/lines/4/treatment_started_on".into(),
                    FieldProblem::Required
                ),
            ]
        );
    }

    #[test]
    fn columns_that_would_identify_someone_are_refused_outright() {
        let file =
            "pseudonym,site,treatment_started_on,phone,colour\nP01,Oslo,2022-01-01,999,red\n";
        let (lines, errors) = read(file.as_bytes(), &["phone"]);
        assert!(lines.is_empty());
        assert_eq!(errors[0].pointer, "/header/3");
        assert_eq!(errors[0].problem, FieldProblem::Identifying);
        assert_eq!(errors[1].pointer, "/header/4");
        let (_, errors) = read(b"pseudonym,gender\nP01,man\n", &[]);
        assert_eq!(
            problems(&errors),
            vec![
                ("/header/site".into(), FieldProblem::Required),
                (
                    "/header/treatment_started_on".into(),
                    FieldProblem::Required
                ),
            ]
        );
        let (_, errors) = read(b"pseudonym,site,treatment_started_on\n", &[]);
        assert_eq!(errors[0].pointer, "/lines");
        // A hostile header is said once.
        let wide = format!(
            "pseudonym,site,treatment_started_on{}\n",
            ",x".repeat(100_000)
        );
        let (_, errors) = read(wide.as_bytes(), &[]);
        assert_eq!(
            problems(&errors),
            vec![("/header".into(), FieldProblem::TooMany { max: 32 })]
        );
    }
}
