//! `zcrm bulk export|import`: bulk read into one CSV file, bulk write from a CSV file.
//!
//! **Export** creates a bulk read job, waits for it (polling with backoff), downloads its result
//! zip to a temporary file and copies the CSV rows to the output one at a time, then does the
//! same for the next page while Zoho says more records follow (200,000 records a page). Memory
//! stays flat whatever the number of rows. The output is written to a hidden file beside the
//! destination and renamed over it at the end, so a failed export leaves no half file.
//!
//! **Import** reads the CSV twice: once to check it (columns, row count, line numbers), then to
//! hand its rows to the SDK's bulk write, which cuts them into files of 25,000 rows, uploads
//! each (with the org id as `X-CRM-ORG`), runs one job per file and reads each job's report.
//! The rows that failed are printed with their place in the input file.

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use serde_json::{json, Map, Value};
use zohocrm_core::bulk::file::RowOutcome;
use zohocrm_core::bulk::resume::WriteState;
use zohocrm_core::bulk::{
    BulkCriteria, Comparator, CreateBulkReadJob, WriteOperation, MAX_WRITE_ROWS,
};
use zohocrm_core::files::StateFile;
use zohocrm_core::jobs::{JobError, PollPolicy};
use zohocrm_core::Record;
use zohocrm_ureq::{BulkRead, BulkWrite};

use crate::cli::{BulkCommand, BulkExportArgs, BulkImportArgs, BulkOperation, JobArgs};
use crate::error::{CliError, Exit};
use crate::files::{ExportFile, KeptPartial, PrivateDir};
use crate::output::{csv_cell, Format, RowSink};
use crate::progress::Progress;
use crate::term;
use crate::App;

/// Runs a `bulk` subcommand.
pub fn run(app: &App, command: BulkCommand) -> Result<(), CliError> {
    match command {
        BulkCommand::Export(args) => export(app, args),
        BulkCommand::Import(args) => import(app, args),
    }
}

/// The polling policy: Zoho's pace by default (2 s, growing by half up to 30 s, 1 hour in all),
/// the mock's with `--mock`, changed by `--poll-interval` and `--job-timeout`.
fn policy(app: &App, args: &JobArgs) -> Result<PollPolicy, CliError> {
    let mut policy = if app.mock {
        PollPolicy::fast()
    } else {
        PollPolicy::default()
    };
    if let Some(secs) = args.poll_interval {
        let first = Duration::try_from_secs_f64(secs)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "--poll-interval {secs}: give a positive number of seconds"
                ))
            })?;
        policy = policy.first_interval(first);
        if first > policy.max_interval {
            policy = policy.max_interval(first);
        }
    }
    if let Some(secs) = args.job_timeout {
        if secs == 0 {
            return Err(CliError::Usage(
                "--job-timeout 0: give a positive number of seconds".into(),
            ));
        }
        policy = policy.timeout(Duration::from_secs(secs));
    }
    Ok(policy)
}

// ---------------------------------------------------------------------------------------------
// Criteria

/// Parses `--criteria`: Zoho's JSON when it starts with `{`, else the simple syntax:
/// `FIELD:COMPARATOR:VALUE`, or conditions in parentheses joined by `and` or `or` (one of the
/// two per level; nest parentheses to mix them). `\` escapes the next character of a value
/// (`\)`, `\,`); values of `in`, `not_in`, `between` and `not_between` are comma-separated.
pub fn parse_criteria(text: &str) -> Result<BulkCriteria, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty criteria".into());
    }
    if text.starts_with('{') {
        return serde_json::from_str(text).map_err(|e| format!("invalid criteria JSON: {e}"));
    }
    if !text.starts_with('(') {
        return condition(text);
    }
    let mut parser = CriteriaParser { text, at: 0 };
    let criteria = parser.expr()?;
    parser.blanks();
    if parser.at < text.len() {
        return Err(format!(
            "unexpected `{}` in the criteria",
            &text[parser.at..]
        ));
    }
    Ok(criteria)
}

struct CriteriaParser<'a> {
    text: &'a str,
    at: usize,
}

