//! Work that survives, through the async client: a resumable bulk read and bulk write stopped
//! by an error and resumed without new jobs, incremental changes, and a channel kept alive.

use crate::client_for;
use std::time::Duration;

use zohocrm_core::bulk::{CreateBulkReadJob, WriteOperation};
use zohocrm_core::channel_renewal::ChannelKeeper;
use zohocrm_core::files::StateFile;
use zohocrm_core::jobs::PollPolicy;
use zohocrm_core::notifications::{DisableNotifications, GetNotifications, WatchChannel};
use zohocrm_core::records::changes::Change;
use zohocrm_core::records::CountRecords;
use zohocrm_core::Record;
use zohocrm_hyper::BulkWrite;
use zohocrm_mock::{Fault, FaultKind, MockConfig, MockZoho};

/// A Zoho error (not retried) on the request under `path` after `skip` others.
fn refuse(mock: &MockZoho, path: &str, skip: u32) {
    mock.inject(
        Fault::once(FaultKind::Status {
            status: 400,
            body: r#"{"code":"INVALID_DATA","details":{},"message":"stop here","status":"error"}"#
                .into(),
            retry_after: None,
        })
        .on(path)
        .after(skip),
    );
}

fn posts(mock: &MockZoho, path: &str) -> usize {
    mock.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path() == path)
        .count()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "zohocrm-hyper-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_read_and_write_resume_without_new_jobs() {
    let mock = MockZoho::start_with(MockConfig {
        bulk_read_rows: Some(5_000),
        bulk_page_size: 2_000,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let client = client_for(&mock);
    let dir = scratch("resume");
    let job = || CreateBulkReadJob::new("Leads").fields(["Email"]);

    // Page 1 is written; page 2's job is created, then its status poll fails.
    let mut read = client
        .bulk_read(job())
        .poll(PollPolicy::fast())
        .resume(StateFile::new(dir.join("read.state")))
        .unwrap();
    let mut ids = Vec::new();
    let mut page = read.next_page().await.unwrap().unwrap();
    for r in page.records().unwrap() {
        ids.push(r.unwrap().id().unwrap().into_owned());
    }
    drop(page);
    read.page_written(ids.len() as u64, ids.len() as u64)
        .unwrap();
    refuse(&mock, "/crm/bulk/v8/read/", 0);
    assert!(read.next_page().await.is_err());
    assert_eq!(posts(&mock, "/crm/bulk/v8/read"), 2);

    // A new run from the state: page 2's job is reused, page 3's created.
    let mut read = client
        .bulk_read(job())
        .poll(PollPolicy::fast())
        .resume(StateFile::new(dir.join("read.state")))
        .unwrap();
    assert_eq!(read.state().unwrap().rows, 2_000);
    while let Some(mut page) = read.next_page().await.unwrap() {
        let before = ids.len();
        for r in page.records().unwrap() {
            ids.push(r.unwrap().id().unwrap().into_owned());
        }
        drop(page);
        let n = (ids.len() - before) as u64;
        read.page_written(n, ids.len() as u64).unwrap();
    }
    assert_eq!(posts(&mock, "/crm/bulk/v8/read"), 3);
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!((ids.len(), unique.len()), (5_000, 5_000));
    assert!(read.state().unwrap().is_finished());

    // A write of 250 rows in files of 100: file 2's job status fails once.
    let before = client.send(&CountRecords::all("Leads")).await.unwrap();
    let rows = || (0..250).map(|i| Record::new().with("Last_Name", format!("Resumed {i}")));
    let write = BulkWrite::new(
        WriteOperation::Insert,
        "Leads",
        &MockConfig::default().org_id,
        ["Last_Name"],
    )
    .poll(PollPolicy::fast())
    .temp_dir(&dir)
    .rows_per_file(100);
    let state = StateFile::new(dir.join("write.state"));
    mock.clear_requests();
    // File 1's two status polls (the mock completes a job at the second) and its report go
    // through; file 2's first status poll fails.
    refuse(&mock, "/crm/bulk/v8/write/", 3);
    let mut first = 0u64;
    let failed = client
        .bulk_write_resumable(&write, rows(), &state, |_| first += 1)
        .await;
    assert!(failed.is_err());
    assert_eq!(first, 100, "file 1's report");
    assert_eq!(posts(&mock, "/crm/bulk/v8/write"), 2);
    let mut rest = 0u64;
    let done = client
        .bulk_write_resumable(&write, rows(), &state, |_| rest += 1)
        .await
        .unwrap();
    assert_eq!(first + rest, 250, "each report read once");
    assert_eq!(done.tally().with_status("ADDED"), 250);
    assert_eq!(posts(&mock, "/crm/bulk/v8/write"), 3);
    assert_eq!(posts(&mock, "/crm/v8/upload"), 3);
    assert_eq!(
        client.send(&CountRecords::all("Leads")).await.unwrap(),
        before + 250
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_and_a_channel_kept_alive() {
    let mock = MockZoho::start_with(MockConfig {
        demo_leads: 20,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let client = client_for(&mock);
    let mut changes = client.changes("Leads", None).fields(["Last_Name"]);
    let mut first = 0;
    while let Some(c) = changes.next_change().await {
        assert!(matches!(c.unwrap(), Change::Upserted(_)));
        first += 1;
    }
    assert!(first > 0);
    let cursor = changes.cursor().unwrap();
    client
        .insert_records("Leads", [Record::new().with("Last_Name", "Changed")])
        .await
        .unwrap();
    let mut changes = client.changes("Leads", Some(cursor)).fields(["Last_Name"]);
    let mut got = Vec::new();
    while let Some(c) = changes.next_change().await {
        got.push(c.unwrap());
    }
    assert_eq!(got.len(), 1, "{got:?}");

    // A channel Zoho does not list is enabled by the first round; 5 s with a 2 s lifetime.
    let keeper = ChannelKeeper::new(
        [WatchChannel::new("4242", ["Leads.all"], "https://example.test/hook").token("t0k")],
        Duration::from_secs(2),
    );
    let rounds = client
        .keep_channels_alive(&keeper, Duration::from_secs(5), |_| {})
        .await
        .unwrap();
    assert!(rounds >= 3, "{rounds}");
    let listed = client.send(&GetNotifications::new()).await.unwrap();
    assert_eq!(listed.watch[0].channel_id, "4242");
    client
        .send(&DisableNotifications::new(["4242"]))
        .await
        .unwrap();
}
