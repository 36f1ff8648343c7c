//! Output: tables for people, JSON, JSON lines and CSV for programs.
//!
//! Rows are JSON objects. A [`RowSink`] takes them one by one, so lists can stream: JSON lines
//! and CSV are written (and flushed) as each row arrives, JSON as an array written incrementally;
//! only tables wait for every row, to size their columns.
//!
//! Server text never reaches a terminal raw: table cells and headers are cleaned
//! ([`term::clean`]), JSON escapes the unsafe characters ([`term::json_safe`]), and CSV on a
//! terminal is cleaned too. CSV cells that a spreadsheet would run as a formula (they start
//! with `=`, `+`, `-`, `@`, a tab or a carriage return: CRM data often comes from public web
//! forms) get a leading `'`, unless `--keep-formulas` is given ([`set_csv_policy`]).

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use clap::ValueEnum;
use serde_json::{Map, Value};
use zohocrm_core::Record;

use crate::term;

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns, for people.
    Table,
    /// JSON (an array for lists).
    Json,
    /// One JSON value per line.
    Jsonl,
    /// CSV with a header row.
    Csv,
}

impl Format {
    /// Table when stdout is a terminal, JSON otherwise.
    pub fn detect() -> Format {
        if io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Json
        }
    }
}

/// The widest a table cell gets before it is cut with `…`.
const MAX_CELL: usize = 48;