impl CriteriaParser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn blanks(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start().len();
    }

    /// `term (and|or term)*`.
    fn expr(&mut self) -> Result<BulkCriteria, String> {
        let mut members = vec![self.term()?];
        let mut operator: Option<&'static str> = None;
        loop {
            self.blanks();
            if matches!(self.peek(), None | Some(')')) {
                break;
            }
            let word: String = self
                .rest()
                .chars()
                .take_while(char::is_ascii_alphabetic)
                .collect();
            let this = match word.to_ascii_lowercase().as_str() {
                "and" => "and",
                "or" => "or",
                _ => return Err(format!("expected `and`, `or` or `)` at `{}`", self.rest())),
            };
            if operator.is_some_and(|o| o != this) {
                return Err(
                    "`and` and `or` at one level: add parentheses, e.g. `((A:equal:1) and \
                     (B:equal:2)) or (C:equal:3)`"
                        .into(),
                );
            }
            operator = Some(this);
            self.at += word.len();
            members.push(self.term()?);
        }
        Ok(match operator {
            None => members.pop().unwrap_or_else(|| BulkCriteria::and([])),
            Some("and") => BulkCriteria::and(members),
            Some(_) => BulkCriteria::or(members),
        })
    }

    /// `( expr )` or `( FIELD:COMPARATOR:VALUE )`.
    fn term(&mut self) -> Result<BulkCriteria, String> {
        self.blanks();
        if self.peek() != Some('(') {
            return Err(format!(
                "expected `(` at `{}`: join conditions in parentheses, e.g. `(A:equal:1) and \
                 (B:equal:2)`",
                self.rest()
            ));
        }
        self.at += 1;
        self.blanks();
        let criteria = if self.peek() == Some('(') {
            let inner = self.expr()?;
            self.blanks();
            inner
        } else {
            let rest = self.rest();
            let mut escaped = false;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    let close = c == ')' && !escaped;
                    escaped = c == '\\' && !escaped;
                    close
                })
                .map(|(i, _)| i)
                .ok_or_else(|| format!("missing `)` after `({rest}`"))?;
            let inner = condition(&rest[..end])?;
            self.at += end;
            inner
        };
        if self.peek() != Some(')') {
            return Err(format!("missing `)` at `{}`", self.rest()));
        }
        self.at += 1;
        Ok(criteria)
    }
}

/// Splits at unescaped `sep`, at most `max` pieces (the last one keeps the rest).
fn split_unescaped(raw: &str, sep: char, max: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in raw.char_indices() {
        if pieces.len() + 1 == max {
            break;
        }
        if c == sep && !escaped {
            pieces.push(&raw[start..i]);
            start = i + c.len_utf8();
        }
        escaped = c == '\\' && !escaped;
    }
    pieces.push(&raw[start..]);
    pieces
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
                continue;
            }
        }
        out.push(c);
    }
    out
}

const COMPARATORS: &str = "equal, not_equal, in, not_in, less_than, less_equal, greater_than, \
                           greater_equal, contains, not_contains, starts_with, ends_with, \
                           between, not_between";

/// `FIELD:COMPARATOR:VALUE`.
fn condition(raw: &str) -> Result<BulkCriteria, String> {
    let parts = split_unescaped(raw, ':', 3);
    let [field, comparator, value] = parts.as_slice() else {
        return Err(format!(
            "`{}`: a condition is FIELD:COMPARATOR:VALUE, e.g. Lead_Source:equal:Web",
            raw.trim()
        ));
    };
    let field = unescape(field.trim());
    if field.is_empty() {
        return Err(format!("`{}`: no field name", raw.trim()));
    }
    let comparator = match comparator.trim().to_ascii_lowercase().as_str() {
        "equal" | "equals" | "eq" | "=" => Comparator::Equal,
        "not_equal" | "not_equals" | "ne" | "!=" => Comparator::NotEqual,
        "in" => Comparator::In,
        "not_in" => Comparator::NotIn,
        "less_than" | "lt" | "<" => Comparator::LessThan,
        "less_equal" | "le" | "<=" => Comparator::LessEqual,
        "greater_than" | "gt" | ">" => Comparator::GreaterThan,
        "greater_equal" | "ge" | ">=" => Comparator::GreaterEqual,
        "contains" => Comparator::Contains,
        "not_contains" => Comparator::NotContains,
        "starts_with" => Comparator::StartsWith,
        "ends_with" => Comparator::EndsWith,
        "between" => Comparator::Between,
        "not_between" => Comparator::NotBetween,
        other => {
            return Err(format!(
                "unknown comparator `{other}`; use one of {COMPARATORS}"
            ))
        }
    };
    let list = matches!(
        comparator,
        Comparator::In | Comparator::NotIn | Comparator::Between | Comparator::NotBetween
    );
    let value = if list {
        let items: Vec<Value> = split_unescaped(value, ',', usize::MAX)
            .into_iter()
            .map(|v| Value::String(unescape(v.trim())))
            .collect();
        let between = matches!(comparator, Comparator::Between | Comparator::NotBetween);
        if between && items.len() != 2 {
            return Err(format!(
                "`{}`: {} takes two values, FROM,TO",
                raw.trim(),
                comparator.as_str()
            ));
        }
        Value::Array(items)
    } else {
        Value::String(unescape(value.trim()))
    };
    Ok(BulkCriteria::field(&field, comparator, value))
}

// ---------------------------------------------------------------------------------------------
// Export

/// Why copying the pages stopped: the job side, or the output.
enum CopyError {
    Job(JobError),
    Out(io::Error),
}

