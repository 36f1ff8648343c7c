//! Reading input: records from JSON (an array, one object, JSON lines, or `{"data": [...]}`) or
//! CSV (a header row of field API names), and JSON bodies.

use std::io::Read;

use serde_json::{Map, Value};
use zohocrm_core::Record;

use crate::cli::InputFormat;
use crate::error::CliError;

/// The text of a file, or of stdin for `-`.
pub fn read_text(path: &str) -> Result<String, CliError> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::Usage(format!("cannot read stdin: {e}")))?;
        Ok(text)
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| CliError::Usage(format!("cannot read {path}: {e}")))
    }
}

/// A JSON value from a file, or from stdin for `-`.
pub fn read_json(path: &str) -> Result<Value, CliError> {
    let text = read_text(path)?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{}: invalid JSON: {e}", name(path))))
}

fn name(path: &str) -> &str {
    if path == "-" {
        "stdin"
    } else {
        path
    }
}

/// The format of `path`: `explicit`, else CSV for `.csv` files, else JSON.
pub fn format_of(path: &str, explicit: Option<InputFormat>) -> InputFormat {
    explicit.unwrap_or_else(|| {
        if path.to_ascii_lowercase().ends_with(".csv") {
            InputFormat::Csv
        } else {
            InputFormat::Json
        }
    })
}

/// Records from a file (or stdin), in input order.
pub fn read_records(path: &str, format: Option<InputFormat>) -> Result<Vec<Record>, CliError> {
    let text = read_text(path)?;
    let rows = match format_of(path, format) {
        InputFormat::Json | InputFormat::Jsonl => json_rows(&text),
        InputFormat::Csv => csv_rows(&text),
    }
    .map_err(|e| CliError::Usage(format!("{}: {e}", name(path))))?;
    rows.into_iter()
        .map(|row| {
            Record::from_serialize(&row)
                .map_err(|e| CliError::Usage(format!("{}: {e}", name(path))))
        })
        .collect()
}

/// Objects from JSON text: an array of objects, `{"data": [...]}`, or a sequence of objects
/// (one object, or JSON lines).
pub fn json_rows(text: &str) -> Result<Vec<Map<String, Value>>, String> {
    let mut values = Vec::new();
    for (i, value) in serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .enumerate()
    {
        values.push(value.map_err(|e| format!("invalid JSON in value {}: {e}", i + 1))?);
    }
    let items = match values.as_slice() {
        [Value::Array(items)] => items.clone(),
        [Value::Object(o)] if o.len() == 1 && o.get("data").is_some_and(Value::is_array) => {
            o["data"].as_array().cloned().unwrap_or_default()
        }
        _ => values,
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Object(o) => Ok(o),
            other => Err(format!(
                "row {i}: expected a JSON object, got {}",
                kind_of(&other)
            )),
        })
        .collect()
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Objects from CSV text with a header row. Empty cells are left out; cells holding a JSON
/// object or array (e.g. a lookup `{"id":"..."}` or a multi-select `["a","b"]`) are sent as JSON;
/// every other cell is a string.
pub fn csv_rows(text: &str) -> Result<Vec<Map<String, Value>>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("invalid CSV header: {e}"))?
        .clone();
    if let Some(i) = headers.iter().position(str::is_empty) {
        return Err(format!("CSV column {} has no name in the header", i + 1));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("invalid CSV in row {i}: {e}"))?;
        let mut row = Map::new();
        for (field, cell) in headers.iter().zip(record.iter()) {
            if cell.is_empty() {
                continue;
            }
            let trimmed = cell.trim_start();
            let value = if trimmed.starts_with('{') || trimmed.starts_with('[') {
                serde_json::from_str(cell).unwrap_or_else(|_| Value::String(cell.to_owned()))
            } else {
                Value::String(cell.to_owned())
            };
            row.insert(field.to_owned(), value);
        }
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_arrays_lines_and_envelopes() {
        let array = json_rows(r#"[{"a": 1}, {"a": 2}]"#).unwrap();
        let lines = json_rows("{\"a\": 1}\n{\"a\": 2}\n").unwrap();
        let data = json_rows(r#"{"data": [{"a": 1}, {"a": 2}]}"#).unwrap();
        assert_eq!(array, lines);
        assert_eq!(array, data);
        assert_eq!(json_rows(r#"{"a": 1}"#).unwrap().len(), 1);
        assert!(json_rows("[1, 2]").unwrap_err().contains("row 0"));
        assert!(json_rows("{\"a\": 1}\n{oops").is_err());
    }

    #[test]
    fn csv_cells_are_strings_or_json() {
        let rows = csv_rows(
            "Last_Name,Email,Account_Name,Tags\nSmith,,\"{\"\"id\"\":\"\"9\"\"}\",\"[\"\"a\"\"]\"\n",
        )
        .unwrap();
        assert_eq!(
            Value::Object(rows[0].clone()),
            json!({"Last_Name": "Smith", "Account_Name": {"id": "9"}, "Tags": ["a"]})
        );
        assert!(csv_rows("a,b\n1,2,3\n").is_err());
    }

    #[test]
    fn csv_is_chosen_by_extension() {
        assert_eq!(format_of("x.CSV", None), InputFormat::Csv);
        assert_eq!(format_of("-", None), InputFormat::Json);
        assert_eq!(
            format_of("x.json", Some(InputFormat::Csv)),
            InputFormat::Csv
        );
    }
}