/// A cell's text: lookups show their name, lists are joined, other objects are compact JSON.
pub fn cell(value: &Value, for_table: bool) -> String {
    let text = match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
        Value::Object(o) if for_table => match (o.get("name"), o.get("Name"), o.get("id")) {
            (Some(Value::String(n)), _, _) | (_, Some(Value::String(n)), _) => n.clone(),
            (_, _, Some(Value::String(id))) if o.len() == 1 => id.clone(),
            _ => value.to_string(),
        },
        Value::Array(items) if for_table && items.iter().all(|i| !i.is_array()) => items
            .iter()
            .map(|i| cell(i, true))
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(_) | Value::Array(_) => value.to_string(),
    };
    if for_table {
        let one_line: String = text
            .chars()
            .map(|c| {
                if matches!(c, '\n' | '\r' | '\t') {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        term::clean(&truncate(&one_line, MAX_CELL)).into_owned()
    } else {
        text
    }
}

/// Whether CSV cells that start a formula get a leading `'` (on unless `--keep-formulas`).
static NEUTRALISE_FORMULAS: AtomicBool = AtomicBool::new(true);
/// Whether CSV goes to a terminal (then its cells are cleaned like table cells).
static CSV_TO_TERMINAL: AtomicBool = AtomicBool::new(false);

/// Sets how CSV cells are written, once, from the command line: `keep_formulas` writes cells
/// as they are; `terminal` says stdout is a terminal.
pub fn set_csv_policy(keep_formulas: bool, terminal: bool) {
    NEUTRALISE_FORMULAS.store(!keep_formulas, Ordering::Relaxed);
    CSV_TO_TERMINAL.store(terminal, Ordering::Relaxed);
}

/// Whether a cell would start a formula in a spreadsheet. `+` and `-` followed only by digits
/// and number or phone punctuation (`-12.5`, `+1 555 0100`) are numbers, not formulas.
fn starts_formula(cell: &[u8]) -> bool {
    match cell.first() {
        Some(b'=' | b'@' | b'\t' | b'\r') => true,
        Some(b'+' | b'-') => !cell[1..]
            .iter()
            .all(|b| b.is_ascii_digit() || b" .,()/+-".contains(b)),
        _ => false,
    }
}

/// One CSV cell as written: a formula neutralised with a leading `'`, and cleaned when the CSV
/// goes to a terminal (see [`set_csv_policy`]).
pub fn csv_cell(cell: &[u8]) -> Cow<'_, [u8]> {
    let mut out = Cow::Borrowed(cell);
    if NEUTRALISE_FORMULAS.load(Ordering::Relaxed) && starts_formula(cell) {
        let mut prefixed = Vec::with_capacity(cell.len() + 1);
        prefixed.push(b'\'');
        prefixed.extend_from_slice(cell);
        out = Cow::Owned(prefixed);
    }
    if CSV_TO_TERMINAL.load(Ordering::Relaxed) {
        let text = String::from_utf8_lossy(&out);
        if let Cow::Owned(clean) = term::clean(&text) {
            out = Cow::Owned(clean.into_bytes());
        }
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

/// Writes rows (JSON objects) in one format; see the module docs.
pub struct RowSink<W: Write> {
    format: Format,
    out: W,
    /// The columns; fixed by `new` or by the first row (CSV), grown by later rows (table).
    columns: Vec<String>,
    fixed_columns: bool,
    /// Rows kept for a table.
    rows: Vec<Map<String, Value>>,
    count: usize,
    header_written: bool,
}

impl<W: Write> RowSink<W> {
    /// A sink writing to `out`; `columns` fixes the columns (and their order) of tables and CSV,
    /// else they are the keys of the rows in first-seen order.
    pub fn new(format: Format, out: W, columns: Option<Vec<String>>) -> Self {
        RowSink {
            format,
            out,
            fixed_columns: columns.is_some(),
            columns: columns.unwrap_or_default(),
            rows: Vec::new(),
            count: 0,
            header_written: false,
        }
    }

    /// Writes (or, for tables, keeps) one row.
    pub fn row(&mut self, row: Map<String, Value>) -> io::Result<()> {
        self.count += 1;
        match self.format {
            Format::Jsonl => {
                let text = serde_json::to_string(&row)?;
                self.json_line(&text)
            }
            Format::Json => {
                let text = serde_json::to_string_pretty(&row)?;
                self.json_item(&text.replace('\n', "\n  "))
            }
            Format::Csv => {
                if !self.header_written {
                    if !self.fixed_columns {
                        self.columns = row.keys().cloned().collect();
                        id_first(&mut self.columns);
                    }
                    self.out.write_all(&csv_line(&self.columns)?)?;
                    self.header_written = true;
                }
                let record: Vec<String> = self
                    .columns
                    .iter()
                    .map(|c| row.get(c).map(|v| cell(v, false)).unwrap_or_default())
                    .collect();
                self.out.write_all(&csv_line(&record)?)?;
                self.out.flush()
            }
            Format::Table => {
                if !self.fixed_columns {
                    for k in row.keys() {
                        if !self.columns.contains(k) {
                            self.columns.push(k.clone());
                        }
                    }
                }
                self.rows.push(row);
                Ok(())
            }
        }
    }

    /// Writes (or keeps) one record. A record holding a value `serde_json::Value` cannot
    /// (nested deeper than 128 levels, a number beyond `f64`) is written exactly as Zoho sent
    /// it in JSON; in tables and CSV such a value shows as its JSON text, as objects do.
    pub fn record(&mut self, record: &Record) -> io::Result<()> {
        match record.to_map() {
            Ok(map) => self.row(map),
            Err(_) if matches!(self.format, Format::Json | Format::Jsonl) => {
                self.count += 1;
                // Valid JSON holds raw line breaks only between tokens: one line it is.
                let text = record.to_json().replace(['\n', '\r'], " ");
                match self.format {
                    Format::Jsonl => self.json_line(&text),
                    _ => self.json_item(&text),
                }
            }
            Err(_) => self.row(cells_of(record)),
        }
    }

    fn json_line(&mut self, text: &str) -> io::Result<()> {
        self.out.write_all(term::json_safe(text).as_bytes())?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }

    fn json_item(&mut self, text: &str) -> io::Result<()> {
        self.out
            .write_all(if self.count == 1 { b"[\n  " } else { b",\n  " })?;
        self.out.write_all(term::json_safe(text).as_bytes())?;
        self.out.flush()
    }

    /// Ends the output: closes the JSON array, draws the table.
    pub fn finish(mut self) -> io::Result<()> {
        match self.format {
            Format::Json => {
                if self.count == 0 {
                    self.out.write_all(b"[]\n")?;
                } else {
                    self.out.write_all(b"\n]\n")?;
                }
            }
            Format::Csv if self.count == 0 && self.fixed_columns => {
                self.out.write_all(&csv_line(&self.columns)?)?;
            }
            Format::Table => {
                if !self.fixed_columns {
                    id_first(&mut self.columns);
                }
                write_table(&mut self.out, &self.columns, &self.rows)?;
            }
            _ => {}
        }
        self.out.flush()
    }
}

/// Moves `id` (when present) to the first column.
fn id_first(columns: &mut Vec<String>) {
    if let Some(i) = columns.iter().position(|c| c == "id") {
        let id = columns.remove(i);
        columns.insert(0, id);
    }
}

/// One CSV line (quoted as needed, cells as [`csv_cell`] writes them), with its newline.
fn csv_line(fields: &[String]) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields.iter().map(|f| csv_cell(f.as_bytes())))
        .map_err(io::Error::other)?;
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

/// Draws rows as aligned columns with a header line.
pub fn write_table(
    out: &mut impl Write,
    columns: &[String],
    rows: &[Map<String, Value>],
) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "(no results)");
    }
    let headers: Vec<String> = columns
        .iter()
        .map(|c| term::clean(c).into_owned())
        .collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| r.get(c).map(|v| cell(v, true)).unwrap_or_default())
                .collect()
        })
        .collect();
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([c.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |out: &mut dyn Write, values: &[String]| -> io::Result<()> {
        let mut text = String::new();
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(v);
            if i + 1 < values.len() {
                let pad = widths[i].saturating_sub(v.chars().count());
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, &headers)?;
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(out, &rule)?;
    for r in &cells {
        line(out, r)?;
    }
    Ok(())
}

/// Prints one JSON value: pretty JSON, one line, a key/value table (objects), or a CSV row.
pub fn write_value(format: Format, out: &mut impl Write, value: &Value) -> io::Result<()> {
    match (format, value) {
        (Format::Json, _) => {
            let text = serde_json::to_string_pretty(value)?;
            writeln!(out, "{}", term::json_safe(&text))
        }
        (Format::Jsonl, _) => {
            let text = serde_json::to_string(value)?;
            writeln!(out, "{}", term::json_safe(&text))
        }
        (Format::Table, Value::Object(obj)) => {
            let mut keys: Vec<String> = obj.keys().cloned().collect();
            id_first(&mut keys);
            let shown_keys: Vec<Cow<'_, str>> = keys.iter().map(|k| term::clean(k)).collect();
            let width = shown_keys
                .iter()
                .map(|k| k.chars().count())
                .max()
                .unwrap_or(0);
            for (k, shown_key) in keys.iter().zip(&shown_keys) {
                let v = &obj[k];
                let shown = match v {
                    Value::Object(_) | Value::Array(_) if cell(v, true).ends_with('…') => {
                        term::clean(&v.to_string()).into_owned()
                    }
                    _ => cell(v, true),
                };
                writeln!(out, "{shown_key:width$}  {shown}")?;
            }
            Ok(())
        }
        (Format::Csv | Format::Table, Value::Array(items)) => {
            let mut sink = RowSink::new(format, &mut *out, None);
            for item in items {
                sink.row(as_row(item))?;
            }
            sink.finish()
        }
        (Format::Csv, _) => {
            let mut sink = RowSink::new(format, &mut *out, None);
            sink.row(as_row(value))?;
            sink.finish()
        }
        (Format::Table, _) => writeln!(out, "{}", term::clean(&cell(value, false))),
    }
}

/// A record's fields as cells: each value decoded, or its JSON text when `serde_json::Value`
/// cannot hold it.
pub fn cells_of(record: &Record) -> Map<String, Value> {
    record
        .iter()
        .map(|(k, raw)| {
            let value = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()));
            (k.into_owned(), value)
        })
        .collect()
}

