//! Writing XML for the exchange formats (`.qdpx`, `.qdc`): a small writer
//! over quick-xml, which does the escaping.
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};

/// Drops what XML 1.0 cannot hold (most control characters).
pub fn xml_safe(s: &str) -> String {
    s.chars()
        .filter(|c| {
            matches!(c, '\t' | '\n' | '\r') || (*c >= ' ' && *c != '\u{fffe}' && *c != '\u{ffff}')
        })
        .collect()
}

/// A small writer over quick-xml: escaping is quick-xml's.
pub struct Xml {
    pub w: quick_xml::Writer<Vec<u8>>,
}

impl Xml {
    pub fn new() -> Self {
        Xml {
            w: quick_xml::Writer::new_with_indent(Vec::with_capacity(64 * 1024), b' ', 1),
        }
    }
    fn start(name: &str, attrs: &[(&str, &str)]) -> BytesStart<'static> {
        let mut e = BytesStart::new(name.to_string());
        for (k, v) in attrs {
            e.push_attribute((*k, xml_safe(v).as_str()));
        }
        e
    }
    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
        self.w.write_event(Event::Start(Self::start(name, attrs)))
    }
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
        self.w.write_event(Event::Empty(Self::start(name, attrs)))
    }
    pub fn close(&mut self, name: &str) -> std::io::Result<()> {
        self.w
            .write_event(Event::End(BytesEnd::new(name.to_string())))
    }
    pub fn text_element(&mut self, name: &str, text: &str) -> std::io::Result<()> {
        self.open(name, &[])?;
        self.w
            .write_event(Event::Text(BytesText::new(&xml_safe(text))))?;
        self.close(name)
    }
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(self.w.get_mut())
    }
    pub fn buffered(&mut self) -> usize {
        self.w.get_mut().len()
    }
}

impl Default for Xml {
    fn default() -> Self {
        Self::new()
    }
}
