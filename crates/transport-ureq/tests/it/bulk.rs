//! Bulk read and write, waiting for jobs, composite requests and notification channels,
//! against the mock.

use crate::client_for;
use std::collections::HashSet;

use serde::Deserialize;
use zohocrm_core::bulk::{BulkCriteria, Comparator, CreateBulkReadJob, WriteOperation};
use zohocrm_core::composite::{Composite, CompositeRequests, SubRequest};
use zohocrm_core::jobs::{JobError, PollPolicy};
use zohocrm_core::notifications::{
    DisableNotifications, EnableNotifications, GetNotifications, PatchNotifications, WatchChannel,
};
use zohocrm_core::records::{
    CountRecords, GetRecord, InsertRecords, ListRecords, MassUpdateRecords, MassUpdateStatusQuery,
    SearchRecords,
};
use zohocrm_core::Record;
use zohocrm_mock::{BlockingMock, MockConfig};
use zohocrm_ureq::BulkWrite;

#[derive(Deserialize)]
struct Lead {
    id: String,
    #[serde(rename = "Last_Name")]
    last_name: String,
    #[serde(rename = "Annual_Revenue")]
    revenue: Option<f64>,
}

#[test]
fn bulk_read_of_generated_rows_follows_more_records() {
    let mock = BlockingMock::start_with(MockConfig {
        bulk_read_rows: Some(20_000),
        bulk_page_size: 7_000,
        ..MockConfig::default()
    })
    .unwrap();
    let client = client_for(&mock);
    let mut ids = HashSet::new();
    let polls = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let seen = polls.clone();
    let mut export = client
        .bulk_read(CreateBulkReadJob::new("Leads").fields(["Last_Name", "Email", "Annual_Revenue"]))
        .poll(PollPolicy::fast())
        .on_progress(move |_| seen.set(seen.get() + 1));
    let mut pages = 0;
    while let Some(mut page) = export.next_page().unwrap() {
        pages += 1;
        let result = page.job.result.clone().unwrap();
        let mut n = 0;
        for r in page.records().unwrap() {
            let r = r.unwrap();
            assert!(r
                .str("Last_Name")
                .unwrap()
                .unwrap()
                .starts_with("Generated "));
            assert!(ids.insert(r.id().unwrap().into_owned()));
            n += 1;
        }
        assert_eq!(n, result.count);
    }
    assert_eq!(pages, 3);
    assert_eq!(ids.len(), 20_000);
    assert!(polls.get() >= 6, "two polls per job at least");
    // Typed rows, one pass.
    let mut revenue = 0.0;
    let rows = client
        .bulk_read(CreateBulkReadJob::new("Leads").fields(["Last_Name", "Annual_Revenue"]))
        .poll(PollPolicy::fast())
        .for_each_row(|l: Lead| {
            assert!(!l.id.is_empty() && !l.last_name.is_empty());
            revenue += l.revenue.unwrap_or(0.0);
        })
        .unwrap();
    assert_eq!(rows, 20_000);
    assert!(revenue > 0.0);
    // The result was streamed, never a request of its own kind beyond the download.
    let downloads = mock
        .requests()
        .iter()
        .filter(|r| r.path().ends_with("/result"))
        .count();
    assert_eq!(downloads, 6);
}

#[test]
fn bulk_read_of_stored_records_with_criteria() {
    let mock = BlockingMock::start_with(MockConfig {
        demo_leads: 450,
        ..MockConfig::default()
    })
    .unwrap();
    let client = client_for(&mock);
    let all = client.send(&CountRecords::all("Leads")).unwrap();
    let n = client
        .bulk_read(CreateBulkReadJob::new("Leads").fields(["Last_Name", "Owner.name"]))
        .poll(PollPolicy::fast())
        .for_each_record(|r| assert!(r.contains("Owner.name")))
        .unwrap();
    assert_eq!(n, all);
    let mut sources = HashSet::new();
    let some = client
        .bulk_read(
            CreateBulkReadJob::new("Leads")
                .fields(["Lead_Source"])
                .criteria(BulkCriteria::field("Lead_Source", Comparator::Equal, "Web")),
        )
        .poll(PollPolicy::fast())
        .for_each_record(|r| {
            sources.insert(r.str("Lead_Source").unwrap().map(|s| s.into_owned()));
        })
        .unwrap();
    assert!(some < all);
    assert!(sources.len() <= 1, "{sources:?}");
}

