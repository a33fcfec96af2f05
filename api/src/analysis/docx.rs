//! The text of a Word document (`.docx`), read with the `docx-rs` crate, so
//! that a transcript typed in Word can be checked and saved as plain text.
//! Paragraphs become lines; a table's cells are separated by tabs and its
//! rows by lines; tracked deletions are left out and tracked insertions
//! kept, as Word shows the text with changes accepted.
use docx_rs::{
    DocumentChild, InsertChild, Paragraph, ParagraphChild, Run, RunChild, StructuredDataTagChild,
    Table, TableCellContent, TableChild, TableRowChild,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::kernel::error::{ApiError, ApiResult};

/// A Word document's text, to check before it is saved as a transcript.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocxText {
    /// The text: one line per paragraph.
    pub body: String,
    /// Its length in Unicode code points.
    pub characters: u64,
    /// Paragraphs read (table rows count one each).
    pub paragraphs: u64,
}

/// A Word document, sent as the body's bytes.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct DocxUpload(#[allow(dead_code)] Vec<u8>);

fn unreadable() -> ApiError {
    ApiError::unprocessable("docx_unreadable",
        "This is not a Word document (.docx) that can be read. Save it as .docx, or as plain text (.txt), and try again.",
    )
}

/// Reads the document off the request's thread; a document the reader
/// cannot take (even one that would make it fail hard) is refused, never
/// an error of the server.
pub async fn text_of(bytes: Vec<u8>) -> ApiResult<DocxText> {
    let read = tokio::task::spawn_blocking(move || {
        docx_rs::read_docx(&bytes)
            .ok()
            .map(|d| lines(&d.document.children))
    })
    .await
    .map_err(|_| unreadable())?
    .ok_or_else(unreadable)?;
    let paragraphs = read.len() as u64;
    let body = read.join("\n").trim_end().to_string();
    if body.trim().is_empty() {
        return Err(ApiError::unprocessable(
            "docx_empty",
            "This Word document has no text.",
        ));
    }
    Ok(DocxText {
        characters: body.chars().count() as u64,
        body,
        paragraphs,
    })
}

fn lines(children: &[DocumentChild]) -> Vec<String> {
    let mut out = Vec::new();
    for c in children {
        match c {
            DocumentChild::Paragraph(p) => out.push(paragraph(p)),
            DocumentChild::Table(t) => table(t, &mut out),
            DocumentChild::StructuredDataTag(t) => tagged(&t.children, &mut out),
            _ => {}
        }
    }
    out
}

fn tagged(children: &[StructuredDataTagChild], out: &mut Vec<String>) {
    let mut line = String::new();
    for c in children {
        match c {
            StructuredDataTagChild::Run(r) => run(r, &mut line),
            StructuredDataTagChild::Paragraph(p) => out.push(paragraph(p)),
            StructuredDataTagChild::Table(t) => table(t, out),
            StructuredDataTagChild::StructuredDataTag(t) => tagged(&t.children, out),
            _ => {}
        }
    }
    if !line.is_empty() {
        out.push(line);
    }
}

fn table(t: &Table, out: &mut Vec<String>) {
    for TableChild::TableRow(row) in &t.rows {
        let cells: Vec<String> = row
            .cells
            .iter()
            .map(|TableRowChild::TableCell(cell)| {
                let mut inner = Vec::new();
                for c in &cell.children {
                    match c {
                        TableCellContent::Paragraph(p) => inner.push(paragraph(p)),
                        TableCellContent::Table(t) => table(t, &mut inner),
                        TableCellContent::StructuredDataTag(t) => tagged(&t.children, &mut inner),
                        TableCellContent::TableOfContents(_) => {}
                    }
                }
                inner.join(" ")
            })
            .collect();
        out.push(cells.join("\t"));
    }
}

fn paragraph(p: &Paragraph) -> String {
    let mut line = String::new();
    in_paragraph(&p.children, &mut line);
    line
}

fn in_paragraph(children: &[ParagraphChild], line: &mut String) {
    for c in children {
        match c {
            ParagraphChild::Run(r) => run(r, line),
            ParagraphChild::Insert(i) => {
                for c in &i.children {
                    if let InsertChild::Run(r) = c {
                        run(r, line);
                    }
                }
            }
            ParagraphChild::Hyperlink(h) => in_paragraph(&h.children, line),
            ParagraphChild::StructuredDataTag(t) => {
                let mut inner = Vec::new();
                tagged(&t.children, &mut inner);
                line.push_str(&inner.join(" "));
            }
            _ => {}
        }
    }
}

fn run(r: &Run, line: &mut String) {
    for c in &r.children {
        match c {
            RunChild::Text(t) => line.push_str(&t.text),
            RunChild::Tab(_) | RunChild::PTab(_) => line.push('\t'),
            RunChild::Break(_) | RunChild::CarriageReturn(_) => line.push('\n'),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docx(build: impl FnOnce(docx_rs::Docx) -> docx_rs::Docx) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        build(docx_rs::Docx::new())
            .build()
            .pack(&mut buf)
            .expect("packed");
        buf.into_inner()
    }

    #[tokio::test]
    async fn reads_paragraphs_tabs_and_tables() {
        use docx_rs::{Paragraph, Run, Table, TableCell, TableRow};
        let bytes = docx(|d| {
            d.add_paragraph(Paragraph::new().add_run(Run::new().add_text("I: How was the week?")))
                .add_paragraph(
                    Paragraph::new()
                        .add_run(Run::new().add_text("P:"))
                        .add_run(Run::new().add_tab().add_text("Better, æøå.")),
                )
                .add_table(Table::new(vec![TableRow::new(vec![
                    TableCell::new()
                        .add_paragraph(Paragraph::new().add_run(Run::new().add_text("a"))),
                    TableCell::new()
                        .add_paragraph(Paragraph::new().add_run(Run::new().add_text("b"))),
                ])]))
        });
        let t = text_of(bytes).await.expect("read");
        assert_eq!(t.body, "I: How was the week?\nP:\tBetter, æøå.\na\tb");
        assert_eq!(t.paragraphs, 3);
        assert_eq!(t.characters, t.body.chars().count() as u64);
    }

    #[tokio::test]
    async fn refuses_what_is_not_a_document() {
        let e = text_of(b"plain words".to_vec()).await.expect_err("refused");
        assert!(format!("{e:?}").contains("docx_unreadable"));
        let empty = docx(|d| d);
        let e = text_of(empty).await.expect_err("refused");
        assert!(format!("{e:?}").contains("docx_empty"));
    }
}
