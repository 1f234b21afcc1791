//! XML encoding of Query protocol responses.
//!
//! The generated code implements [`XmlEncode`] for every output structure and
//! drives an [`XmlWriter`]; this module only knows how to write elements and
//! escape text, and how to wrap a result in the `{Op}Response` envelope that
//! botocore's `QueryParser` unwraps (it looks for the operation's
//! `resultWrapper` element, then reads members by name, lists as `<member>`
//! children and maps as `<entry><key/><value/></entry>`).

use base64::Engine as _;
use time::OffsetDateTime;

/// A structure that can be written as the children of an XML element.
pub trait XmlEncode {
    /// Write this value's members, in model order, as child elements.
    fn encode_xml(&self, w: &mut XmlWriter);
}

/// The unit output of operations that have no output shape.
impl XmlEncode for () {
    fn encode_xml(&self, _w: &mut XmlWriter) {}
}

/// An append-only XML writer. Element names come from the models (never from
/// user input), so only text is escaped.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    /// An empty writer.
    pub fn new() -> Self {
        XmlWriter {
            out: String::with_capacity(512),
        }
    }

    /// `<name>`
    pub fn start(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `</name>`
    pub fn end(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `<name>text</name>`, with the text escaped.
    pub fn text(&mut self, name: &str, text: &str) {
        self.start(name);
        escape_into(&mut self.out, text);
        self.end(name);
    }

    /// A policy-document element: IAM returns policy documents URL-encoded
    /// inside the XML (botocore's `json_decode_policies` unquotes them), so
    /// handlers return the plain JSON and it is encoded here. Unreserved
    /// characters stay as they are; everything else, space included, is
    /// percent-encoded (never `+`, which `unquote` would keep).
    pub fn url_encoded_text(&mut self, name: &str, text: &str) {
        const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'_')
            .remove(b'.')
            .remove(b'~');
        let encoded = percent_encoding::utf8_percent_encode(text, SET).to_string();
        self.text(name, &encoded);
    }

    /// An integer element.
    pub fn int(&mut self, name: &str, value: i64) {
        self.start(name);
        self.out.push_str(&value.to_string());
        self.end(name);
    }

    /// A boolean element (`true`/`false`).
    pub fn boolean(&mut self, name: &str, value: bool) {
        self.text(name, if value { "true" } else { "false" });
    }

    /// A timestamp element in ISO 8601 UTC with seconds precision, e.g.
    /// `2024-01-01T00:00:00Z`, the form IAM and STS answer with.
    pub fn timestamp(&mut self, name: &str, value: &OffsetDateTime) {
        let formatted = format_timestamp(value);
        self.text(name, &formatted);
    }

    /// A blob element, base64-encoded (botocore decodes it back).
    pub fn blob(&mut self, name: &str, value: &[u8]) {
        let encoded = base64::engine::general_purpose::STANDARD.encode(value);
        self.text(name, &encoded);
    }

    /// A nested structure element.
    pub fn structure<T: XmlEncode + ?Sized>(&mut self, name: &str, value: &T) {
        self.start(name);
        value.encode_xml(self);
        self.end(name);
    }

    /// The XML written so far.
    pub fn finish(self) -> String {
        self.out
    }
}

/// Formats a timestamp as AWS's Query services do: ISO 8601, UTC, seconds.
pub fn format_timestamp(value: &OffsetDateTime) -> String {
    let utc = value.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

/// Appends `text` to `out` with XML's special characters escaped. Characters
/// that XML 1.0 cannot carry at all (most C0 controls) are dropped rather
/// than producing a document botocore's parser would reject.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A raw CR would be normalised to LF by the parser; keep it.
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// Escapes `text` for use as XML character data.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// Renders a complete Query success response:
/// `<{Op}Response xmlns=".."><{Op}Result>..</{Op}Result><ResponseMetadata>..`.
/// `result_wrapper` is `None` for operations without an output shape, which
/// AWS answers with only the response metadata.
pub fn render_response<T: XmlEncode + ?Sized>(
    operation: &str,
    namespace: &str,
    result_wrapper: Option<&str>,
    output: &T,
    request_id: &str,
) -> String {
    let mut w = XmlWriter::new();
    w.out.push('<');
    w.out.push_str(operation);
    w.out.push_str("Response xmlns=\"");
    w.out.push_str(namespace);
    w.out.push_str("\">");
    if let Some(wrapper) = result_wrapper {
        w.structure(wrapper, output);
    }
    w.start("ResponseMetadata");
    w.text("RequestId", request_id);
    w.end("ResponseMetadata");
    w.out.push_str("</");
    w.out.push_str(operation);
    w.out.push_str("Response>");
    w.finish()
}