#[test]
fn bulk_write_of_30000_rows_reports_the_3_invalid_ones() {
    let mock = BlockingMock::start_with(MockConfig {
        demo_data: false,
        ..MockConfig::default()
    })
    .unwrap();
    let client = client_for(&mock);
    let bad = [5u64, 17_000, 29_999];
    let rows = (0..30_000u64).map(|i| {
        let mut r = Record::new()
            .with("Last_Name", format!("W{i}"))
            .with("Company", format!("Co {}", i % 50));
        match i {
            5 | 29_999 => {
                r.remove("Last_Name");
            }
            17_000 => {
                r.set("Email", "not-an-email");
            }
            _ => {}
        }
        r
    });
    let write = BulkWrite::new(
        WriteOperation::Insert,
        "Leads",
        &MockConfig::default().org_id,
        ["Last_Name", "Company", "Email"],
    )
    .poll(PollPolicy::fast());
    let report = client.bulk_write(&write, rows).unwrap();
    assert_eq!(report.jobs.len(), 2, "25,000 rows per file");
    assert_eq!(report.outcomes.len(), 30_000);
    let failed: Vec<u64> = report.failures().map(|o| o.row).collect();
    assert_eq!(failed, bad);
    let codes: Vec<&str> = report
        .failures()
        .map(|o| o.errors[0].code.as_str())
        .collect();
    assert_eq!(
        codes,
        ["MANDATORY_NOT_FOUND", "INVALID_DATA", "MANDATORY_NOT_FOUND"]
    );
    assert!(report
        .outcomes
        .iter()
        .filter(|o| o.is_success())
        .all(|o| o.record_id.is_some()));
    assert_eq!(client.send(&CountRecords::all("Leads")).unwrap(), 29_997);
    // The upload went to the content host with the bulk-write headers.
    let uploads: Vec<_> = mock
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/crm/v8/upload")
        .collect();
    assert_eq!(uploads.len(), 2);
    for u in &uploads {
        assert_eq!(u.header("feature"), Some("bulk-write"));
        assert_eq!(u.header("x-crm-org"), Some("mock-org-1"));
        assert!(u
            .header("authorization")
            .unwrap()
            .starts_with("Zoho-oauthtoken "));
    }
}

