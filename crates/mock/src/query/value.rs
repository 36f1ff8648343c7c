//! Values as the query engine compares them: reading a (possibly dotted) field of a record, and
//! ordering two values the way Zoho's search and COQL do.
//!
//! - numbers compare numerically when both sides parse as numbers (integers exactly, so 19-digit
//!   record ids never collide; otherwise as `f64`);
//! - date-times `yyyy-MM-ddTHH:mm:ss[.fff](Z|±HH:mm)` compare as UTC instants, dates
//!   `yyyy-MM-dd` as days;
//! - booleans compare with `true`/`false` in any case;
//! - anything else compares as text, case-insensitively;
//! - a lookup (`{"id": .., "name": ..}`) compares by its `id`.

use std::cmp::Ordering;

use serde_json::{Map, Value};

/// One comparable value: a field's value (one element of it, for arrays) or a literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Str(String),
    /// A number, as written.
    Num(String),
    Bool(bool),
    /// A lookup object: compared by `id`; `name` serves search's `equals` only.
    Lookup {
        id: String,
        name: Option<String>,
    },
}

impl Scalar {
    /// The text compared when nothing more specific applies.
    pub(crate) fn text(&self) -> &str {
        match self {
            Scalar::Str(s) | Scalar::Num(s) => s,
            Scalar::Bool(true) => "true",
            Scalar::Bool(false) => "false",
            Scalar::Lookup { id, .. } => id,
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Scalar::Bool(b) => Some(*b),
            Scalar::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Scalar::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }
}

/// The field `name` of a record: the exact key, else the first key equal ignoring ASCII case.
pub(crate) fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// The raw value at a dotted path (`Owner.name`), walking objects; `None` when absent.
/// Arrays are not walked (a path through a multi-valued field has no single value).
pub(crate) fn raw_at<'a>(record: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut cur = field(record, first)?;
    for seg in rest {
        match cur {
            Value::Object(obj) => cur = field(obj, seg)?,
            _ => return None,
        }
    }
    Some(cur)
}

/// Every comparable value at a dotted path. Arrays (multi-selects, multi-lookups) give one value
/// per element and are walked element by element; empty means null (`null`, `""`, `[]`, absent).
pub(crate) fn scalars_at(record: &Map<String, Value>, path: &[String]) -> Vec<Scalar> {
    let mut out = Vec::new();
    if let Some((first, rest)) = path.split_first() {
        if let Some(v) = field(record, first) {
            walk(v, rest, &mut out);
        }
    }
    out
}

fn walk(v: &Value, path: &[String], out: &mut Vec<Scalar>) {
    match (v, path.split_first()) {
        (Value::Array(items), _) => items.iter().for_each(|i| walk(i, path, out)),
        (Value::Object(obj), Some((seg, rest))) => {
            if let Some(c) = field(obj, seg) {
                walk(c, rest, out);
            }
        }
        (_, Some(_)) => {}
        (_, None) => out.extend(scalar(v)),
    }
}

/// The comparable form of one JSON value (not an array); `None` for null and empty text.
pub(crate) fn scalar(v: &Value) -> Option<Scalar> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(Scalar::Str(s.clone())),
        Value::Number(n) => Some(Scalar::Num(n.to_string())),
        Value::Bool(b) => Some(Scalar::Bool(*b)),
        Value::Object(obj) => {
            let id = match obj.get("id")? {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            let name = obj.get("name").and_then(Value::as_str).map(str::to_owned);
            Some(Scalar::Lookup { id, name })
        }
        Value::Array(items) => items.first().and_then(scalar),
    }
}

/// Orders two values (see the module docs).
pub(crate) fn compare(a: &Scalar, b: &Scalar) -> Ordering {
    if matches!(a, Scalar::Bool(_)) || matches!(b, Scalar::Bool(_)) {
        if let (Some(x), Some(y)) = (a.as_bool(), b.as_bool()) {
            return x.cmp(&y);
        }
    }
    let (ta, tb) = (a.text(), b.text());
    if let (Some(x), Some(y)) = (numeric(ta), numeric(tb)) {
        return match (x, y) {
            (Numeric::Int(x), Numeric::Int(y)) => x.cmp(&y),
            (x, y) => x.float().partial_cmp(&y.float()).unwrap_or(Ordering::Equal),
        };
    }
    if let (Some(x), Some(y)) = (datetime(ta), datetime(tb)) {
        return x.cmp(&y);
    }
    if let (Some(x), Some(y)) = (date(ta), date(tb)) {
        return x.cmp(&y);
    }
    ta.to_lowercase().cmp(&tb.to_lowercase())
}

/// Equality; with `by_name`, a lookup also equals its `name` (search's `equals`).
pub(crate) fn equals(v: &Scalar, lit: &Scalar, by_name: bool) -> bool {
    if compare(v, lit) == Ordering::Equal {
        return true;
    }
    match v {
        Scalar::Lookup {
            name: Some(name), ..
        } if by_name => name.to_lowercase() == lit.text().to_lowercase(),
        _ => false,
    }
}

