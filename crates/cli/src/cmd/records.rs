//! `zcrm records list|get|create|update|upsert|delete|search`.

use std::io::Write;

use serde_json::Value;
use zohocrm_core::records::RecordPage;
use zohocrm_core::records::{Criteria, GetRecord, ListRecords, SearchRecords, SortOrder};
use zohocrm_core::{Paginated, Record};

use crate::cli::{ListArgs, Order, RecordsCommand, SearchArgs, WriteArgs};
use crate::cmd::finish_write;
use crate::error::{CliError, Exit};
use crate::input::read_records;
use crate::output::{write_value, Format, RowSink};
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

/// Prints the records of one page, or of every page when `all` (streaming as they arrive).
fn print_records<E>(
    app: &App,
    first: E,
    all: bool,
    columns: Option<Vec<String>>,
) -> Result<(), CliError>
where
    E: Paginated<Output = RecordPage>,
{
    let client = app.client()?;
    let mut out = app.stdout();
    let mut sink = RowSink::new(app.format, &mut out, columns);
    if all {
        for record in client.records(first) {
            sink.row(record?.to_map())?;
        }
        sink.finish()?;
    } else {
        let page = client.send(&first)?;
        let more = page.info.has_more();
        for record in page.records {
            sink.row(record.to_map())?;
        }
        sink.finish()?;
        if more {
            eprintln!("zcrm: more records follow; add --all for every page");
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
    print_records(app, request, args.all, columns(&args.fields))
}

fn get(app: &App, module: &str, id: &str, fields: Vec<String>) -> Result<(), CliError> {
    let record = app
        .client()?
        .send(&GetRecord::new(module, id).fields(fields))?;
    let Some(record) = record else {
        eprintln!("zcrm: no {module} record with id {id}");
        return Err(CliError::Reported(Exit::Api));
    };
    let mut out = app.stdout();
    write_value(app.format, &mut out, &Value::Object(record.to_map()))?;
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
    print_records(app, request, args.all, columns)
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