#[test]
fn upload_with_a_wrong_org_is_refused() {
    let mock = BlockingMock::start().unwrap();
    let client = client_for(&mock);
    let write = BulkWrite::new(WriteOperation::Insert, "Leads", "other-org", ["Last_Name"])
        .poll(PollPolicy::fast());
    let err = client
        .bulk_write(&write, [Record::new().with("Last_Name", "X")])
        .unwrap_err();
    match err {
        JobError::Api(e) => assert_eq!(e.status(), Some(400), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn composite_of_five_typed_requests() {
    let mock = BlockingMock::start_with(MockConfig {
        demo_leads: 50,
        ..MockConfig::default()
    })
    .unwrap();
    let client = client_for(&mock);
    let existing = client
        .send(&ListRecords::new("Leads", ["Last_Name"]).per_page(1))
        .unwrap()
        .records[0]
        .id()
        .unwrap()
        .into_owned();
    let (inserted, got, listed, counted, searched) = client
        .composite(
            &Composite::new((
                InsertRecords::new("Leads", [Record::new().with("Last_Name", "Composite")]),
                GetRecord::new("Leads", &existing),
                ListRecords::new("Leads", ["Last_Name"]).per_page(5),
                CountRecords::all("Leads"),
                SearchRecords::word("Leads", "Composite"),
            ))
            .concurrent_execution(false),
        )
        .unwrap();
    let new_id = inserted
        .unwrap()
        .successes()
        .next()
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    assert_eq!(
        got.unwrap().unwrap().id().as_deref(),
        Some(existing.as_str())
    );
    assert_eq!(listed.unwrap().records.len(), 5);
    assert_eq!(counted.unwrap(), 51);
    let found = searched.unwrap();
    assert_eq!(found.records[0].id().as_deref(), Some(new_id.as_str()));
    // One HTTP request carried the five.
    assert_eq!(
        mock.requests()
            .iter()
            .filter(|r| r.path() == "/crm/v8/__composite_requests")
            .count(),
        1
    );
}

#[test]
fn composite_references_and_rollback() {
    let mock = BlockingMock::start_with(MockConfig {
        demo_data: false,
        ..MockConfig::default()
    })
    .unwrap();
    let client = client_for(&mock);
    let insert = SubRequest::of(&InsertRecords::new(
        "Leads",
        [Record::new().with("Last_Name", "Ref")],
    ))
    .unwrap()
    .id("ins");
    let mut get = SubRequest::of(&GetRecord::new("Leads", "1")).unwrap();
    get.uri = "/crm/v8/Leads/@{ins:$.data[0].details.id}".into();
    let answer = client
        .send(&CompositeRequests::new([insert.clone(), get]))
        .unwrap();
    let got = answer.items[1].as_ref().unwrap();
    let record = got
        .parse_as(&GetRecord::new("Leads", "x"))
        .unwrap()
        .unwrap();
    assert_eq!(record.str("Last_Name").unwrap().as_deref(), Some("Ref"));
    // A failing second sub-request rolls the first back.
    let bad = SubRequest::of(&InsertRecords::new(
        "Leads",
        [Record::new().with("Company", "no name")],
    ))
    .unwrap();
    let rolled = client
        .send(&CompositeRequests::new([insert, bad]).rollback_on_fail(true))
        .unwrap();
    assert_eq!(rolled.status, 400);
    assert!(rolled
        .items
        .iter()
        .all(|i| i.as_ref().unwrap_err().code.as_str() == "ROLLBACK_PERFORMED"));
    assert_eq!(client.send(&CountRecords::all("Leads")).unwrap(), 1);
}

#[test]
fn waiting_for_a_mass_update() {
    let mock = BlockingMock::start_with(MockConfig {
        demo_leads: 20,
        ..MockConfig::default()
    })
    .unwrap();
    let client = client_for(&mock);
    let scheduled = client
        .send(&MassUpdateRecords::custom_view(
            "Leads",
            Record::new().with("Lead_Status", "Contacted"),
            "1",
        ))
        .unwrap();
    let job = scheduled
        .successes()
        .next()
        .unwrap()
        .job_id()
        .unwrap()
        .to_owned();
    let mut seen = 0;
    let done = client
        .wait(
            &MassUpdateStatusQuery::new("Leads", job),
            PollPolicy::fast(),
            |_| seen += 1,
        )
        .unwrap()
        .unwrap();
    assert!(done.is_completed());
    assert!(seen >= 1);
    let missing = client.wait(
        &MassUpdateStatusQuery::new("Leads", "404404"),
        PollPolicy::fast(),
        |_| {},
    );
    assert!(
        matches!(missing, Err(JobError::Failed { .. })),
        "{missing:?}"
    );
}

#[test]
fn notification_channels() {
    let mock = BlockingMock::start().unwrap();
    let client = client_for(&mock);
    let now = zohocrm_core::time::OffsetDateTime::now_utc();
    let channel = WatchChannel::new(
        "1000000068001",
        ["Leads.all", "Deals.edit"],
        "https://hooks.example.test/zoho",
    )
    .token("s3cret")
    .channel_expiry(now + zohocrm_core::time::Duration::days(2));
    let enabled = client
        .enable_notifications(&EnableNotifications::new([channel.clone()]))
        .unwrap();
    assert!(enabled.all_succeeded());
    let far = channel
        .clone()
        .channel_expiry(now + zohocrm_core::time::Duration::days(9));
    assert!(client
        .enable_notifications(&EnableNotifications::new([far]))
        .is_err());
    let listed = client.send(&GetNotifications::new()).unwrap();
    assert_eq!(listed.watch.len(), 1);
    assert_eq!(
        listed.watch[0].token.as_ref().map(|t| t.expose()),
        Some("s3cret")
    );
    assert_eq!(listed.watch[0].events.len(), 2);
    let patched = client
        .send(&PatchNotifications::remove_events(
            "1000000068001",
            ["Deals.edit"],
        ))
        .unwrap();
    assert!(patched.all_succeeded());
    let listed = client
        .send(&GetNotifications::new().module("Leads"))
        .unwrap();
    assert_eq!(listed.watch[0].events, ["Leads.all"]);
    let disabled = client
        .send(&DisableNotifications::new(["1000000068001"]))
        .unwrap();
    assert!(disabled.all_succeeded());
    let none = client.send(&GetNotifications::new()).unwrap();
    assert!(none.watch.is_empty());
}