/// Prints one record like [`write_value`] prints an object; a value `serde_json::Value` cannot
/// hold is written exactly in JSON, as its JSON text in tables and CSV.
pub fn write_record(format: Format, out: &mut impl Write, record: &Record) -> io::Result<()> {
    match (record.to_map(), format) {
        (Ok(map), _) => write_value(format, out, &Value::Object(map)),
        (Err(_), Format::Json | Format::Jsonl) => {
            let text = record.to_json().replace(['\n', '\r'], " ");
            writeln!(out, "{}", term::json_safe(&text))
        }
        (Err(_), _) => write_value(format, out, &Value::Object(cells_of(record))),
    }
}

/// A JSON value as a row: objects as they are, anything else under `value`.
pub fn as_row(value: &Value) -> Map<String, Value> {
    match value {
        Value::Object(o) => o.clone(),
        other => {
            let mut m = Map::new();
            m.insert("value".into(), other.clone());
            m
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(format: Format, columns: Option<Vec<String>>, values: &[Value]) -> String {
        let mut buf = Vec::new();
        let mut sink = RowSink::new(format, &mut buf, columns);
        for v in values {
            sink.row(as_row(v)).unwrap();
        }
        sink.finish().unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn formats_render_rows() {
        let values = [
            json!({"id": "1", "Owner": {"name": "Ann", "id": "9"}, "Tags": ["a", "b"]}),
            json!({"id": "2", "Extra": "x,y"}),
        ];
        let table = rows(Format::Table, None, &values);
        assert_eq!(
            table,
            "id  Owner  Tags  Extra\n--  -----  ----  -----\n1   Ann    a; b\n2                x,y\n"
        );
        let jsonl = rows(Format::Jsonl, None, &values);
        assert_eq!(jsonl.lines().count(), 2);
        let json: Value = serde_json::from_str(&rows(Format::Json, None, &values)).unwrap();
        assert_eq!(json, Value::Array(values.to_vec()));
        let csv = rows(
            Format::Csv,
            Some(vec!["id".into(), "Extra".into()]),
            &values,
        );
        assert_eq!(csv, "id,Extra\n1,\n2,\"x,y\"\n");
        assert_eq!(rows(Format::Json, None, &[]), "[]\n");
    }

    #[test]
    fn server_text_never_reaches_the_terminal_raw() {
        let evil = json!({"id": "1", "Na\u{1b}]0;pwned\u{7}me": "gpj\u{202e}.exe\u{1b}[2J"});
        let unsafe_char = |c: char| term::is_unsafe(c) && c != '\n';
        let table = rows(Format::Table, None, std::slice::from_ref(&evil));
        assert!(!table.chars().any(unsafe_char), "{table:?}");
        assert!(table.contains("\\u{202e}"), "{table}");
        let mut out = Vec::new();
        write_value(Format::Table, &mut out, &evil).unwrap();
        write_value(Format::Table, &mut out, &json!("scalar\u{1b}[31m")).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.chars().any(unsafe_char), "{text:?}");
        for format in [Format::Json, Format::Jsonl] {
            let text = rows(format, None, std::slice::from_ref(&evil));
            assert!(
                !text.chars().any(|c| term::is_unsafe(c) && c != '\n'),
                "{text:?}"
            );
            let first = text.lines().filter(|l| l.contains("id")).count();
            assert!(first >= 1);
        }
    }

    #[test]
    fn csv_formulas_are_neutralised() {
        set_csv_policy(false, false);
        for (cell, shown) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK"),
            ("@SUM(A1)", "'@SUM"),
            ("+cmd|' /C calc'!A0", "'+cmd"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd"),
            ("\t=1", "'\t=1"),
        ] {
            let csv = rows(Format::Csv, None, &[json!({ "v": cell })]);
            assert!(csv.contains(shown), "{cell}: {csv}");
        }
        for plain in ["-12.5", "+1 555 0100", "plain", "a=b"] {
            let csv = rows(Format::Csv, None, &[json!({ "v": plain })]);
            assert_eq!(csv, format!("v\n{plain}\n"));
        }
        let header = rows(Format::Csv, None, &[json!({ "=1+1": "x" })]);
        assert!(header.starts_with("'=1+1"), "{header}");
    }

    #[test]
    fn records_json_cannot_hold_are_written_exactly() {
        let deep = format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000));
        let huge = "7".repeat(10_000);
        let record =
            Record::from_json(format!(r#"{{"id":"1","Deep":{deep},"Huge":{huge}}}"#)).unwrap();
        let mut buf = Vec::new();
        let mut sink = RowSink::new(Format::Jsonl, &mut buf, None);
        sink.record(&record).unwrap();
        sink.finish().unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.contains(&huge) && text.contains(&deep), "exact");
        assert!(!text.contains("null"), "never a silent null");
        let mut buf = Vec::new();
        let mut sink = RowSink::new(Format::Csv, &mut buf, None);
        sink.record(&record).unwrap();
        sink.finish().unwrap();
        assert!(String::from_utf8(buf).unwrap().contains(&huge));
    }

    #[test]
    fn cells_are_cut_and_flattened() {
        let long = "x".repeat(100);
        assert_eq!(cell(&json!(long), true).chars().count(), MAX_CELL);
        assert_eq!(cell(&json!("a\nb"), true), "a b");
        assert_eq!(cell(&json!({"a": 1}), false), r#"{"a":1}"#);
    }
}