fn csv_out_error(e: csv::Error) -> CopyError {
    CopyError::Out(match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => io::Error::other(format!("{other:?}")),
    })
}

/// Runs after each page's rows are written: the CSV writer, the read, the page's rows.
type OnPage<'a, W> =
    dyn FnMut(&mut csv::Writer<W>, &mut BulkRead, u64) -> Result<(), CopyError> + 'a;

/// The page hook of an export without a state file: nothing to record.
fn no_checkpoint<W: Write>(
    _: &mut csv::Writer<W>,
    _: &mut BulkRead,
    _: u64,
) -> Result<(), CopyError> {
    Ok(())
}

/// What an export did.
struct Copied {
    rows: u64,
    pages: u32,
}

/// Copies every page's rows to `out` as one CSV with one header (the first page's; later pages
/// are matched to it by column name should theirs differ). The SDK reads each page with the
/// core's limits (rows no more than the job reported, records of bounded size, a bounded
/// decompressed size) and stops a chain of pages that does not move; cells are written as
/// [`csv_cell`] says (formulas neutralised, cleaned on a terminal).
///
/// `header` is the header already written (a resumed export's); `on_page` runs after each
/// page's rows are written, with the page's row count.
fn copy_pages<W: Write>(
    read: &mut BulkRead,
    out: W,
    fallback_header: &[String],
    progress: &Progress,
    page_no: &Cell<u32>,
    mut header: Option<Vec<String>>,
    on_page: &mut OnPage<'_, W>,
) -> Result<(W, Copied), CopyError> {
    let bar = progress.bar();
    let mut csv_out = csv::WriterBuilder::new().flexible(true).from_writer(out);
    let mut rows = 0u64;
    let mut pages = 0u32;
    let write = |csv_out: &mut csv::Writer<W>, cells: &mut dyn Iterator<Item = &[u8]>| {
        csv_out
            .write_record(cells.map(csv_cell))
            .map_err(csv_out_error)
    };
    loop {
        page_no.set(pages + 1);
        bar.set_message(format!("page {}: creating the job", pages + 1));
        let Some(mut page) = read.next_page().map_err(CopyError::Job)? else {
            break;
        };
        pages += 1;
        bar.set_message(format!(
            "page {pages}: writing {} rows",
            page.job.result.as_ref().map_or(0, |r| r.count)
        ));
        let mut reader = page.zip().byte_rows().map_err(CopyError::Job)?;
        let page_header = if reader.headers().iter().all(String::is_empty) {
            Vec::new()
        } else {
            reader.headers().to_vec()
        };
        // Column i of the output comes from column remap[i] of this page.
        let remap: Option<Vec<Option<usize>>> = match &header {
            None => {
                let first = if page_header.is_empty() {
                    fallback_header.to_vec()
                } else {
                    page_header.clone()
                };
                write(&mut csv_out, &mut first.iter().map(|h| h.as_bytes()))?;
                header = Some(first);
                None
            }
            Some(h) if *h == page_header || page_header.is_empty() => None,
            Some(h) => Some(
                h.iter()
                    .map(|name| page_header.iter().position(|p| p == name))
                    .collect(),
            ),
        };
        let mut record = csv::ByteRecord::new();
        let before = rows;
        while reader.read(&mut record).map_err(CopyError::Job)? {
            match &remap {
                None => write(&mut csv_out, &mut record.iter())?,
                Some(map) => write(
                    &mut csv_out,
                    &mut map
                        .iter()
                        .map(|i| i.and_then(|i| record.get(i)).unwrap_or(b"")),
                )?,
            }
            bar.inc(1);
        }
        rows += reader.rows_read();
        drop(reader);
        drop(page);
        on_page(&mut csv_out, read, rows - before)?;
    }
    if header.is_none() {
        write(
            &mut csv_out,
            &mut fallback_header.iter().map(|h| h.as_bytes()),
        )?;
    }
    csv_out.flush().map_err(CopyError::Out)?;
    let out = csv_out
        .into_inner()
        .map_err(|e| CopyError::Out(e.into_error()))?;
    Ok((out, Copied { rows, pages }))
}

/// Field names without surrounding blanks, empty ones dropped.
fn clean(fields: Vec<String>) -> Vec<String> {
    fields
        .into_iter()
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .collect()
}

