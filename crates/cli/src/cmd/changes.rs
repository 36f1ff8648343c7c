//! `zcrm records changes MODULE`: the records inserted, updated and deleted since the last
//! run, one row each (`change` is `upsert` or `delete`), with the cursor kept in `--state`.
//!
//! The cursor is saved only after every change was printed and the output flushed: a run that
//! fails or is interrupted saves nothing, and the next run prints its changes again (at least
//! once, never lost). See the SDK's `records::changes` for the boundary rules.

use std::io::Write;
use std::path::PathBuf;

use serde_json::{json, Map};
use zohocrm_core::files::StateFile;
use zohocrm_core::records::changes::{Change, ChangeCursor};

use crate::error::CliError;
use crate::output::RowSink;
use crate::term;
use crate::App;

/// Arguments of `records changes`.
#[derive(Debug, clap::Args)]
pub struct ChangesArgs {
    /// The module API name, e.g. Leads.
    pub module: String,
    /// Fields of modified records to print besides `id` and `Modified_Time` (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub fields: Vec<String>,
    /// The cursor file: read at the start (none: every record is a change), saved at the end.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Without a state file, changes after this time (`yyyy-MM-ddTHH:mm:ss±HH:mm`, Zoho's
    /// clock).
    #[arg(long, value_name = "TIME", conflicts_with = "state")]
    pub since: Option<String>,
}

/// Runs `records changes`.
pub fn run(app: &App, args: ChangesArgs) -> Result<(), CliError> {
    let fields: Vec<String> = args
        .fields
        .iter()
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .collect();
    let state = args.state.as_ref().map(StateFile::new);
    let cursor = match (&state, &args.since) {
        (Some(file), _) => file.load::<ChangeCursor>()?,
        (None, Some(time)) => Some(ChangeCursor::since(&args.module, time.trim())),
        (None, None) => None,
    };
    let client = app.client()?;
    let mut changes = client.changes(&args.module, cursor).fields(fields);
    let mut out = app.stdout();
    let mut sink = RowSink::new(app.format, &mut out, None);
    let (mut upserted, mut deleted) = (0u64, 0u64);
    while let Some(change) = changes.next_change() {
        let (kind, record) = match change.map_err(changes_error)? {
            Change::Upserted(r) => {
                upserted += 1;
                ("upsert", r)
            }
            Change::Deleted(r) => {
                deleted += 1;
                ("delete", r)
            }
        };
        let mut row = Map::new();
        row.insert("change".into(), json!(kind));
        match record.to_map() {
            Ok(map) => row.extend(map),
            Err(_) => {
                row.insert("id".into(), json!(record.id()));
            }
        }
        sink.row(row)?;
    }
    sink.finish()?;
    out.flush()?;
    let next = changes.cursor().ok_or_else(|| {
        CliError::Api("the changes stopped before their end; the cursor was not moved".into())
    })?;
    let at = next.modified.clone().unwrap_or_else(|| "the start".into());
    match &state {
        Some(file) => {
            file.save(&next)?;
            term::say(format!(
                "{upserted} upserted, {deleted} deleted; the cursor ({}) is saved in {}",
                term::clean(&at),
                file.path().display()
            ));
        }
        None => term::say(format!(
            "{upserted} upserted, {deleted} deleted; next run: --since {}",
            term::clean(&at)
        )),
    }
    Ok(())
}

fn changes_error(e: zohocrm_core::records::changes::ChangesError) -> CliError {
    use zohocrm_core::records::changes::ChangesError;
    match e {
        ChangesError::Api(e) => CliError::Zoho(*e),
        other => CliError::Api(other.to_string()),
    }
}
