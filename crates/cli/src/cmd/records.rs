//! `zcrm records list|get|create|update|upsert|delete|search`.

use std::io::Write;

use zohocrm_core::pagination::PageStop;
use zohocrm_core::records::RecordPage;
use zohocrm_core::records::{
    Criteria, GetRecord, ListRecords, SearchRecords, SortOrder, MAX_REACHABLE, PAGE_NUMBER_REACH,
};
use zohocrm_core::{Paginated, Record};

use crate::cli::{ListArgs, Order, RecordsCommand, SearchArgs, WriteArgs};
use crate::cmd::finish_write;
use crate::error::{CliError, Exit};
use crate::input::read_records;
use crate::output::{write_record, Format, RowSink};
use crate::term;
use crate::App;

/// Runs a `records` subcommand.
pub fn run(app: &App, command: RecordsCommand) -> Result<(), CliError> {
    match command {
        RecordsCommand::List(mut args) => {
            args.fields = clean(args.fields);
            list(app, args)
        }
        RecordsCommand::Get { module, id, fields } => get(app, &module, &id, clean(fields)),
        RecordsCommand::Create(args) => {
            let records = read_input(&args)?;
            let result = app.client()?.insert_records(&args.module, records);
            finish_write(app.format, &mut app.stdout(), result)
        }
        RecordsCommand::Update(args) => {
            let records = read_input(&args)?;
            if let Some(i) = records.iter().position(|r| r.id().is_none()) {
                return Err(CliError::Usage(format!(
                    "row {i} has no `id`: updates need the id of each record"
                )));
            }
            let result = app.client()?.update_records(&args.module, records);
            finish_write(app.format, &mut app.stdout(), result)
        }
        RecordsCommand::Upsert {
            write,
            duplicate_check_fields,
        } => {
            let records = read_input(&write)?;
            let fields: Vec<&str> = duplicate_check_fields.iter().map(String::as_str).collect();
            let result = app
                .client()?
                .upsert_records(&write.module, records, &fields);
            finish_write(app.format, &mut app.stdout(), result)
        }
        RecordsCommand::Delete { module, ids } => {
            let result = app.client()?.delete_records(&module, ids);
            finish_write(app.format, &mut app.stdout(), result)
        }
        RecordsCommand::Search(mut args) => {
            args.fields = clean(args.fields);
            search(app, args)
        }
        RecordsCommand::Changes(args) => crate::cmd::changes::run(app, args),
    }
}

/// Field names without surrounding blanks (`--fields "A, B"`), empty ones dropped.
fn clean(fields: Vec<String>) -> Vec<String> {
    fields
        .into_iter()
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .collect()
}

fn read_input(args: &WriteArgs) -> Result<Vec<Record>, CliError> {
    let records = read_records(&args.input, args.format)?;
    if records.is_empty() {
        return Err(CliError::Usage(format!(
            "no records in {}",
            if args.input == "-" {
                "stdin"
            } else {
                &args.input
            }
        )));
    }
    Ok(records)
}

/// Table and CSV columns: `id`, then the requested fields.
fn columns(fields: &[String]) -> Option<Vec<String>> {
    if fields.is_empty() {
        return None;
    }
    let mut cols = vec!["id".to_owned()];
    cols.extend(fields.iter().filter(|f| f.as_str() != "id").cloned());
    Some(cols)
}

/// The end of a listing that stopped although Zoho said more records follow: at the reach of
/// the endpoint (`reach` records) a warning; otherwise (an empty page, a cursor that does not
/// move or goes round in a circle) an error, since the list printed is not all.
pub fn stopped_early(stop: &PageStop, count: u64, reach: u64) -> Result<(), CliError> {
    if matches!(stop, PageStop::NoCursor { .. }) && count >= reach {
        term::say(format!(
            "warning: Zoho serves at most {reach} records this way and more follow; `zcrm bulk \
             export` reads them all"
        ));
        return Ok(());
    }
    Err(CliError::Api(format!(
        "the listing stopped after {count} records: {stop}; the records printed may not be all"
    )))
}

/// Prints the records of one page, or of every page when `all` (streaming as they arrive).
fn print_records<E>(
    app: &App,
    first: E,
    all: bool,
    columns: Option<Vec<String>>,
    reach: u64,
) -> Result<(), CliError>
where
    E: Paginated<Output = RecordPage>,
{
    let client = app.client()?;
    let mut out = app.stdout();
    let mut sink = RowSink::new(app.format, &mut out, columns);
    if all {
        let mut records = client.records(first);
        let mut count = 0u64;
        for record in records.by_ref() {
            sink.record(&record?)?;
            count += 1;
        }
        sink.finish()?;
        out.flush()?;
        if let Some(stop) = records.stopped() {
            return stopped_early(stop, count, reach);
        }
    } else {
        let page = client.send(&first)?;
        let more = page.info.has_more();
        for record in page.records {
            sink.record(&record)?;
        }
        sink.finish()?;
        if more {
            term::say("more records follow; add --all for every page");
        }
    }
    out.flush()?;
    Ok(())
}

fn list(app: &App, args: ListArgs) -> Result<(), CliError> {
    let mut request = ListRecords::new(&args.module, args.fields.iter().cloned());
    if let Some(n) = args.per_page {
        request = request.per_page(n);
    }
    if let Some(n) = args.page {
        request = request.page(n);
    }
    if let Some(by) = &args.sort_by {
        let order = match args.sort_order {
            Some(Order::Asc) => SortOrder::Asc,
            _ => SortOrder::Desc,
        };
        request = request.sort(by, order);
    }
    if let Some(cvid) = &args.cvid {
        request = request.cvid(cvid);
    }
    print_records(app, request, args.all, columns(&args.fields), MAX_REACHABLE)
}

fn get(app: &App, module: &str, id: &str, fields: Vec<String>) -> Result<(), CliError> {
    let record = app
        .client()?
        .send(&GetRecord::new(module, id).fields(fields))?;
    let Some(record) = record else {
        term::say(format!("no {module} record with id {id}"));
        return Err(CliError::Reported(Exit::Api));
    };
    let mut out = app.stdout();
    write_record(app.format, &mut out, &record)?;
    out.flush()?;
    Ok(())
}

fn search(app: &App, args: SearchArgs) -> Result<(), CliError> {
    let module = args.module.as_str();
    let mut request = match (&args.criteria, &args.email, &args.phone, &args.word) {
        (Some(c), _, _, _) => SearchRecords::criteria(module, Criteria::raw(c.clone())),
        (_, Some(e), _, _) => SearchRecords::email(module, e.clone()),
        (_, _, Some(p), _) => SearchRecords::phone(module, p.clone()),
        (_, _, _, Some(w)) => SearchRecords::word(module, w.clone()),
        _ => unreachable!("clap requires one matcher"),
    };
    if !args.fields.is_empty() {
        request = request.fields(args.fields.iter().cloned());
    }
    if let Some(n) = args.per_page {
        request = request.per_page(n);
    }
    let format = app.format;
    let columns = columns(&args.fields).filter(|_| matches!(format, Format::Table | Format::Csv));
    print_records(app, request, args.all, columns, PAGE_NUMBER_REACH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_start_with_the_id() {
        assert_eq!(
            columns(&["Email".into(), "id".into(), "Last_Name".into()]).unwrap(),
            ["id", "Email", "Last_Name"]
        );
        assert!(columns(&[]).is_none());
        assert_eq!(clean(vec![" A".into(), "".into(), "B ".into()]), ["A", "B"]);
    }
}
