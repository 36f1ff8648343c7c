//! The commands, one module each, and what they share: per-item outcomes of writes.

pub mod api;
pub mod auth;
pub mod bulk;
pub mod changes;
pub mod codegen;
pub mod coql;
pub mod licences;
pub mod ops;
pub mod records;
pub mod territories;
pub mod tour;
pub mod watch;

use std::io::Write;

use serde_json::{json, Map, Value};
use zohocrm_core::ActionResults;

use crate::error::{CliError, Exit};
use crate::output::{Format, RowSink};

/// One row per item of a write: `index`, `status` (`success`/`error`), `id`, `code`, `message`,
/// plus `action` (upserts) and `details` when Zoho sent them.
pub fn outcome_rows(results: &ActionResults) -> Vec<Map<String, Value>> {
    results
        .items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let mut row = Map::new();
            row.insert("index".into(), json!(index));
            match item {
                Ok(ok) => {
                    row.insert("status".into(), json!("success"));
                    row.insert("id".into(), ok.id().map_or(Value::Null, |id| json!(id)));
                    row.insert("code".into(), json!(ok.code));
                    row.insert("message".into(), json!(ok.message));
                    if let Some(action) = ok.extra.get("action") {
                        row.insert("action".into(), action.clone());
                    }
                    if let Some(job) = ok.job_id() {
                        row.insert("job_id".into(), json!(job));
                    }
                }
                Err(e) => {
                    row.insert("status".into(), json!("error"));
                    row.insert("id".into(), Value::Null);
                    row.insert("code".into(), json!(e.code.as_str()));
                    let mut message = e.message.clone();
                    if let Some(d) = crate::error::details_summary(e) {
                        message.push_str(&format!(" ({d})"));
                    }
                    row.insert("message".into(), json!(message));
                    if !e.details.is_null() {
                        row.insert("details".into(), e.details.clone());
                    }
                }
            }
            row
        })
        .collect()
}

/// Prints one outcome per item and a summary on stderr; fails with exit 1 (already reported)
/// when any item failed.
pub fn print_outcomes(
    format: Format,
    out: &mut impl Write,
    results: &ActionResults,
) -> Result<(), CliError> {
    let rows = outcome_rows(results);
    let mut columns: Vec<String> = ["index", "status", "id", "code", "message"]
        .map(String::from)
        .to_vec();
    if rows.iter().any(|r| r.contains_key("action")) {
        columns.insert(3, "action".into());
    }
    let fixed = matches!(format, Format::Table | Format::Csv).then_some(columns);
    let mut sink = RowSink::new(format, &mut *out, fixed);
    for row in rows {
        sink.row(row)?;
    }
    sink.finish()?;
    out.flush()?;
    let failed = results.failures().count();
    let total = results.items.len();
    if failed > 0 {
        crate::term::say(format!(
            "{} of {total} succeeded, {failed} failed",
            total - failed
        ));
        Err(CliError::Reported(Exit::Api))
    } else {
        Ok(())
    }
}

/// Prints the outcomes of a write, then its result: a stopped batch prints what was done first.
pub fn finish_write(
    format: Format,
    out: &mut impl Write,
    result: Result<ActionResults, zohocrm_core::records::BatchError>,
) -> Result<(), CliError> {
    match result {
        Ok(results) => print_outcomes(format, out, &results),
        Err(stopped) => {
            if !stopped.done.items.is_empty() || !stopped.extra.is_empty() {
                // The outcomes of what was written are part of the answer, and so are outcomes
                // Zoho sent beyond the rows (numbered after them); the batch error wins.
                let mut all = stopped.done.clone();
                all.items.extend(stopped.extra.iter().cloned());
                let _ = print_outcomes(format, out, &all);
            }
            Err(CliError::Batch(stopped))
        }
    }
}
