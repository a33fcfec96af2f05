//! The codebook as a REFI-QDA codebook file (`.qdc`, QDA-XML codebook 1.0),
//! the form NVivo, ATLAS.ti, MAXQDA and QualCoder exchange codebooks in:
//! written for `GET /exports/codebook.qdc` (and inside the `.qdpx`), read
//! for `POST /codes/import`. Pure: no database in sight.
//!
//! A code's dimension has no place of its own in the format; it is written
//! as the description's last paragraph, `Dimension: relational`, and read
//! back from there, so a codebook goes out and comes back the same.
use std::collections::HashMap;

use quick_xml::events::{BytesDecl, Event};
use uuid::Uuid;

use crate::kernel::{
    field::{check_line, FieldError, FieldProblem},
    xml::Xml,
};

/// The codebook format's XML namespace.
pub const NS: &str = "urn:QDA-XML:codebook:1.0";

/// The most codes one file may bring, and how deep they may nest.
pub const MAX_CODES: usize = 2000;
pub const MAX_DEPTH: usize = 20;

const DIMENSION: &str = "Dimension: ";

/// A code's description as the file carries it: its own words, then its
/// dimension as the last paragraph.
fn description_of(c: &entity::code::Model) -> String {
    let mut desc = c.description.clone().unwrap_or_default();
    if let Some(d) = &c.dimension {
        if !desc.is_empty() {
            desc.push_str("\n\n");
        }
        desc.push_str(DIMENSION);
        desc.push_str(d);
    }
    desc
}

/// A description as read back: its own words, and the dimension when the
/// last paragraph names one.
fn split_description(raw: &str) -> (Option<String>, Option<String>) {
    let raw = raw.trim();
    let (words, last) = match raw.rfind("\n\n") {
        Some(i) => (&raw[..i], &raw[i + 2..]),
        None => ("", raw),
    };
    let own = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    match last.strip_prefix(DIMENSION) {
        Some(d) if !d.contains('\n') => (own(words), own(d)),
        _ => (own(raw), None),
    }
}

/// Writes `<Codes>` with every code of `codes` (in reading order: each
/// code before the codes under it, siblings in the team's order).
pub fn write_codes(x: &mut Xml, codes: &[entity::code::Model]) -> std::io::Result<()> {
    let mut children: HashMap<Option<Uuid>, Vec<&entity::code::Model>> = HashMap::new();
    for c in codes {
        children.entry(c.parent_id).or_default().push(c);
    }
    fn code(
        x: &mut Xml,
        c: &entity::code::Model,
        children: &HashMap<Option<Uuid>, Vec<&entity::code::Model>>,
        depth: usize,
    ) -> std::io::Result<()> {
        let attrs = [
            ("guid", c.id.to_string()),
            ("name", c.name.clone()),
            ("isCodable", "true".to_string()),
        ];
        let attrs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let kids = children.get(&Some(c.id)).filter(|_| depth < 64);
        let desc = description_of(c);
        if kids.is_none() && desc.is_empty() {
            return x.empty("Code", &attrs);
        }
        x.open("Code", &attrs)?;
        if !desc.is_empty() {
            x.text_element("Description", &desc)?;
        }
        for k in kids.into_iter().flatten() {
            code(x, k, children, depth + 1)?;
        }
        x.close("Code")
    }
    x.open("Codes", &[])?;
    for c in children.get(&None).into_iter().flatten() {
        code(x, c, &children, 0)?;
    }
    x.close("Codes")
}

/// The whole `.qdc` document for `codes` (at least one).
pub fn document(codes: &[entity::code::Model], origin: &str) -> std::io::Result<Vec<u8>> {
    let mut x = Xml::new();
    x.w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    x.open("CodeBook", &[("xmlns", NS), ("origin", origin)])?;
    write_codes(&mut x, codes)?;
    x.close("CodeBook")?;
    let mut out = x.take();
    out.push(b'\n');
    Ok(out)
}

