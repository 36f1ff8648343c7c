//! Zoho's file store: upload a file, put it in a record's file-upload field, download it back.
//!
//! ```text
//! cargo run -p zohocrm-ureq --example files -- --mock
//! ```
//!
//! Against your organisation, set `ZOHO_FILE_FIELD` to the API name of a file-upload field of
//! Leads to see the record updated (the mock's Leads have none, so it only shows the record).

use zohocrm_ureq::zohocrm_core::generated::files::GetFile;
use zohocrm_ureq::zohocrm_core::records::{ListRecords, UpdateRecords};
use zohocrm_ureq::zohocrm_core::{FilePart, Record};
use zohocrm_ureq::Client;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (client, _mock) = zohocrm_mock::example_client::<Client>()?;
    let field = std::env::var("ZOHO_FILE_FIELD").ok();
    let page = client.send(&ListRecords::new("Leads", ["Last_Name"]).per_page(1))?;
    let lead = page.records.first().and_then(|r| r.id()).ok_or("no lead")?;

    // One call uploads the file and adds its id to the field of the record being written.
    let mut update = Record::new().with("id", lead.as_ref());
    let file = FilePart::new("visit-report.txt", "Met on site; wants a quote.");
    let file_id =
        update.attach_file(field.as_deref().unwrap_or("Visit_Report"), file, |upload| {
            client.send(upload)
        })?;
    println!("uploaded: file id {file_id}");
    match &field {
        Some(_) => {
            let outcome = client.send(&UpdateRecords::new("Leads", [update]))?;
            println!("record updated: {}", outcome.into_result().is_ok());
        }
        None => println!("record to write: {}", update.to_json()),
    }

    let download = client.send(&GetFile::new().id(&file_id))?;
    println!(
        "downloaded: {:?}, {} bytes",
        download.file_name,
        download.bytes.len()
    );
    Ok(())
}
