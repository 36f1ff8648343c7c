//! A small validating JSON reader for the generated models.
//!
//! Models decode straight from the answer's text through this reader instead of through serde's
//! generic `Deserializer`: every model's field reader is then one ordinary function, not one
//! copy of serde_json's parser per model type (about a third of the crate's compile time with
//! 600 models), and a value of an unexpected kind is simply kept as sent. Values the models do
//! not type (unknown keys, `serde_json::Value` fields) are cut out of the text here and parsed
//! by serde_json.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

/// Nesting deeper than this is refused (serde_json's own limit).
const MAX_DEPTH: u32 = 128;

/// One step of the path to where decoding failed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// Why a JSON text could not be read, where (byte offset) and at which JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    reason: String,
    offset: usize,
    path: Vec<Segment>,
}

impl JsonError {
    pub(crate) fn new(reason: impl Into<String>, offset: usize) -> Self {
        JsonError {
            reason: reason.into(),
            offset,
            path: Vec::new(),
        }
    }

    /// The same error, one level down under `key` (paths are built on the way out, so the
    /// cost is paid only by failures).
    pub fn in_key(mut self, key: &str) -> Self {
        self.path.push(Segment::Key(key.to_owned()));
        self
    }

    /// The same error, one level down at array index `index`.
    pub fn in_index(mut self, index: usize) -> Self {
        self.path.push(Segment::Index(index));
        self
    }

    /// The JSON path, e.g. `users[3].role` (`.` for the root).
    pub fn path(&self) -> String {
        let mut out = String::new();
        for seg in self.path.iter().rev() {
            match seg {
                Segment::Key(k) if out.is_empty() => out.push_str(k),
                Segment::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                Segment::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        if out.is_empty() {
            out.push('.');
        }
        out
    }

    /// What was wrong.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The byte offset in the text.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at byte {} ({})",
            self.reason,
            self.offset,
            self.path()
        )
    }
}

impl std::error::Error for JsonError {}

