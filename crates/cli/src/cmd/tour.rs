//! `zcrm tour`: a guided run of the main features against an embedded mock server, with the
//! `zcrm` command that does each step. It always uses its own mock: it writes records.

use std::io::{self, Write};
use std::time::SystemTime;

use serde_json::json;
use zohocrm_core::bulk::{BulkCriteria, Comparator, CreateBulkReadJob};
use zohocrm_core::jobs::PollPolicy;
use zohocrm_core::records::{Cond, Coql, Criteria, ListRecords, SearchRecords, SortOrder};
use zohocrm_core::Record;
use zohocrm_mock::{BlockingMock, MockConfig};
use zohocrm_ureq::{Client, Error};

use crate::cmd::outcome_rows;
use crate::cmd::territories::write_tree;
use crate::error::CliError;
use crate::output::{cells_of, write_table, RowSink};

/// Runs the tour, printing to stdout.
pub fn run() -> Result<(), CliError> {
    let mock = BlockingMock::start()
        .map_err(|e| CliError::Usage(format!("cannot start the mock server: {e}")))?;
    let base = mock.base_url();
    let cfg = MockConfig::default();
    let client = Client::builder()
        .hosts(&base, &base, &base)
        .refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token)
        .build()?;
    let mut out = io::stdout().lock();
    tour(&mock, &client, &base, &mut out)?;
    out.flush()?;
    Ok(())
}

fn step(out: &mut impl Write, n: u32, title: &str, command: &str) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{n}. {title}")?;
    writeln!(out, "   $ {command}")?;
    Ok(())
}

fn indented(out: &mut impl Write, text: &str) -> io::Result<()> {
    for line in text.lines() {
        writeln!(out, "   {line}")?;
    }
    Ok(())
}

fn table(out: &mut impl Write, columns: &[&str], records: &[Record]) -> io::Result<()> {
    let columns: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
    let rows: Vec<_> = records.iter().map(cells_of).collect();
    let mut buf = Vec::new();
    write_table(&mut buf, &columns, &rows)?;
    indented(out, &String::from_utf8_lossy(&buf))
}

