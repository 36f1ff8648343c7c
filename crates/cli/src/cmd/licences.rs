//! `zcrm licences`: the user licence counts.

use std::io::Write;

use serde_json::json;

use crate::error::CliError;
use crate::output::{write_value, Format};
use crate::App;

/// Prints purchased, used and available licences; JSON is exactly
/// `{"available": N, "used": N, "limit": N}`.
pub fn run(app: &App) -> Result<(), CliError> {
    let licences = app.client()?.user_licences()?;
    let mut out = app.stdout();
    match app.format {
        Format::Table => {
            writeln!(out, "Purchased  {:>6}", licences.limit)?;
            writeln!(out, "In use     {:>6}", licences.used)?;
            writeln!(out, "Available  {:>6}", licences.available)?;
        }
        format => {
            let value = json!({
                "available": licences.available,
                "used": licences.used,
                "limit": licences.limit,
            });
            write_value(format, &mut out, &value)?;
        }
    }
    out.flush()?;
    Ok(())
}
