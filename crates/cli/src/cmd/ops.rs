//! `zcrm ops [FILTER]`: the operations of the SDK's registry.

use std::io::Write;

use serde_json::{json, Map, Value};
use zohocrm_core::registry;

use crate::error::CliError;
use crate::output::{Format, RowSink};

/// `zohocrm_core::territories::settings::GetTerritories` → `territories::GetTerritories`: the
/// module the type is re-exported from, and its name.
fn public_path(type_name: &str) -> String {
    let path = type_name
        .strip_prefix("zohocrm_core::")
        .unwrap_or(type_name);
    match (path.split("::").next(), path.rsplit("::").next()) {
        (Some(first), Some(last)) if first != last => format!("{first}::{last}"),
        _ => path.to_owned(),
    }
}

/// Lists operation ids (filtered by a substring, case-insensitively), hand-written first, with
/// their kind and, for hand-written ones, their Rust type.
pub fn run(
    args: &crate::cli::OpsArgs,
    format: Format,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let filter = args.filter.as_deref().unwrap_or("").to_ascii_lowercase();
    let ops: Vec<_> = registry::all()
        .iter()
        .filter(|op| op.id.to_ascii_lowercase().contains(&filter))
        .collect();
    let columns = ["id", "kind", "type"].map(String::from).to_vec();
    let mut sink = RowSink::new(format, &mut *out, Some(columns));
    let mut hand_written = 0;
    for op in &ops {
        let mut row = Map::new();
        row.insert("id".into(), json!(op.id));
        match op.hand_written_type() {
            Some(ty) => {
                hand_written += 1;
                row.insert("kind".into(), json!("hand-written"));
                row.insert("type".into(), json!(public_path(ty)));
            }
            None => {
                row.insert("kind".into(), json!("generated"));
                row.insert("type".into(), Value::Null);
            }
        }
        sink.row(row)?;
    }
    sink.finish()?;
    if format == Format::Table {
        writeln!(
            out,
            "\n{} operations: {hand_written} hand-written (typed models), {} generated (JSON in, \
             JSON out). Call one with `zcrm call ID -p name=value`.",
            ops.len(),
            ops.len() - hand_written
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_show_their_public_path() {
        assert_eq!(
            public_path("zohocrm_core::territories::settings::GetTerritories"),
            "territories::GetTerritories"
        );
        assert_eq!(
            public_path("zohocrm_core::features::GetUserLicences"),
            "features::GetUserLicences"
        );
    }
}
