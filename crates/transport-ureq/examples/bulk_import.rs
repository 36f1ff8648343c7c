//! Bulk write: rows streamed into a zipped CSV, uploaded, imported by a job, and one outcome
//! read back per row (a bad row fails alone).
//!
//! ```text
//! cargo run -p zohocrm-ureq --example bulk_import -- --mock
//! ZOHO_…=… ZOHO_ORG_ID=… cargo run -p zohocrm-ureq --example bulk_import   # your org id (zgid)
//! ```

use zohocrm_mock::MockConfig;
use zohocrm_ureq::zohocrm_core::bulk::WriteOperation;
use zohocrm_ureq::zohocrm_core::Record;
use zohocrm_ureq::{BulkWrite, Client};

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (client, mock) = zohocrm_mock::example_client::<Client>()?;
    let org_id = match mock {
        Some(_) => MockConfig::default().org_id,
        None => std::env::var("ZOHO_ORG_ID").map_err(|_| "ZOHO_ORG_ID is not set")?,
    };
    let rows = (1..=1000).map(|i| {
        let email = if i == 500 {
            "not-an-email".to_owned()
        } else {
            format!("lead{i}@example.com")
        };
        Record::new()
            .with("Last_Name", format!("Imported {i}"))
            .with("Email", email)
    });
    let write = BulkWrite::new(
        WriteOperation::Insert,
        "Leads",
        &org_id,
        ["Last_Name", "Email"],
    );
    let report = client.bulk_write(&write, rows)?;
    let ok = report.outcomes.iter().filter(|o| o.is_success()).count();
    println!("{} job(s), {ok} rows imported", report.jobs.len());
    for failed in report.failures() {
        println!(
            "input row {} (from 0): {} {:?}",
            failed.row, failed.status, failed.errors
        );
    }
    Ok(())
}
