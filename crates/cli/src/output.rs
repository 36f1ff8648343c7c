//! Output: tables for people, JSON, JSON lines and CSV for programs.
//!
//! Rows are JSON objects. A [`RowSink`] takes them one by one, so lists can stream: JSON lines
//! and CSV are written (and flushed) as each row arrives, JSON as an array written incrementally;
//! only tables wait for every row, to size their columns.

use std::io::{self, IsTerminal, Write};

use clap::ValueEnum;
use serde_json::{Map, Value};

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
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        truncate(&one_line, MAX_CELL)
    } else {
        text
    }
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
                serde_json::to_writer(&mut self.out, &row)?;
                self.out.write_all(b"\n")?;
                self.out.flush()
            }
            Format::Json => {
                self.out
                    .write_all(if self.count == 1 { b"[\n  " } else { b",\n  " })?;
                let text = serde_json::to_string_pretty(&row)?;
                self.out.write_all(text.replace('\n', "\n  ").as_bytes())?;
                self.out.flush()
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

/// One CSV line (quoted as needed), with its newline.
fn csv_line(fields: &[String]) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields).map_err(io::Error::other)?;
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
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| r.get(c).map(|v| cell(v, true)).unwrap_or_default())
                .collect()
        })
        .collect();
    let widths: Vec<usize> = columns
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
    line(out, columns)?;
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
            serde_json::to_writer_pretty(&mut *out, value)?;
            writeln!(out)
        }
        (Format::Jsonl, _) => {
            serde_json::to_writer(&mut *out, value)?;
            writeln!(out)
        }
        (Format::Table, Value::Object(obj)) => {
            let width = obj.keys().map(|k| k.chars().count()).max().unwrap_or(0);
            let mut keys: Vec<String> = obj.keys().cloned().collect();
            id_first(&mut keys);
            for k in &keys {
                let v = &obj[k];
                let shown = match v {
                    Value::Object(_) | Value::Array(_) if cell(v, true).ends_with('…') => {
                        v.to_string()
                    }
                    _ => cell(v, true),
                };
                writeln!(out, "{k:width$}  {shown}")?;
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
        (Format::Table, _) => writeln!(out, "{}", cell(value, false)),
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
    fn cells_are_cut_and_flattened() {
        let long = "x".repeat(100);
        assert_eq!(cell(&json!(long), true).chars().count(), MAX_CELL);
        assert_eq!(cell(&json!("a\nb"), true), "a b");
        assert_eq!(cell(&json!({"a": 1}), false), r#"{"a":1}"#);
    }
}