/// SQL `like` with `%` for any run of characters, case-insensitive.
pub(crate) fn like(text: &str, pattern: &str) -> bool {
    let text = text.to_lowercase();
    let pattern = pattern.to_lowercase();
    let parts: Vec<&str> = pattern.split('%').collect();
    if parts.len() == 1 {
        return text == pattern;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..];
    if !rest.ends_with(last) {
        return false;
    }
    rest = &rest[..rest.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// Case-insensitive prefix test.
pub(crate) fn starts_with(text: &str, prefix: &str) -> bool {
    text.to_lowercase().starts_with(&prefix.to_lowercase())
}

#[derive(Debug, Clone, Copy)]
enum Numeric {
    Int(i128),
    Float(f64),
}

impl Numeric {
    fn float(self) -> f64 {
        match self {
            Numeric::Int(i) => i as f64,
            Numeric::Float(f) => f,
        }
    }
}

fn numeric(s: &str) -> Option<Numeric> {
    let s = s.trim();
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() {
        return None;
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok().map(Numeric::Int);
    }
    let plain = digits
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    let lead = digits.as_bytes()[0];
    if !plain || !(lead.is_ascii_digit() || lead == b'.') {
        return None;
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Numeric::Float)
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `yyyy-MM-dd` as days since 1970-01-01.
fn date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (num(&s[0..4])?, num(&s[5..7])?, num(&s[8..10])?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// `yyyy-MM-ddTHH:mm:ss[.fff](Z|±HH:mm)` as seconds since the epoch (UTC).
fn datetime(s: &str) -> Option<i64> {
    if s.len() < 20 || !s.is_char_boundary(10) || !s.is_char_boundary(19) {
        return None;
    }
    let days = date(&s[..10])?;
    let t = &s.as_bytes()[10..19];
    if t[0] != b'T' || t[3] != b':' || t[6] != b':' {
        return None;
    }
    let (h, mi, se) = (num(&s[11..13])?, num(&s[14..16])?, num(&s[17..19])?);
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset = match rest.as_bytes() {
        [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let v = num(&rest[1..3])? * 3600 + num(&rest[4..6])? * 60;
            if *sign == b'-' {
                -v
            } else {
                v
            }
        }
        _ => return None,
    };
    Some(days * 86_400 + h * 3600 + mi * 60 + se - offset)
}

// Howard Hinnant's days-from-civil algorithm.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s(v: &str) -> Scalar {
        Scalar::Str(v.into())
    }

    #[test]
    fn numbers_compare_numerically_and_ids_exactly() {
        assert_eq!(compare(&s("100"), &s("20")), Ordering::Greater);
        assert_eq!(
            compare(&Scalar::Num("2.5".into()), &s("2.50")),
            Ordering::Equal
        );
        assert_eq!(
            compare(&s("4150868000000225013"), &s("4150868000000225014")),
            Ordering::Less
        );
        assert_eq!(compare(&s("-3"), &s("1e1")), Ordering::Less);
        assert!(numeric("nan").is_none() && numeric("inf").is_none() && numeric("-").is_none());
    }

    #[test]
    fn datetimes_compare_as_instants() {
        assert_eq!(datetime("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(datetime("2025-01-15T10:00:00+00:00"), Some(1_736_935_200));
        assert_eq!(
            compare(
                &s("2025-01-15T15:30:00+05:30"),
                &s("2025-01-15T10:00:00+00:00")
            ),
            Ordering::Equal
        );
        // Lexicographically greater, but earlier as an instant.
        assert_eq!(
            compare(
                &s("2025-01-15T12:00:00+05:30"),
                &s("2025-01-15T10:00:00+00:00")
            ),
            Ordering::Less
        );
        assert_eq!(
            datetime("2025-01-15T10:00:00.123-01:00"),
            Some(1_736_935_200 + 3600)
        );
        assert!(datetime("2025-01-15 10:00:00+00:00").is_none());
        assert_eq!(compare(&s("2024-12-31"), &s("2025-01-01")), Ordering::Less);
    }

    #[test]
    fn text_bools_and_lookups() {
        assert_eq!(compare(&s("Burns"), &s("burns")), Ordering::Equal);
        assert_eq!(compare(&Scalar::Bool(true), &s("TRUE")), Ordering::Equal);
        let owner = scalar(&json!({"id": "42", "name": "Patricia"})).unwrap();
        assert!(equals(&owner, &s("42"), false));
        assert!(!equals(&owner, &s("patricia"), false));
        assert!(equals(&owner, &s("patricia"), true));
        assert!(scalar(&json!({"name": "x"})).is_none());
        assert!(scalar(&json!("")).is_none());
    }

    #[test]
    fn like_patterns() {
        assert!(like("Burns", "bu%"));
        assert!(like("Burns", "%RNS"));
        assert!(like("Burns", "%ur%"));
        assert!(like("Burns", "b%r%s"));
        assert!(like("Burns", "burns"));
        assert!(!like("Burns", "%x%"));
        assert!(!like("ab", "ab%ab"));
        assert!(like("abab", "ab%ab"));
        assert!(starts_with("Mary", "ma"));
    }

    #[test]
    fn paths_walk_objects_and_arrays() {
        let rec = json!({
            "Owner": {"id": "1", "name": "Pat"},
            "Tags": ["a", "b"],
            "Empty": [],
            "Account_Name": {"id": "7", "Account_Name": "Acme"}
        });
        let rec = rec.as_object().unwrap();
        let p = |s: &str| s.split('.').map(String::from).collect::<Vec<_>>();
        assert_eq!(scalars_at(rec, &p("owner.name")), vec![s("Pat")]);
        assert_eq!(scalars_at(rec, &p("Tags")), vec![s("a"), s("b")]);
        assert!(scalars_at(rec, &p("Empty")).is_empty());
        assert!(scalars_at(rec, &p("Missing.x")).is_empty());
        assert_eq!(
            raw_at(rec, &p("Account_Name.Account_Name")),
            Some(&json!("Acme"))
        );
        assert_eq!(raw_at(rec, &p("Tags.x")), None);
    }
}