fn export(app: &App, args: BulkExportArgs) -> Result<(), CliError> {
    let dest = app.output_file.clone().ok_or_else(|| {
        CliError::Usage(
            "bulk export needs the file to write: -o FILE.csv (or -o - for stdout)".into(),
        )
    })?;
    let fields = clean(args.fields);
    let mut job = CreateBulkReadJob::new(&args.module);
    if !fields.is_empty() {
        job = job.fields(fields.iter().cloned());
    }
    if let Some(text) = &args.criteria {
        let criteria =
            parse_criteria(text).map_err(|e| CliError::Usage(format!("--criteria: {e}")))?;
        job = job.criteria(criteria);
    }
    if let Some(cvid) = args.cvid {
        job = job.cvid(cvid);
    }
    let policy = policy(app, &args.job)?;
    let mut fallback_header = vec!["id".to_owned()];
    fallback_header.extend(fields.iter().filter(|f| *f != "id").cloned());

    if let Some(state) = args.state.clone() {
        return export_resumable(
            app,
            &args.module,
            job,
            policy,
            &fallback_header,
            &dest,
            &state,
        );
    }
    let to_stdout = dest == "-";
    // Opened before any job is created: a destination that cannot be written costs nothing.
    let target = if to_stdout {
        None
    } else {
        Some(ExportFile::open(&dest)?)
    };
    let temp_parent = target
        .as_ref()
        .map_or_else(std::env::temp_dir, ExportFile::temp_parent);
    let scratch = PrivateDir::new_in(&temp_parent, "bulk-export").map_err(|e| {
        CliError::Usage(format!(
            "cannot create a temporary directory in {}: {e}",
            temp_parent.display()
        ))
    })?;
    let client = app.client()?;
    // A bar on the terminal that also shows the CSV would mangle it.
    let (progress, page_no, mut read) = export_read(
        &client,
        job,
        policy,
        &scratch,
        !(to_stdout && io::stdout().is_terminal()),
    );

    let copied = match target {
        None => {
            let out = BufWriter::with_capacity(256 * 1024, io::stdout().lock());
            match copy_pages(
                &mut read,
                out,
                &fallback_header,
                &progress,
                &page_no,
                None,
                &mut no_checkpoint,
            ) {
                Ok((_, copied)) => copied,
                Err(CopyError::Job(e)) => return Err(e.into()),
                Err(CopyError::Out(e)) => return Err(CliError::Io(e)),
            }
        }
        Some(target) => {
            let cannot = |e: io::Error| CliError::Usage(format!("cannot write {dest}: {e}"));
            let out = BufWriter::with_capacity(256 * 1024, target.file().map_err(cannot)?);
            let (out, copied) = match copy_pages(
                &mut read,
                out,
                &fallback_header,
                &progress,
                &page_no,
                None,
                &mut no_checkpoint,
            ) {
                Ok(done) => done,
                Err(CopyError::Job(e)) => return Err(e.into()),
                Err(CopyError::Out(e)) => return Err(cannot(e)),
            };
            drop(out.into_inner().map_err(|e| cannot(e.into_error()))?);
            target.commit().map_err(cannot)?;
            copied
        }
    };
    drop(scratch);
    drop(progress);
    term::say(format!(
        "exported {} rows of {} in {} page{} to {}",
        copied.rows,
        args.module,
        copied.pages,
        if copied.pages == 1 { "" } else { "s" },
        if to_stdout { "stdout" } else { &dest }
    ));
    Ok(())
}

/// The bulk read of an export, its zips in `scratch`, and the progress bar (shown when `bar`)
/// that its job states and the page number (shared with the copy) update.
fn export_read(
    client: &zohocrm_ureq::Client,
    job: CreateBulkReadJob,
    policy: PollPolicy,
    scratch: &PrivateDir,
    bar: bool,
) -> (Progress, Rc<Cell<u32>>, BulkRead) {
    let progress = Progress::new(
        "{spinner} [{elapsed_precise}] {human_pos} rows written; {msg}",
        bar,
    );
    let page_no = Rc::new(Cell::new(1u32));
    let (bar, page) = (progress.bar().clone(), page_no.clone());
    let read = client
        .bulk_read(job)
        .poll(policy)
        .temp_dir(scratch.path())
        .on_progress(move |job| {
            let state = term::clean(&job.state.to_string()).into_owned();
            bar.set_message(format!("page {}: job {state}", page.get()));
        });
    (progress, page_no, read)
}