/// The reader: a position in a JSON text.
#[derive(Debug)]
pub struct Reader<'a> {
    text: &'a str,
    pos: usize,
    depth: u32,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Reader {
            text,
            pos: 0,
            depth: 0,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The current position (for [`rewind`](Reader::rewind)).
    pub fn position(&mut self) -> (usize, u32) {
        self.skip_ws();
        (self.pos, self.depth)
    }

    /// Goes back to a position taken with [`position`](Reader::position).
    pub fn rewind(&mut self, (pos, depth): (usize, u32)) {
        self.pos = pos;
        self.depth = depth;
    }

    /// An error at the current position.
    pub fn error(&self, reason: impl Into<String>) -> JsonError {
        JsonError::new(reason, self.pos)
    }

    #[inline]
    fn skip_ws(&mut self) {
        let b = self.bytes();
        while let Some(c) = b.get(self.pos) {
            if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// The next significant byte, without consuming it.
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes().get(self.pos).copied()
    }

    /// Fails unless only whitespace is left.
    pub fn end(&mut self) -> Result<(), JsonError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters after the JSON value")),
        }
    }

    fn eat(&mut self, c: u8) -> Result<(), JsonError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(format!("expected `{}`", c as char)))
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), JsonError> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.error("invalid literal"))
        }
    }

    /// Reads `null`.
    pub fn null(&mut self) -> Result<(), JsonError> {
        self.skip_ws();
        self.literal("null")
    }

    /// Reads `true` or `false`.
    pub fn boolean(&mut self) -> Result<bool, JsonError> {
        match self.peek() {
            Some(b't') => self.literal("true").map(|()| true),
            Some(b'f') => self.literal("false").map(|()| false),
            _ => Err(self.error("expected a boolean")),
        }
    }

    fn enter(&mut self) -> Result<(), JsonError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nesting deeper than 128 levels"));
        }
        Ok(())
    }

    /// Reads `{`; then call [`next_key`](Reader::next_key) until it gives `None`.
    pub fn begin_object(&mut self) -> Result<(), JsonError> {
        self.eat(b'{')?;
        self.enter()
    }

    /// The next key of an object (its value is to be read next), or `None` after the `}`.
    /// `first` is true before the first key.
    pub fn next_key(&mut self, first: &mut bool) -> Result<Option<Cow<'a, str>>, JsonError> {
        match self.peek() {
            Some(b'}') => {
                self.pos += 1;
                self.depth -= 1;
                return Ok(None);
            }
            Some(b',') if !*first => self.pos += 1,
            _ if *first => {}
            _ => return Err(self.error("expected `,` or `}`")),
        }
        *first = false;
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a string key"));
        }
        let key = self.string()?;
        self.eat(b':')?;
        Ok(Some(key))
    }

    /// Reads `[`; then call [`next_element`](Reader::next_element) until it gives `false`.
    pub fn begin_array(&mut self) -> Result<(), JsonError> {
        self.eat(b'[')?;
        self.enter()
    }

    /// Whether another element follows (positioned on it), or `false` after the `]`.
    pub fn next_element(&mut self, first: &mut bool) -> Result<bool, JsonError> {
        match self.peek() {
            Some(b']') => {
                self.pos += 1;
                self.depth -= 1;
                return Ok(false);
            }
            Some(b',') if !*first => self.pos += 1,
            _ if *first => {}
            _ => return Err(self.error("expected `,` or `]`")),
        }
        *first = false;
        if self.peek().is_none() {
            return Err(self.error("unexpected end of input"));
        }
        Ok(true)
    }

    /// Reads a string (positioned on its `"`), borrowed when it holds no escape.
    pub fn string(&mut self) -> Result<Cow<'a, str>, JsonError> {
        self.eat(b'"')?;
        let b = self.bytes();
        let start = self.pos;
        let mut i = start;
        loop {
            match b.get(i) {
                None => return Err(JsonError::new("unterminated string", i)),
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(Cow::Borrowed(&self.text[start..i]));
                }
                Some(b'\\') => break,
                Some(c) if *c < 0x20 => {
                    return Err(JsonError::new("control character in a string", i))
                }
                Some(_) => i += 1,
            }
        }
        let mut out = String::with_capacity(i - start + 16);
        out.push_str(&self.text[start..i]);
        loop {
            match b.get(i) {
                None => return Err(JsonError::new("unterminated string", i)),
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    let esc = *b
                        .get(i + 1)
                        .ok_or_else(|| JsonError::new("unterminated string", i))?;
                    i += 2;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let (c, used) = self.unicode_escape(i)?;
                            out.push(c);
                            i += used;
                        }
                        _ => return Err(JsonError::new("invalid escape", i - 1)),
                    }
                }
                Some(c) if *c < 0x20 => {
                    return Err(JsonError::new("control character in a string", i))
                }
                Some(_) => {
                    // Copy the run up to the next quote or backslash at once.
                    let run = b[i..]
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                        .unwrap_or(b.len() - i);
                    out.push_str(&self.text[i..i + run]);
                    i += run;
                }
            }
        }
    }

    fn hex4(&self, at: usize) -> Result<u32, JsonError> {
        let digits = self
            .text
            .get(at..at + 4)
            .ok_or_else(|| JsonError::new("truncated \\u escape", at))?;
        u32::from_str_radix(digits, 16).map_err(|_| JsonError::new("invalid \\u escape", at))
    }

    /// The character of a `\u` escape whose four digits start at `at`, and the bytes used
    /// (4, or 10 for a surrogate pair). A lone surrogate becomes U+FFFD, as serde_json does not
    /// allow it either way.
    fn unicode_escape(&self, at: usize) -> Result<(char, usize), JsonError> {
        let hi = self.hex4(at)?;
        if (0xD800..0xDC00).contains(&hi) && self.text[at + 4..].starts_with("\\u") {
            let lo = self.hex4(at + 6)?;
            if (0xDC00..0xE000).contains(&lo) {
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Ok((char::from_u32(c).unwrap_or('\u{FFFD}'), 10));
            }
        }
        if (0xD800..0xE000).contains(&hi) {
            return Err(JsonError::new("lone surrogate in a \\u escape", at));
        }
        Ok((char::from_u32(hi).unwrap_or('\u{FFFD}'), 4))
    }

    /// Reads a number and gives its text as sent.
    pub fn number(&mut self) -> Result<&'a str, JsonError> {
        self.skip_ws();
        let b = self.bytes();
        let start = self.pos;
        let mut i = start;
        let digits = |i: &mut usize| {
            let from = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > from
        };
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                digits(&mut i);
            }
            _ => return Err(JsonError::new("invalid number", i)),
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return Err(JsonError::new("invalid number", i));
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !digits(&mut i) {
                return Err(JsonError::new("invalid number", i));
            }
        }
        self.pos = i;
        Ok(&self.text[start..i])
    }

    /// Skips any value, validating it, and gives its text.
    pub fn skip(&mut self) -> Result<&'a str, JsonError> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            Some(b'"') => {
                self.string()?;
            }
            Some(b'{') => {
                self.begin_object()?;
                let mut first = true;
                while self.next_key(&mut first)?.is_some() {
                    self.skip()?;
                }
            }
            Some(b'[') => {
                self.begin_array()?;
                let mut first = true;
                while self.next_element(&mut first)? {
                    self.skip()?;
                }
            }
            Some(b't' | b'f') => {
                self.boolean()?;
            }
            Some(b'n') => self.null()?,
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
            }
            Some(_) => return Err(self.error("expected a JSON value")),
            None => return Err(self.error("unexpected end of input")),
        }
        Ok(&self.text[start..self.pos])
    }

    /// Reads any value as a `serde_json::Value`, exactly as sent.
    pub fn value(&mut self) -> Result<Value, JsonError> {
        let at = self.pos;
        let text = self.skip()?;
        serde_json::from_str(text).map_err(|e| JsonError::new(e.to_string(), at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_unescape_and_borrow_when_plain() {
        let mut r = Reader::new(r#"  "plain" "a\"b\\c\u00e9\ud83d\ude00\n" "#);
        assert!(matches!(r.string().unwrap(), Cow::Borrowed("plain")));
        assert_eq!(r.string().unwrap(), "a\"b\\c\u{e9}\u{1F600}\n");
        r.end().unwrap();
        assert!(Reader::new(r#""\ud800""#).string().is_err());
        assert!(Reader::new("\"a\u{1}\"").string().is_err());
        assert!(Reader::new(r#""abc"#).string().is_err());
    }

    #[test]
    fn numbers_follow_the_grammar() {
        for ok in ["0", "-0", "12", "-3.25", "1e9", "2.5E-3"] {
            assert_eq!(Reader::new(ok).number().unwrap(), ok);
        }
        for bad in ["-", "01x", ".5", "1.", "1e", "+1"] {
            let mut r = Reader::new(bad);
            assert!(r.number().is_err() || r.end().is_err(), "{bad}");
        }
    }

    #[test]
    fn skip_validates_and_limits_depth() {
        let text = r#"{"a": [1, {"b": null}, "x"], "c": true}"#;
        let mut r = Reader::new(text);
        assert_eq!(r.skip().unwrap(), text);
        for bad in [
            r#"{"a" 1}"#,
            "[1,]",
            "[1 2]",
            r#"{"a":1,}"#,
            "tru",
            "[",
            "{",
        ] {
            assert!(Reader::new(bad).skip().is_err(), "{bad}");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(Reader::new(&deep)
            .skip()
            .unwrap_err()
            .reason()
            .contains("128"));
    }

    #[test]
    fn paths_are_built_outwards() {
        let e = JsonError::new("bad", 3)
            .in_key("role")
            .in_index(2)
            .in_key("users");
        assert_eq!(e.path(), "users[2].role");
        assert_eq!(JsonError::new("bad", 0).path(), ".");
    }
}
