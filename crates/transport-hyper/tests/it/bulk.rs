//! Bulk read and write, waiting for jobs, composite requests and notification channels,
//! against the mock.

use crate::client_for;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use zohocrm_core::bulk::{CreateBulkReadJob, WriteOperation};
use zohocrm_core::composite::Composite;
use zohocrm_core::jobs::PollPolicy;
use zohocrm_core::notifications::{
    DisableNotifications, EnableNotifications, GetNotifications, WatchChannel,
};
use zohocrm_core::records::{
    CountRecords, GetRecord, InsertRecords, ListRecords, MassUpdateRecords, MassUpdateStatusQuery,
    SearchRecords,
};
use zohocrm_core::Record;
use zohocrm_hyper::BulkWrite;
use zohocrm_mock::{MockConfig, MockZoho};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_read_of_generated_rows_follows_more_records() {
    let mock = MockZoho::start_with(MockConfig {
        bulk_read_rows: Some(20_000),
        bulk_page_size: 7_000,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let client = client_for(&mock);
    let polls = Arc::new(AtomicU32::new(0));
    let seen = polls.clone();
    let mut export = client
        .bulk_read(CreateBulkReadJob::new("Leads").fields(["Last_Name", "Email"]))
        .poll(PollPolicy::fast())
        .on_progress(move |_| {
            seen.fetch_add(1, Ordering::Relaxed);
        });
    let mut ids = HashSet::new();
    let mut pages = 0;
    while let Some(mut page) = export.next_page().await.unwrap() {
        pages += 1;
        let expected = page.job.result.as_ref().unwrap().count;
        let mut n = 0;
        for r in page.records().unwrap() {
            assert!(ids.insert(r.unwrap().id().unwrap().into_owned()));
            n += 1;
        }
        assert_eq!(n, expected);
    }
    assert_eq!(pages, 3);
    assert_eq!(ids.len(), 20_000);
    assert!(polls.load(Ordering::Relaxed) >= 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_write_of_30000_rows_reports_the_3_invalid_ones() {
    let mock = MockZoho::start_with(MockConfig {
        demo_data: false,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let client = client_for(&mock);
    let rows = (0..30_000u64).map(|i| {
        let mut r = Record::new()
            .with("Last_Name", format!("W{i}"))
            .with("Company", format!("Co {}", i % 50));
        match i {
            3 | 25_000 => {
                r.remove("Last_Name");
            }
            12_345 => {
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
    let report = client.bulk_write(&write, rows).await.unwrap();
    assert_eq!(report.jobs.len(), 2);
    assert_eq!(report.outcomes.len(), 30_000);
    let failed: Vec<u64> = report.failures().map(|o| o.row).collect();
    assert_eq!(failed, [3, 12_345, 25_000]);
    assert_eq!(
        client.send(&CountRecords::all("Leads")).await.unwrap(),
        29_997
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composite_of_five_typed_requests() {
    let mock = MockZoho::start_with(MockConfig {
        demo_leads: 50,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let client = client_for(&mock);
    let page = client
        .send(&ListRecords::new("Leads", ["Last_Name"]).per_page(1))
        .await
        .unwrap();
    let existing = page.records[0].id().unwrap().into_owned();
    let (inserted, got, listed, counted, searched) = client
        .composite(&Composite::new((
            InsertRecords::new("Leads", [Record::new().with("Last_Name", "Composite")]),
            GetRecord::new("Leads", &existing),
            ListRecords::new("Leads", ["Last_Name"]).per_page(5),
            CountRecords::all("Leads"),
            SearchRecords::word("Leads", "Composite"),
        )))
        .await
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
    assert_eq!(
        searched.unwrap().records[0].id().as_deref(),
        Some(new_id.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_and_channels() {
    let mock = MockZoho::start_with(MockConfig {
        demo_leads: 20,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let client = client_for(&mock);
    let scheduled = client
        .send(&MassUpdateRecords::custom_view(
            "Leads",
            Record::new().with("Lead_Status", "Contacted"),
            "1",
        ))
        .await
        .unwrap();
    let job = scheduled
        .successes()
        .next()
        .unwrap()
        .job_id()
        .unwrap()
        .to_owned();
    let done = client
        .wait(
            &MassUpdateStatusQuery::new("Leads", job),
            PollPolicy::fast(),
            |_| {},
        )
        .await
        .unwrap()
        .unwrap();
    assert!(done.is_completed());
    let channel =
        WatchChannel::new("77", ["Leads.create"], "https://hooks.example.test/z").token("t");
    assert!(client
        .enable_notifications(&EnableNotifications::new([channel]))
        .await
        .unwrap()
        .all_succeeded());
    assert_eq!(
        client
            .send(&GetNotifications::new())
            .await
            .unwrap()
            .watch
            .len(),
        1
    );
    assert!(client
        .send(&DisableNotifications::new(["77"]))
        .await
        .unwrap()
        .all_succeeded());
}