/// `bulk export --state`: the export resumes from the state file and writes to a kept file
/// beside the destination (see [`KeptPartial`]). After each page its rows are flushed and
/// synced, then the state records the page and the kept file's length; a rerun cuts the kept
/// file back to that length, so a page half written when the run died is written once.
fn export_resumable(
    app: &App,
    module: &str,
    job: CreateBulkReadJob,
    policy: PollPolicy,
    fallback_header: &[String],
    dest: &str,
    state_path: &Path,
) -> Result<(), CliError> {
    let kept = KeptPartial::for_dest(dest)?;
    let cannot = |e: io::Error| CliError::Usage(format!("cannot write {dest}: {e}"));
    let client = app.client()?;
    let scratch = PrivateDir::new_in(&std::env::temp_dir(), "bulk-export").map_err(cannot)?;
    let (progress, page_no, read) = export_read(&client, job, policy, &scratch, true);
    let mut read = read.resume(StateFile::new(state_path))?;
    let earlier = read.state().cloned().unwrap_or_else(|| {
        zohocrm_core::bulk::resume::ReadState::new(CreateBulkReadJob::new(module))
    });
    let state_name = state_path.display();
    if earlier.is_finished() {
        drop(progress);
        if kept.exists() {
            kept.commit().map_err(cannot)?;
        }
        term::say(format!(
            "the export in {state_name} is finished ({} rows of {module} in {} pages, in \
             {dest}); remove {state_name} to export again",
            earlier.rows, earlier.pages
        ));
        return Ok(());
    }
    if earlier.pages > 0 || earlier.job_id.is_some() {
        progress.bar().suspend(|| {
            term::say(format!(
                "resuming the export in {state_name}: {} rows in {} pages written{}",
                earlier.rows,
                earlier.pages,
                if earlier.job_id.is_some() {
                    ", reusing the job of the next page"
                } else {
                    ""
                }
            ))
        });
    }
    let file = kept.open(earlier.mark).map_err(cannot)?;
    // The header a resumed file already has.
    let header = if earlier.mark == 0 {
        None
    } else {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(kept.path())
            .map_err(|e| cannot(io::Error::other(e)))?;
        let mut first = csv::StringRecord::new();
        reader
            .read_record(&mut first)
            .map_err(|e| cannot(io::Error::other(e)))?;
        Some(first.iter().map(str::to_owned).collect())
    };
    page_no.set(earlier.pages + 1);
    let mut checkpoint =
        |csv_out: &mut csv::Writer<BufWriter<File>>, read: &mut BulkRead, rows: u64| {
            csv_out.flush().map_err(CopyError::Out)?;
            let file = csv_out.get_ref().get_ref();
            file.sync_data().map_err(CopyError::Out)?;
            let mark = io::Seek::stream_position(&mut &*file).map_err(CopyError::Out)?;
            read.page_written(rows, mark).map_err(CopyError::Job)
        };
    let out = BufWriter::with_capacity(256 * 1024, file);
    match copy_pages(
        &mut read,
        out,
        fallback_header,
        &progress,
        &page_no,
        header,
        &mut checkpoint,
    ) {
        Ok(_) => {}
        Err(CopyError::Job(e)) => return Err(e.into()),
        Err(CopyError::Out(e)) => return Err(cannot(e)),
    }
    kept.commit().map_err(cannot)?;
    drop(scratch);
    drop(progress);
    let done = read.state().cloned().unwrap_or_else(|| earlier.clone());
    term::say(format!(
        "exported {} rows of {module} in {} page{} to {dest} ({} rows in {} pages this run)",
        done.rows,
        done.pages,
        if done.pages == 1 { "" } else { "s" },
        done.rows.saturating_sub(earlier.rows),
        done.pages.saturating_sub(earlier.pages),
    ));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Import

/// Where data rows start in the input file: row `i` (0-based) is on line `i + 2` plus the shift
/// of the last entry at or before `i` (multi-line cells and blank lines shift later rows).
#[derive(Debug, Default)]
struct Lines {
    shifts: Vec<(u64, u64)>,
}

impl Lines {
    fn note(&mut self, row: u64, line: u64) {
        let shift = line.saturating_sub(row + 2);
        if self.shifts.last().map_or(0, |s| s.1) != shift {
            self.shifts.push((row, shift));
        }
    }

    fn line(&self, row: u64) -> u64 {
        let i = self.shifts.partition_point(|s| s.0 <= row);
        row + 2 + if i == 0 { 0 } else { self.shifts[i - 1].1 }
    }
}

/// What the first reading of the input found.
struct Scan {
    columns: Vec<String>,
    rows: u64,
    lines: Lines,
}

fn csv_reader(path: &Path) -> Result<csv::Reader<BufReader<File>>, CliError> {
    let file = File::open(path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    Ok(csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(BufReader::with_capacity(64 * 1024, file)))
}

/// Reads the input once: checks the header and every row, counts rows, notes line numbers.
fn scan(path: &Path) -> Result<Scan, CliError> {
    let name = path.display();
    let mut reader = csv_reader(path)?;
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| CliError::Usage(format!("{name}: invalid CSV header: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    if columns.iter().all(String::is_empty) {
        return Err(CliError::Usage(format!(
            "{name}: no header row (field API names, e.g. Last_Name,Email)"
        )));
    }
    if let Some(i) = columns.iter().position(String::is_empty) {
        return Err(CliError::Usage(format!(
            "{name}: column {} has no name in the header",
            i + 1
        )));
    }
    for (i, c) in columns.iter().enumerate() {
        if columns[..i].contains(c) {
            return Err(CliError::Usage(format!(
                "{name}: the column `{c}` appears twice in the header"
            )));
        }
    }
    let mut lines = Lines::default();
    let mut record = csv::StringRecord::new();
    let mut rows = 0u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(CliError::Usage(format!("{name}: invalid CSV: {e}"))),
        }
        if let Some(p) = record.position() {
            lines.note(rows, p.line());
        }
        rows += 1;
    }
    Ok(Scan {
        columns,
        rows,
        lines,
    })
}

/// Progress of an import, shared by the row reader and the outcome callback.
struct ImportState {
    progress: Progress,
    job: Cell<u32>,
    in_file: Cell<usize>,
    between_files: Cell<bool>,
    /// A read error of the second pass (the file changed since the first).
    error: RefCell<Option<String>>,
}

impl ImportState {
    fn say(&self, message: String) {
        self.progress.bar().set_message(message);
    }
}

/// The input's rows as records, for the SDK (empty cells left out: they upload as empty).
struct InputRows<'a> {
    reader: csv::Reader<BufReader<File>>,
    columns: &'a [String],
    record: csv::StringRecord,
    state: &'a ImportState,
}