fn tour(
    mock: &BlockingMock,
    client: &Client,
    base: &str,
    out: &mut impl Write,
) -> Result<(), CliError> {
    writeln!(
        out,
        "zcrm tour: Zoho CRM from the command line, on a mock server"
    )?;
    writeln!(
        out,
        "=========================================================="
    )?;
    writeln!(
        out,
        "Everything below runs offline, against a fake Zoho CRM started inside this process\n\
         at {base} (it plays both the accounts server and the API, with demo\n\
         data). Each step shows the zcrm command that does the same: add --mock to run it on a\n\
         fresh mock, or leave it out and set ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_DC and\n\
         ZOHO_REFRESH_TOKEN (or run `zcrm auth login`) to run it on your organisation."
    )?;

    step(
        out,
        1,
        "Sign in and read the user licences",
        "zcrm licences",
    )?;
    writeln!(
        out,
        "   The first call signs in: the refresh token is exchanged for an access token at\n   \
         {base}/oauth/v2/token; zcrm keeps it in its token store (file, mode 0600) so the\n   \
         next run reuses it instead of minting another (Zoho allows 10 per 10 minutes)."
    )?;
    let licences = client.user_licences()?;
    if let Some(expiry) = client.session().token_expires_at() {
        let minutes = expiry
            .duration_since(SystemTime::now())
            .map(|d| d.as_secs().div_ceil(60))
            .unwrap_or(0);
        writeln!(
            out,
            "   Signed in; the access token is valid for about {minutes} minutes."
        )?;
    }
    writeln!(
        out,
        "   Purchased {}, in use {}, available {}.",
        licences.limit, licences.used, licences.available
    )?;
    writeln!(
        out,
        "   With -o json: {}",
        json!({"available": licences.available, "used": licences.used, "limit": licences.limit})
    )?;

    step(out, 2, "The territory tree", "zcrm territories list --tree")?;
    match client.territories() {
        Ok(territories) => {
            writeln!(
                out,
                "   {} territories, each under the territory it reports to:",
                territories.len()
            )?;
            write_tree(out, &territories, "   ")?;
        }
        Err(Error::Api { error, .. }) if error.code.as_str() == "TERRITORY_NOT_ENABLED" => {
            writeln!(out, "   Territory management is not enabled.")?;
        }
        Err(e) => return Err(e.into()),
    }

    step(
        out,
        3,
        "List every Lead, across pages",
        "zcrm records list Leads --fields Last_Name,Email,Company --all -o jsonl",
    )?;
    writeln!(
        out,
        "   Zoho returns at most 200 records per call, by page number up to record 2,000 and with\n   \
         a page_token after that; zcrm follows both (with -o jsonl each record is printed as it\n   \
         arrives)."
    )?;
    mock.clear_requests();
    let mut leads = Vec::new();
    for lead in client.records(ListRecords::new("Leads", ["Last_Name", "Email", "Company"])) {
        leads.push(lead?);
    }
    let requests = mock.requests();
    let calls = requests
        .iter()
        .filter(|r| r.path() == "/crm/v8/Leads")
        .count();
    let with_token = requests
        .iter()
        .filter(|r| r.path() == "/crm/v8/Leads" && r.uri.contains("page_token="))
        .count();
    writeln!(
        out,
        "   Read {} leads in {calls} calls ({with_token} of them with a page_token). The first three:",
        leads.len()
    )?;
    let first: Vec<Record> = leads.iter().take(3).cloned().collect();
    table(out, &["id", "Last_Name", "Email", "Company"], &first)?;

    step(
        out,
        4,
        "Insert records: one outcome per row",
        "zcrm records create Leads --input new-leads.csv",
    )?;
    writeln!(
        out,
        "   Three rows; the second has no Last_Name, which Leads require. Writes of any size are\n   \
         sent 100 rows per call, and each row gets its own outcome, so one bad row does not\n   \
         hide the others (zcrm exits 1 when any row failed)."
    )?;
    let rows = [
        json!({"Last_Name": "Lovelace", "First_Name": "Ada", "Email": "ada.lovelace@example.test", "Company": "Analytical Engines"}),
        json!({"First_Name": "Nameless", "Company": "Nowhere Ltd"}),
        json!({"Last_Name": "Hopper", "First_Name": "Grace", "Email": "grace.hopper@example.test", "Company": "Compilers, Inc."}),
    ];
    let records: Vec<Record> = rows
        .iter()
        .map(|r| Record::from_serialize(r).expect("a JSON object"))
        .collect();
    let results = client.insert_records("Leads", records)?;
    let mut buf = Vec::new();
    let mut sink = RowSink::new(
        crate::output::Format::Table,
        &mut buf,
        Some(
            ["index", "status", "id", "code", "message"]
                .map(String::from)
                .to_vec(),
        ),
    );
    for row in outcome_rows(&results) {
        sink.row(row)?;
    }
    sink.finish()?;
    indented(out, &String::from_utf8_lossy(&buf))?;

    step(
        out,
        5,
        "COQL: query with SQL-like syntax",
        "zcrm coql \"select Last_Name, Email from Leads where Last_Name = 'O''Brien' order by id asc limit 200\" --all",
    )?;
    let query = Coql::select(["Last_Name", "Email"])
        .from("Leads")
        .filter(Cond::eq("Last_Name", "O'Brien"))
        .order_by("id", SortOrder::Asc)
        .limit(200);
    writeln!(
        out,
        "   Values are quoted for you by the SDK's builder (O'Brien becomes 'O''Brien'); the query\n   \
         sent is: {}",
        query.to_query().map_err(Error::from)?
    )?;
    let mut rows = Vec::new();
    for row in client.coql(query) {
        rows.push(row?);
    }
    writeln!(
        out,
        "   {} leads are named O'Brien (all pages, `limit offset, count` moved automatically). First three:",
        rows.len()
    )?;
    let first: Vec<Record> = rows.iter().take(3).cloned().collect();
    table(out, &["id", "Last_Name", "Email"], &first)?;

    step(
        out,
        6,
        "Search",
        "zcrm records search Leads --email ada.lovelace@example.test",
    )?;
    let found = client.send(
        &SearchRecords::email("Leads", "ada.lovelace@example.test").fields([
            "Last_Name",
            "Email",
            "Company",
        ]),
    )?;
    writeln!(
        out,
        "   The lead inserted in step 4 is found by its email ({} match):",
        found.records.len()
    )?;
    table(
        out,
        &["id", "Last_Name", "Email", "Company"],
        &found.records,
    )?;
    let criteria = Criteria::equals("Company", "Compilers, Inc.")
        .or(Criteria::starts_with("Last_Name", "Lovel"));
    let found = client.send(
        &SearchRecords::criteria("Leads", criteria.clone()).fields(["Last_Name", "Company"]),
    )?;
    writeln!(
        out,
        "   Criteria values are escaped too: {} matches {} leads.",
        criteria.as_str(),
        found.records.len()
    )?;

    step(
        out,
        7,
        "Bulk export",
        "zcrm bulk export Leads --fields Last_Name,Email --criteria \"Last_Name:equal:O'Brien\" -o obrien.csv",
    )?;
    let mut export = client
        .bulk_read(
            CreateBulkReadJob::new("Leads")
                .fields(["Last_Name", "Email"])
                .criteria(BulkCriteria::field(
                    "Last_Name",
                    Comparator::Equal,
                    "O'Brien",
                )),
        )
        .poll(PollPolicy::fast());
    let (mut rows, mut pages) = (0u64, 0u32);
    while let Some(mut page) = export.next_page()? {
        pages += 1;
        for record in page.records()? {
            record?;
            rows += 1;
        }
    }
    writeln!(
        out,
        "   A bulk read job was created, polled until COMPLETED, and its result zip streamed\n   \
         row by row: {rows} rows in {pages} page(s) (200,000 records a page at Zoho).\n   \
         `zcrm bulk import Leads leads.csv --org-id ZGID` goes the other way (25,000 rows a\n   \
         job) and prints the rows that failed. Add `--state FILE` to either and the export or\n   \
         import is resumable: rerun it after a crash or Ctrl-C and it continues, reusing the\n   \
         jobs already created, writing no row twice."
    )?;

    let stats = mock.stats();
    writeln!(out)?;
    writeln!(
        out,
        "Done: the mock minted {} access token(s) and answered {} API calls.",
        stats.mints, stats.api_requests
    )?;
    writeln!(
        out,
        "Next:\n  \
         zcrm --help                                     every command and option\n  \
         zcrm ops                                        every operation of the SDK\n  \
         zcrm --mock api GET Leads -q fields=Last_Name   any call, like `gh api`\n  \
         zcrm auth login --grant-code CODE               sign in to your organisation (README)"
    )?;
    Ok(())
}
