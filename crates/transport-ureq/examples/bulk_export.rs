//! Exports every Lead with a bulk read, against the mock server, and counts the rows: the
//! result zips stream to temporary files and rows are decoded one at a time, so memory stays
//! flat whatever the number of rows.
//!
//! `cargo run --release -p zohocrm-ureq --example bulk_export -- 250000`
//! (measure with `/usr/bin/time -v`; the mock runs in the same process and counts too).

use std::time::Instant;

use zohocrm_mock::{BlockingMock, MockConfig};
use zohocrm_ureq::zohocrm_core::bulk::CreateBulkReadJob;
use zohocrm_ureq::zohocrm_core::jobs::PollPolicy;
use zohocrm_ureq::Client;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `[--mock] [ROWS]`: this example always runs against the mock (it measures the client).
    let rows: usize = std::env::args()
        .skip(1)
        .find(|a| a != "--mock")
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(250_000);
    let config = MockConfig {
        bulk_read_rows: Some(rows),
        ..MockConfig::default()
    };
    let mock = BlockingMock::start_with(config.clone())?;
    let base = mock.base_url();
    let client = Client::builder()
        .hosts(&base, &base, &base)
        .refresh_token(config.client_id, config.client_secret, config.refresh_token)
        .build()?;
    let started = Instant::now();
    let mut pages = 0;
    let mut count = 0u64;
    let mut bytes = 0usize;
    let mut export = client
        .bulk_read(CreateBulkReadJob::new("Leads").fields([
            "Last_Name",
            "First_Name",
            "Email",
            "Company",
            "Lead_Source",
            "Annual_Revenue",
            "Created_Time",
        ]))
        .poll(PollPolicy::fast());
    while let Some(mut page) = export.next_page()? {
        pages += 1;
        for record in page.records()? {
            let record = record?;
            bytes += record.str("Email")?.map_or(0, |e| e.len());
            count += 1;
        }
    }
    println!(
        "bulk read (ureq): {count} rows in {pages} pages, {:.2?} ({bytes} bytes of e-mail)",
        started.elapsed()
    );
    assert_eq!(count as usize, rows, "every row decoded");
    Ok(())
}