impl Iterator for InputRows<'_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        let state = self.state;
        match self.reader.read_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => {
                if !state.between_files.get() {
                    state.say(format!(
                        "job {}: uploading the file and waiting for the job",
                        state.job.get()
                    ));
                }
                return None;
            }
            Err(e) => {
                *state.error.borrow_mut() = Some(e.to_string());
                return None;
            }
        }
        if state.between_files.replace(false) {
            state.job.set(state.job.get() + 1);
            state.in_file.set(0);
            state.say(format!("job {}: writing the file", state.job.get()));
        }
        state.in_file.set(state.in_file.get() + 1);
        if state.in_file.get() == MAX_WRITE_ROWS {
            state.say(format!(
                "job {}: uploading the file and waiting for the job",
                state.job.get()
            ));
        }
        state.progress.bar().inc(1);
        let mut row = Record::new();
        for (column, cell) in self.columns.iter().zip(self.record.iter()) {
            if !cell.is_empty() {
                row.set(column, cell);
            }
        }
        Some(row)
    }
}

/// What an error code of a bulk write report means.
fn explain(code: &str) -> String {
    match code {
        "MANDATORY_NOT_FOUND" => "required field is empty".into(),
        "INVALID_DATA" => "invalid value".into(),
        "DUPLICATE_DATA" => "duplicate of an existing record".into(),
        "RESOURCE_NOT_FOUND" => "no record matches the --find-by value".into(),
        "LIMIT_EXCEEDED" => "a limit was exceeded".into(),
        "NOT_APPROVED" => "the record is awaiting approval".into(),
        "CANNOT_PROCESS" => "Zoho could not process the row".into(),
        other => other.to_ascii_lowercase().replace('_', " "),
    }
}

