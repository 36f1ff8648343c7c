//! Records cases: the everyday data plane end to end against the mock's stateful modules,
//! driven with the same pure state machines the clients use ([`RecordCursor`], [`Batch`]).

use std::collections::HashSet;

use zohocrm_core::records::{
    Batch, Chunked, Cond, Coql, CoqlQuery, InsertRecords, ListRecords, RecordCursor, RecordPage,
};
use zohocrm_core::{ApiErrorCode, Paginated, Record, Session};
use zohocrm_mock::{BlockingMock, MockConfig};

use crate::{session, Harness};

/// Every record of every page, page by page through the harness.
fn all_records<E>(h: &impl Harness, s: &std::sync::Arc<Session>, first: E) -> Vec<Record>
where
    E: Paginated<Output = RecordPage> + Sync,
{
    let mut cursor = RecordCursor::new(first);
    let mut out = Vec::new();
    loop {
        if let Some(r) = cursor.pop() {
            out.push(r);
            continue;
        }
        let Some(request) = cursor.take_request() else {
            return out;
        };
        let page = h
            .call(s, &request)
            .unwrap_or_else(|e| panic!("{}: page failed: {e}", h.transport_name()));
        cursor.absorb(&request, page);
    }
}

fn mock_with_leads(n: usize) -> BlockingMock {
    BlockingMock::start_with(MockConfig {
        demo_leads: n,
        ..MockConfig::default()
    })
    .expect("the mock starts")
}

/// 2,600 Leads in one iteration: page numbers 1–10 (2,000 records), then `page_token`; no
/// duplicate, none missing, the other parameters unchanged on every call.
pub fn records_list_crosses_from_pages_to_tokens(h: &impl Harness) {
    let mock = mock_with_leads(2_600);
    let s = session(&mock);
    let records = all_records(h, &s, ListRecords::new("Leads", ["Last_Name", "Email"]));
    assert_eq!(records.len(), 2_600, "{}", h.transport_name());
    let ids: HashSet<String> = records
        .iter()
        .map(|r| r.id().expect("every record has an id").into_owned())
        .collect();
    assert_eq!(ids.len(), 2_600, "no record twice");
    let queries: Vec<String> = mock
        .requests()
        .iter()
        .filter(|r| r.path() == "/crm/v8/Leads")
        .map(|r| r.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(queries.len(), 13, "{queries:?}");
    assert!(queries[..10]
        .iter()
        .all(|q| !q.contains("page_token") && q.starts_with("fields=Last_Name,Email")));
    assert!(queries[1].ends_with("page=2") && queries[9].ends_with("page=10"));
    assert!(queries[10..]
        .iter()
        .all(|q| q.contains("page_token=") && !q.contains("page=")));
}

/// 250 records in one insert call of the SDK (three calls of at most 100 on the wire), two
/// bad rows: 248 successes and exactly two errors, at the bad rows' input indexes.
pub fn records_batch_insert_reports_each_row(h: &impl Harness) {
    let mock = mock_with_leads(0);
    let s = session(&mock);
    let rows = (0..250).map(|i| {
        let r = Record::new().with("Company", format!("Batch Co {i}"));
        match i {
            17 => r
                .with("Last_Name", "Bad Email")
                .with("Email", "not an email"),
            203 => r.with("Email", format!("no-name-{i}@example.test")),
            _ => r
                .with("Last_Name", format!("Row {i}"))
                .with("Email", format!("row{i}@example.test")),
        }
    });
    let insert = InsertRecords::new("Leads", rows);
    let mut batch = Batch::new(insert.len());
    for chunk in insert.chunks() {
        let n = chunk.len();
        batch
            .absorb(n, h.call(&s, &chunk))
            .expect("no transport error");
    }
    let outcome = batch.finish();
    assert_eq!(outcome.items.len(), 250);
    assert_eq!(outcome.successes().count(), 248, "{}", h.transport_name());
    let failures: Vec<(usize, ApiErrorCode)> = outcome
        .failures()
        .map(|(i, e)| (i, e.code.clone()))
        .collect();
    assert_eq!(
        failures,
        [
            (17, ApiErrorCode::InvalidData),
            (203, ApiErrorCode::MandatoryNotFound)
        ]
    );
    assert_eq!(outcome.status, 207);
    let posts = mock
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path() == "/crm/v8/Leads")
        .count();
    assert_eq!(posts, 3, "250 records go out as 100 + 100 + 50");
    let stored = all_records(h, &s, ListRecords::new("Leads", ["Last_Name"]));
    assert_eq!(stored.len(), 248);
}

/// COQL values with quotes cannot change the query: `O'Brien` and `' or 1=1 --` each match
/// only their own record.
pub fn records_coql_values_are_escaped(h: &impl Harness) {
    let mock = mock_with_leads(0);
    let s = session(&mock);
    let names = ["O'Brien", "x' or 1=1 --", "Smith", "Jones"];
    let insert = InsertRecords::new(
        "Leads",
        names.iter().map(|n| Record::new().with("Last_Name", *n)),
    );
    let inserted = h.call(&s, &insert).expect("insert");
    assert!(inserted.all_succeeded(), "{inserted:?}");
    for name in ["O'Brien", "x' or 1=1 --"] {
        let query = Coql::select(["Last_Name"])
            .from("Leads")
            .filter(Cond::eq("Last_Name", name))
            .limit(2000);
        let rows = all_records(h, &s, CoqlQuery::new(query));
        assert_eq!(rows.len(), 1, "{name}: {rows:?}");
        assert_eq!(rows[0].str("Last_Name").unwrap().as_deref(), Some(name));
    }
    // The same value sent unescaped in a hand-written query is Zoho's syntax error, not a
    // match-everything.
    let raw = h.call(
        &s,
        &CoqlQuery::raw(
            "select Last_Name from Leads where Last_Name = 'x' or 1=1 --' limit 0, 200",
        ),
    );
    assert!(raw.is_err(), "{raw:?}");
    // Every row, paged with `limit offset, count`.
    let all = all_records(
        h,
        &s,
        CoqlQuery::new(
            Coql::select(["Last_Name"])
                .from("Leads")
                .filter(Cond::is_not_null("Last_Name"))
                .limit(3),
        ),
    );
    assert_eq!(all.len(), 4);
}

/// A record with a malformed date-time does not fail its page: every record arrives, and only
/// the accessor of that value fails.
pub fn records_bad_value_keeps_the_page(h: &impl Harness) {
    let mock = mock_with_leads(5);
    let bad_id = mock.put_raw_record(
        "Leads",
        serde_json::json!({"Last_Name": "Broken", "Created_Time": "2024-02-30T99:00:00+05:30"}),
    );
    let s = session(&mock);
    let records = all_records(
        h,
        &s,
        ListRecords::new("Leads", ["Last_Name", "Created_Time"]),
    );
    assert_eq!(records.len(), 6, "{}", h.transport_name());
    for r in &records {
        let time = r.created_time();
        if r.id().as_deref() == Some(bad_id.as_str()) {
            let err = time.unwrap_err();
            assert_eq!(err.field, "Created_Time");
        } else {
            assert!(time.is_ok(), "{r:?}");
        }
    }
}
