//! Passages of a text, as REFI-QDA counts them: positions are Unicode code
//! points (not bytes, not UTF-16 units), the end is exclusive. A passage may
//! not cut a user-perceived character in two (a letter and its accent, an
//! emoji and its skin tone or its joined family), because no analysis tool
//! can show half of one.
use unicode_segmentation::UnicodeSegmentation;

use crate::kernel::field::{FieldError, FieldProblem};

/// The code-point positions where a user-perceived character starts, and the
/// length of the text: every position a passage may start or end at.
fn boundaries(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = 0;
    for g in text.graphemes(true) {
        out.push(at);
        at += g.chars().count();
    }
    out.push(at);
    out
}

/// The words between code points `start` and `end` of `text`.
pub fn quote(text: &str, start: i64, end: i64) -> Result<String, FieldError> {
    if start < 0 {
        return Err(FieldError::new("/start", FieldProblem::AtLeast { min: 0 }));
    }
    if end <= start {
        return Err(FieldError::new(
            "/end",
            FieldProblem::NotAfter {
                other: "start".into(),
            },
        ));
    }
    let len = text.chars().count() as i64;
    if end > len {
        return Err(FieldError::new(
            "/end",
            FieldProblem::PastEnd { length: len as u64 },
        ));
    }
    let cuts = boundaries(text);
    let ok = |p: i64| cuts.binary_search(&(p as usize)).is_ok();
    if !ok(start) {
        return Err(FieldError::new("/start", FieldProblem::InsideCharacter));
    }
    if !ok(end) {
        return Err(FieldError::new("/end", FieldProblem::InsideCharacter));
    }
    Ok(text
        .chars()
        .skip(start as usize)
        .take((end - start) as usize)
        .collect())
}

/// Where a coded passage goes after its text changed: the code-point start
/// of `quote` when it occurs exactly once in `text` (overlapping
/// occurrences count), else `None`: the coding is kept but unanchored, never
/// pointed at other words.
pub fn reanchor(quote: &str, text: &str) -> Option<usize> {
    if quote.is_empty() {
        return None;
    }
    let mut found = None;
    let mut from = 0;
    while let Some(i) = text[from..].find(quote) {
        let at = from + i;
        if found.is_some() {
            return None;
        }
        found = Some(at);
        // Step one character, so overlapping occurrences are seen.
        from = at + text[at..].chars().next().map_or(1, char::len_utf8);
        if from >= text.len() {
            break;
        }
    }
    found.map(|byte| text[..byte].chars().count())
}

/// A text as an analysis tool reads a plain-text source: LF line ends and
/// no byte-order mark. Code-point positions into the original map onto it
/// with [`Plain::pos`].
pub struct Plain {
    pub text: String,
    /// Code-point positions (in the original) of the characters dropped: a
    /// BOM at the start, the CR of each CR LF.
    dropped: Vec<usize>,
}

impl Plain {
    pub fn new(original: &str) -> Self {
        let mut text = String::with_capacity(original.len());
        let mut dropped = Vec::new();
        let mut chars = original.chars().enumerate().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '\u{feff}' if i == 0 => dropped.push(i),
                '\r' if chars.peek().is_some_and(|(_, n)| *n == '\n') => dropped.push(i),
                '\r' => text.push('\n'),
                c => text.push(c),
            }
        }
        Plain { text, dropped }
    }

    /// Where code point `p` of the original is in [`Plain::text`].
    pub fn pos(&self, p: usize) -> usize {
        p - self.dropped.partition_point(|&d| d < p)
    }

    /// Length in code points.
    pub fn len(&self) -> usize {
        self.text.chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn counts_code_points_not_bytes() {
        let t = "Blåbær 😀 i venterommet";
        assert_eq!(quote(t, 0, 6).expect("ok"), "Blåbær");
        assert_eq!(quote(t, 7, 8).expect("ok"), "😀");
        assert_eq!(quote(t, 9, 10).expect("ok"), "i");
    }

    #[test]
    fn refuses_spans_outside_or_backwards() {
        assert!(matches!(quote("abc", -1, 2), Err(e) if e.pointer == "/start"));
        assert!(matches!(quote("abc", 2, 2), Err(e) if e.pointer == "/end"));
        assert!(matches!(quote("abc", 0, 4), Err(e) if e.pointer == "/end"));
        assert_eq!(quote("abc", 0, 3).expect("ok"), "abc");
    }

    #[test]
    fn refuses_to_cut_a_character() {
        // "e" + combining acute, then a family emoji joined by ZWJs.
        let t = "cafe\u{301} 👨\u{200d}👩\u{200d}👧!";
        assert!(matches!(quote(t, 0, 4), Err(e) if e.pointer == "/end"));
        assert_eq!(quote(t, 0, 5).expect("ok"), "cafe\u{301}");
        assert!(matches!(quote(t, 7, 11), Err(e) if e.pointer == "/start"));
        assert_eq!(quote(t, 6, 11).expect("ok"), "👨\u{200d}👩\u{200d}👧");
    }

    #[test]
    fn moves_a_quote_that_occurs_once() {
        assert_eq!(reanchor("venter", "Nå: Ola venter ute"), Some(8));
        assert_eq!(reanchor("ø", "åøå"), Some(1));
        assert_eq!(reanchor("venter", "ingen her"), None);
        assert_eq!(reanchor("ja", "ja og ja"), None);
        // Overlapping occurrences are two, not one.
        assert_eq!(reanchor("aa", "aaa"), None);
        assert_eq!(reanchor("", "abc"), None);
    }

    #[test]
    fn plain_text_has_lf_and_no_bom_and_positions_follow() {
        let p = Plain::new("\u{feff}ab\r\ncd\ref");
        assert_eq!(p.text, "ab\ncd\nef");
        // "c" is code point 5 of the original, 3 of the plain text.
        assert_eq!(p.pos(5), 3);
        assert_eq!(p.pos(1), 0);
        assert_eq!(p.pos(9), 7);
        assert_eq!(p.len(), 8);
    }

    proptest! {
        #[test]
        fn a_quote_found_once_is_found_where_it_is(
            pre in "[a-zæøå😀 ]{0,12}", q in "[A-ZÆØÅ]{1,6}", post in "[a-zæøå😀 ]{0,12}"
        ) {
            let text = format!("{pre}{q}{post}");
            let at = reanchor(&q, &text).expect("occurs once");
            prop_assert_eq!(at, pre.chars().count());
            let end = at + q.chars().count();
            prop_assert_eq!(quote(&text, at as i64, end as i64).expect("ok"), q);
        }

        #[test]
        fn any_span_on_char_bounds_of_ascii_quotes_exactly(s in "[ -~]{1,40}", a in 0usize..40, b in 0usize..41) {
            let n = s.chars().count();
            let (a, b) = (a.min(n), b.min(n));
            match quote(&s, a as i64, b as i64) {
                Ok(q) => prop_assert_eq!(q, s[a..b].to_string()),
                Err(_) => prop_assert!(b <= a),
            }
        }
    }
}