/// A code read from a `.qdc` file, in the file's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The file's id for it, when it is a valid GUID.
    pub guid: Option<Uuid>,
    pub name: String,
    pub description: Option<String>,
    pub dimension: Option<String>,
    /// The index (in this list) of the code it is under.
    pub parent: Option<usize>,
}

/// Why a file is no codebook at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable;

/// The most attributes one element may carry (a code has four).
const MAX_ATTRIBUTES: usize = 64;

fn attr(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> Result<Option<String>, Unreadable> {
    // quick-xml's duplicate check compares every attribute with every one
    // before it: off, with the count bounded instead.
    for (i, a) in e.attributes().with_checks(false).enumerate() {
        if i >= MAX_ATTRIBUTES {
            return Err(Unreadable);
        }
        let a = a.map_err(|_| Unreadable)?;
        if a.key.local_name().as_ref() == name {
            return Ok(Some(
                a.unescape_value().map_err(|_| Unreadable)?.into_owned(),
            ));
        }
    }
    Ok(None)
}

/// The codes of a `.qdc` file, each checked as a code of this codebook
/// (pointers `/codes/{n}/name` count codes in the file's order, from 0);
/// `Unreadable` when it is not a codebook file.
pub fn read(bytes: &[u8]) -> Result<(Vec<Incoming>, Vec<FieldError>), Unreadable> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes))
        .map_err(|_| Unreadable)?;
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut codes: Vec<Incoming> = Vec::new();
    let mut errors = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut root = false;
    loop {
        let ev = reader.read_event().map_err(|_| Unreadable)?;
        let (e, empty) = match &ev {
            Event::Eof => break,
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                if e.local_name().as_ref() == b"Code" {
                    open.pop();
                }
                continue;
            }
            _ => continue,
        };
        match e.local_name().as_ref() {
            b"CodeBook" => root = true,
            b"Code" if root => {
                let n = codes.len();
                if n >= MAX_CODES {
                    errors.push(FieldError::new(
                        "/codes",
                        FieldProblem::TooMany {
                            max: MAX_CODES as u64,
                        },
                    ));
                    break;
                }
                let name = attr(e, b"name")?.unwrap_or_default();
                let guid = attr(e, b"guid")?.and_then(|g| {
                    g.trim_matches(|c| c == '{' || c == '}')
                        .parse::<Uuid>()
                        .ok()
                });
                check_line(
                    &mut errors,
                    &format!("/codes/{n}/name"),
                    Some(&name),
                    1,
                    120,
                );
                if open.len() >= MAX_DEPTH {
                    errors.push(FieldError::new(
                        format!("/codes/{n}"),
                        FieldProblem::AtMost {
                            max: MAX_DEPTH as i64,
                        },
                    ));
                }
                codes.push(Incoming {
                    guid,
                    name: name.trim().to_string(),
                    description: None,
                    dimension: None,
                    parent: open.last().copied(),
                });
                if !empty {
                    open.push(n);
                }
            }
            b"Description" if !empty => {
                let name = e.name().as_ref().to_vec();
                let raw = reader
                    .read_text(quick_xml::name::QName(&name))
                    .map_err(|_| Unreadable)?;
                let raw = quick_xml::escape::unescape(&raw).map_err(|_| Unreadable)?;
                // A description of a code; one of a set is not kept.
                if let Some(c) = open.last().and_then(|i| codes.get_mut(*i)) {
                    let (words, dimension) = split_description(&raw);
                    let n = open.last().copied().unwrap_or_default();
                    if words.as_ref().is_some_and(|w| w.chars().count() > 2000) {
                        errors.push(FieldError::new(
                            format!("/codes/{n}/description"),
                            FieldProblem::TooLong { max: 2000 },
                        ));
                    }
                    if let Some(d) = &dimension {
                        check_line(
                            &mut errors,
                            &format!("/codes/{n}/dimension"),
                            Some(d),
                            0,
                            60,
                        );
                    }
                    c.description = words;
                    c.dimension = dimension;
                }
            }
            b"Sets" => break,
            _ => {}
        }
    }
    if !root {
        return Err(Unreadable);
    }
    if codes.is_empty() && errors.is_empty() {
        errors.push(FieldError::new(
            "/codes",
            FieldProblem::Count {
                min: 1,
                max: MAX_CODES as u64,
            },
        ));
    }
    Ok((codes, errors))
}