/// The output row of a failed input row.
fn failure_row(outcome: &RowOutcome, lines: &Lines) -> Map<String, Value> {
    let codes: Vec<&str> = outcome.errors.iter().map(|e| e.code.as_str()).collect();
    let fields: Vec<&str> = outcome
        .errors
        .iter()
        .filter_map(|e| e.column.as_deref())
        .collect();
    let message = if outcome.errors.is_empty() {
        format!("the row was {}", outcome.status.to_ascii_lowercase())
    } else {
        outcome
            .errors
            .iter()
            .map(|e| match &e.column {
                Some(c) => format!("{}: {c}", explain(&e.code)),
                None => explain(&e.code),
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut row = Map::new();
    row.insert("row".into(), json!(outcome.row + 1));
    row.insert("line".into(), json!(lines.line(outcome.row)));
    row.insert("status".into(), json!(outcome.status));
    row.insert(
        "code".into(),
        json!(if codes.is_empty() {
            outcome.status.clone()
        } else {
            codes.join(";")
        }),
    );
    row.insert("field".into(), json!(fields.join(";")));
    row.insert("message".into(), json!(message));
    row
}

/// Counts of the outcomes seen.
#[derive(Debug, Default)]
struct Tally {
    seen: u64,
    added: u64,
    updated: u64,
    other_ok: u64,
    failed: u64,
}

fn org_id(app: &App, flag: Option<String>) -> Result<String, CliError> {
    flag.map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty())
        .or_else(|| app.settings.org_id.as_ref().map(|o| o.value.clone()))
        .ok_or_else(|| {
            CliError::Usage(
                "no org id: bulk import sends the organisation id (zgid) as X-CRM-ORG; set \
                 --org-id, ZOHO_ORG_ID or org_id in the config file (`zcrm api GET org` shows \
                 it as `zgid`)"
                    .into(),
            )
        })
}

fn import(app: &App, args: BulkImportArgs) -> Result<(), CliError> {
    let org_id = org_id(app, args.org_id.clone())?;
    let operation = match args.operation {
        BulkOperation::Insert => WriteOperation::Insert,
        BulkOperation::Update => WriteOperation::Update,
        BulkOperation::Upsert => WriteOperation::Upsert,
    };
    let find_by = args
        .find_by
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_owned);
    if operation != WriteOperation::Insert && find_by.is_none() {
        return Err(CliError::Usage(
            "--operation update and upsert need --find-by FIELD (a unique field such as Email, \
             or id)"
                .into(),
        ));
    }
    let policy = policy(app, &args.job)?;
    let scan = scan(&args.file)?;
    let name = args.file.display().to_string();
    if scan.rows == 0 {
        return Err(CliError::Usage(format!("{name}: no rows after the header")));
    }
    if let Some(f) = &find_by {
        if !scan.columns.contains(f) {
            return Err(CliError::Usage(format!(
                "--find-by {f}: {name} has no `{f}` column"
            )));
        }
    }
    let client = app.client()?;
    let temp_parent = std::env::temp_dir();
    let scratch = PrivateDir::new_in(&temp_parent, "bulk-import").map_err(|e| {
        CliError::Usage(format!(
            "cannot create a temporary directory in {}: {e}",
            temp_parent.display()
        ))
    })?;
    let mut write = BulkWrite::new(operation, &args.module, &org_id, scan.columns.clone())
        .poll(policy)
        .temp_dir(scratch.path())
        .rows_per_file(args.rows_per_job as usize);
    if let Some(f) = find_by {
        write = write.job(|j| j.find_by(f));
    }
    if args.ignore_empty {
        write = write.job(|j| j.ignore_empty(true));
    }

    let state = ImportState {
        progress: Progress::new(
            "{spinner} [{elapsed_precise}] {msg} [{wide_bar}] {human_pos}/{human_len} rows",
            true,
        ),
        job: Cell::new(0),
        in_file: Cell::new(0),
        between_files: Cell::new(true),
        error: RefCell::new(None),
    };
    state.progress.bar().set_length(scan.rows);
    // The second reading: the reader skips the header by itself.
    let rows = InputRows {
        reader: csv_reader(&args.file)?,
        columns: &scan.columns,
        record: csv::StringRecord::new(),
        state: &state,
    };

    let columns: Vec<String> = ["row", "line", "status", "code", "field", "message"]
        .map(String::from)
        .to_vec();
    let mut out = app.stdout();
    let fixed = matches!(app.format, Format::Table | Format::Csv).then_some(columns);
    let mut sink = RowSink::new(app.format, &mut out, fixed);
    let mut tally = Tally::default();
    let state_file = args.state.as_deref().map(StateFile::new);
    if let Some(earlier) = state_file
        .as_ref()
        .map(StateFile::load::<WriteState>)
        .transpose()?
    {
        let earlier = earlier.filter(|e| e.reported() > 0);
        if let Some(e) = earlier {
            let t = e.tally();
            tally.seen = e.rows_done();
            tally.added = t.with_status("ADDED");
            tally.updated = t.with_status("UPDATED");
            tally.other_ok = t.succeeded.values().sum::<u64>() - tally.added - tally.updated;
            tally.failed = t.failed;
            state.progress.bar().suspend(|| {
                term::say(format!(
                    "resuming the import in {}: {} rows imported by earlier runs ({} failed, \
                     listed by those runs)",
                    args.state.as_deref().unwrap_or(Path::new("")).display(),
                    tally.seen,
                    tally.failed
                ))
            });
        }
    }
    let mut out_error: Option<io::Error> = None;
    let mut on_outcome = |outcome: RowOutcome| {
        if !state.between_files.replace(true) {
            state.say(format!("job {}: reading the report", state.job.get()));
        }
        tally.seen += 1;
        if outcome.is_success() {
            match outcome.status.to_ascii_uppercase().as_str() {
                "ADDED" => tally.added += 1,
                "UPDATED" => tally.updated += 1,
                _ => tally.other_ok += 1,
            }
            return;
        }
        tally.failed += 1;
        if out_error.is_none() {
            let row = failure_row(&outcome, &scan.lines);
            if let Err(e) = state.progress.bar().suspend(|| sink.row(row)) {
                out_error = Some(e);
            }
        }
    };
    let result = match &state_file {
        None => client
            .bulk_write_with(&write, rows, &mut on_outcome)
            .map(|_| state.job.get() as usize),
        Some(file) => client
            .bulk_write_resumable(&write, rows, file, &mut on_outcome)
            .map(|done| done.files.len()),
    };
    let jobs = match &result {
        Ok(files) => *files,
        Err(_) => state.job.get() as usize,
    };
    drop(state.progress);
    if let Some(e) = out_error {
        return Err(CliError::Io(e));
    }
    // Failures are printed (an empty list too, for programs) unless nothing came back at all.
    if tally.failed > 0 || (app.format != Format::Table && (result.is_ok() || tally.seen > 0)) {
        sink.finish()?;
    }
    out.flush()?;
    let ok = tally.added + tally.updated + tally.other_ok;
    let summary = format!(
        "{ok} succeeded ({} added, {} updated), {} failed",
        tally.added, tally.updated, tally.failed
    );
    if let Err(e) = result {
        if tally.seen > 0 {
            term::say(format!(
                "{} of {} rows were processed before the failure: {summary}",
                tally.seen, scan.rows
            ));
        }
        return Err(import_error(e, &org_id));
    }
    if let Some(e) = state.error.into_inner() {
        return Err(CliError::Usage(format!(
            "{name} changed while it was imported ({e}); {} of {} rows were imported: {summary}",
            tally.seen, scan.rows
        )));
    }
    term::say(format!(
        "imported {} rows into {} ({jobs} job{}): {summary}",
        scan.rows,
        args.module,
        if jobs == 1 { "" } else { "s" }
    ));
    if tally.failed > 0 {
        Err(CliError::Reported(Exit::Api))
    } else {
        Ok(())
    }
}

/// The error of a failed import; the upload host's refusal (a wrong org id, usually) gets a
/// hint.
fn import_error(e: JobError, org_id: &str) -> CliError {
    use zohocrm_core::Error;
    let refused = match &e {
        JobError::Api(inner) => match inner.as_ref() {
            Error::Api { status, error }
                if *status == 400
                    && (error.details.get("ERROR_CODE").is_some()
                        || error.message.contains("X-CRM-ORG")) =>
            {
                let mut why = format!("HTTP {status}: {}", error.message);
                if let Some(x) = error.details.get("x-error").and_then(Value::as_str) {
                    if x != error.message {
                        why.push_str(&format!(" ({x})"));
                    }
                }
                Some(why)
            }
            Error::Http {
                status: 400,
                excerpt,
                ..
            } if excerpt.contains("X-CRM-ORG") => Some(format!("HTTP 400: {excerpt}")),
            _ => None,
        },
        _ => None,
    };
    match refused {
        Some(why) => CliError::Api(format!(
            "the upload host refused the file: {why}; hint: check the org id `{org_id}` \
             (--org-id, ZOHO_ORG_ID or org_id in the config file): it is the organisation's \
             zgid, shown by `zcrm api GET org`"
        )),
        None => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criteria_json(text: &str) -> Value {
        serde_json::to_value(parse_criteria(text).unwrap()).unwrap()
    }

    #[test]
    fn simple_criteria() {
        assert_eq!(
            criteria_json("Lead_Source:equal:Web"),
            json!({"field": {"api_name": "Lead_Source"}, "comparator": "equal", "value": "Web"})
        );
        let v = criteria_json("(Lead_Source:in:Web, Partner) and (Annual_Revenue:>:1000)");
        assert_eq!(v["group_operator"], "and");
        assert_eq!(v["group"][0]["value"], json!(["Web", "Partner"]));
        assert_eq!(v["group"][1]["comparator"], "greater_than");
        let v = criteria_json("((A:equal:1) or (B:equal:2)) and (C:contains:x\\)y:z)");
        assert_eq!(v["group"][0]["group_operator"], "or");
        assert_eq!(v["group"][1]["value"], "x)y:z");
        let v = criteria_json("(Created_Time:between:2024-01-01T00:00:00+00:00,2024-12-31)");
        assert_eq!(v["value"][0], "2024-01-01T00:00:00+00:00");
        let v = criteria_json(
            r#"{"field": {"api_name": "Email"}, "comparator": "equal", "value": "${EMPTY}"}"#,
        );
        assert_eq!(v["value"], "${EMPTY}");
    }

    #[test]
    fn bad_criteria_say_why() {
        for (text, part) in [
            ("Last_Name", "FIELD:COMPARATOR:VALUE"),
            ("Last_Name:like:x", "unknown comparator"),
            (
                "(A:equal:1) and (B:equal:2) or (C:equal:3)",
                "add parentheses",
            ),
            ("(A:equal:1", "missing `)`"),
            ("(A:equal:1) (B:equal:2)", "expected `and`"),
            ("(A:between:1)", "two values"),
            ("{oops", "invalid criteria JSON"),
            ("(A:equal:1))", "unexpected"),
        ] {
            let e = parse_criteria(text).unwrap_err();
            assert!(e.contains(part), "{text}: {e}");
        }
    }

    #[test]
    fn line_numbers_follow_multi_line_cells() {
        let mut lines = Lines::default();
        for (row, line) in [(0, 2), (1, 3), (2, 5), (3, 6), (4, 8)] {
            lines.note(row, line);
        }
        let got: Vec<u64> = (0..6).map(|r| lines.line(r)).collect();
        assert_eq!(got, [2, 3, 5, 6, 8, 9]);
        assert_eq!(lines.shifts.len(), 2);
    }
}
