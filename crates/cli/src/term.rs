//! Text from the server made safe for a terminal: control characters (escape sequences that
//! move the cursor, retitle the window or hide text), and the Unicode controls that reorder
//! or break lines (`U+202E` shows `gpj.exe` as `exe.jpg`), are shown escaped, never written.
//!
//! Every message on stderr goes through [`say`] (or [`clean`]); JSON output goes through
//! [`json_safe`], which escapes the same characters as JSON `\uXXXX` escapes, so the value a
//! program reads is unchanged.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal as it is: C0 and C1 controls, DEL, the bidirectional
/// formatting controls and the Unicode line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// `text` with every unsafe character escaped (`\n`, `\t`, `\u{1b}`, `\u{202e}`): one line,
/// nothing hidden.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Prints `zcrm: LINE` on stderr, with the line [cleaned](clean).
pub fn say(line: impl AsRef<str>) {
    eprintln!("zcrm: {}", clean(line.as_ref()));
}

/// JSON text with the unsafe characters serde_json leaves as they are (DEL, C1 controls,
/// bidirectional controls, line separators) written as `\uXXXX` escapes. Valid JSON stays
/// valid and means the same: outside strings JSON holds only ASCII that is not a control.
pub fn json_safe(json: &str) -> Cow<'_, str> {
    // C0 controls are escaped by serde_json inside strings; outside, they are whitespace.
    let escape = |c: char| is_unsafe(c) && u32::from(c) >= 0x7f;
    if !json.chars().any(escape) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if escape(c) {
            // All in the BMP: one `\uXXXX` each.
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi_overrides() {
        assert_eq!(clean("plain é ✓"), "plain é ✓");
        assert_eq!(
            clean("a\x1b[2Jb\nc\u{202e}d\u{9b}"),
            "a\\u{1b}[2Jb\\nc\\u{202e}d\\u{9b}"
        );
        assert!(matches!(clean("ok"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_stays_json_and_means_the_same() {
        let value = serde_json::json!({"k\u{202e}": "x\u{7f}\u{85}\u{2028}\u{1b}y"});
        let text = serde_json::to_string_pretty(&value).unwrap();
        let safe = json_safe(&text);
        assert!(!safe.chars().any(|c| is_unsafe(c) && c != '\n'), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }
}