/// What importing a file's codes into a codebook does: the codes it makes
/// (in the file's order, each with its path) and those whose name was
/// already there under the same parent. The file's GUIDs become the new
/// codes' ids where no code has them; a new code goes last among its
/// siblings.
pub struct Plan {
    pub created: Vec<(String, Uuid)>,
    pub existing: Vec<(String, Uuid)>,
    pub new_codes: Vec<entity::code::Model>,
    /// The ids of `new_codes`.
    pub new_ids: std::collections::HashSet<Uuid>,
}

/// Plans importing `incoming` into `codes`, at the top or `under` a code.
pub fn plan(
    codes: &[entity::code::Model],
    incoming: &[Incoming],
    under: Option<Uuid>,
    now: chrono::DateTime<chrono::Utc>,
    by: Uuid,
) -> Plan {
    let mut codes = codes.to_vec();
    let path_of = |codes: &[entity::code::Model], id: Option<Uuid>| -> Vec<String> {
        let mut names = Vec::new();
        let mut at = id;
        while let Some(c) = at.and_then(|i| codes.iter().find(|c| c.id == i)) {
            names.push(c.name.clone());
            at = c.parent_id;
            if names.len() > 64 {
                break;
            }
        }
        names.reverse();
        names
    };
    let mut used: std::collections::HashSet<Uuid> = codes.iter().map(|c| c.id).collect();
    let mut placed: Vec<Uuid> = Vec::with_capacity(incoming.len());
    let mut out = Plan {
        created: Vec::new(),
        existing: Vec::new(),
        new_codes: Vec::new(),
        new_ids: std::collections::HashSet::new(),
    };
    for c in incoming {
        let parent = match c.parent {
            Some(i) => placed.get(i).copied(),
            None => under,
        };
        let key = c.name.to_lowercase();
        if let Some(same) = codes
            .iter()
            .find(|o| o.parent_id == parent && o.name.to_lowercase() == key)
        {
            placed.push(same.id);
            out.existing
                .push((path_of(&codes, Some(same.id)).join(" > "), same.id));
            continue;
        }
        let mut path = path_of(&codes, parent);
        path.push(c.name.clone());
        let id = c
            .guid
            .filter(|g| !used.contains(g))
            .unwrap_or_else(Uuid::now_v7);
        used.insert(id);
        let position = codes
            .iter()
            .filter(|o| o.parent_id == parent)
            .map(|o| o.position)
            .max()
            .map_or(0, |p| p.saturating_add(1));
        let m = entity::code::Model {
            id,
            parent_id: parent,
            name: c.name.clone(),
            description: c.description.clone(),
            dimension: c.dimension.clone(),
            position,
            created_by: Some(by),
            created_at: now,
            updated_at: now,
        };
        codes.push(m.clone());
        out.new_codes.push(m);
        out.new_ids.insert(id);
        placed.push(id);
        out.created.push((path.join(" > "), id));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn code(
        name: &str,
        parent: Option<Uuid>,
        desc: Option<&str>,
        dim: Option<&str>,
    ) -> entity::code::Model {
        entity::code::Model {
            id: Uuid::now_v7(),
            parent_id: parent,
            name: name.into(),
            description: desc.map(Into::into),
            dimension: dim.map(Into::into),
            position: 0,
            created_by: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn a_codebook_goes_out_and_comes_back_the_same() {
        let root = code(
            "Stability & <trust>",
            None,
            Some("What holds.\n\nAcross visits."),
            Some("relational"),
        );
        let kid = code("Daily \"rhythm\"", Some(root.id), None, Some("medical"));
        let other = code("Staff", None, Some("Who works there"), None);
        let codes = vec![root.clone(), kid.clone(), other.clone()];
        let bytes = document(&codes, "Fieldnotes test").expect("written");
        let (back, errors) = read(&bytes).expect("readable");
        assert!(errors.is_empty(), "{errors:?}");
        let got: Vec<_> = back
            .iter()
            .map(|c| {
                (
                    c.guid,
                    c.name.as_str(),
                    c.description.as_deref(),
                    c.dimension.as_deref(),
                    c.parent,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    Some(root.id),
                    "Stability & <trust>",
                    Some("What holds.\n\nAcross visits."),
                    Some("relational"),
                    None
                ),
                (
                    Some(kid.id),
                    "Daily \"rhythm\"",
                    None,
                    Some("medical"),
                    Some(0)
                ),
                (Some(other.id), "Staff", Some("Who works there"), None, None),
            ]
        );
    }

    #[test]
    fn an_import_merges_by_name_keeps_guids_and_goes_last() {
        let root = code("Trust", None, None, None);
        let kid = code("Staff", Some(root.id), None, None);
        let incoming = vec![
            Incoming {
                guid: Some(root.id),
                name: "trust".into(),
                description: None,
                dimension: None,
                parent: None,
            },
            Incoming {
                guid: Some(kid.id),
                name: "Promises".into(),
                description: None,
                dimension: None,
                parent: Some(0),
            },
            Incoming {
                guid: None,
                name: "Promises".into(),
                description: None,
                dimension: None,
                parent: Some(0),
            },
        ];
        let p = plan(
            &[root.clone(), kid.clone()],
            &incoming,
            None,
            Utc::now(),
            Uuid::nil(),
        );
        assert_eq!(
            p.existing,
            vec![
                ("Trust".to_string(), root.id),
                ("Trust > Promises".to_string(), p.created[0].1)
            ]
        );
        assert_eq!(p.created.len(), 1);
        assert_eq!(p.created[0].0, "Trust > Promises");
        // The file's GUID is taken by Staff here: a new id, placed after it.
        assert_ne!(p.created[0].1, kid.id);
        assert_eq!(p.new_codes[0].position, 1);
        assert!(p.new_ids.contains(&p.created[0].1));
    }

    #[test]
    fn another_tools_file_is_read_and_its_problems_named() {
        let file = r##"<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="ATLAS.ti">
  <Codes>
    <Code guid="{1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294}" name="code1" isCodable="true" color="#46AA00">
      <Description>A &amp; B</Description>
      <Code guid="not-a-guid" name="" isCodable="false"/>
    </Code>
  </Codes>
  <Sets><Set name="group" guid="ECA18D76-2B8B-4A1B-9A3B-4B7B0F5E2C11"><Description>x</Description></Set></Sets>
</CodeBook>"##;
        let (codes, errors) = read(file.as_bytes()).expect("readable");
        assert_eq!(codes.len(), 2);
        assert_eq!(codes[0].description.as_deref(), Some("A & B"));
        assert_eq!(
            codes[0].guid.map(|g| g.to_string()),
            Some("1ff58b12-6f6f-4b0c-8be5-bbdc91f55294".into())
        );
        assert_eq!((codes[1].guid, codes[1].parent), (None, Some(0)));
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].pointer.as_str(), &errors[0].problem),
            ("/codes/1/name", &FieldProblem::Required)
        );
        assert_eq!(read(b"<html><body/></html>"), Err(Unreadable));
        assert_eq!(read(b"not xml <"), Err(Unreadable));
        assert_eq!(
            read(b"<CodeBook><Codes></Code></CodeBook>"),
            Err(Unreadable)
        );
    }
}
