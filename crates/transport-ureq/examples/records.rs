//! Records: insert, read, update, search, page through and delete Leads.
//!
//! ```text
//! cargo run -p zohocrm-ureq --example records -- --mock   # against the embedded mock server
//! ZOHO_CLIENT_ID=… ZOHO_CLIENT_SECRET=… ZOHO_REFRESH_TOKEN=… ZOHO_DC=eu \
//!     cargo run -p zohocrm-ureq --example records          # against your organisation
//! ```

use zohocrm_ureq::zohocrm_core::records::{ListRecords, SearchRecords};
use zohocrm_ureq::zohocrm_core::Record;
use zohocrm_ureq::Client;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (client, _mock) = zohocrm_mock::example_client::<Client>()?;

    // Any number of rows: 100 per call, one outcome per row, in input order.
    let rows = [
        Record::new()
            .with("Last_Name", "Lovelace")
            .with("Email", "ada@example.com"),
        Record::new()
            .with("Last_Name", "Hopper")
            .with("Email", "grace@example.com"),
    ];
    let inserted = client.insert_records("Leads", rows)?;
    let ids: Vec<String> = inserted
        .successes()
        .filter_map(|s| s.id().map(str::to_owned))
        .collect();
    println!("inserted {ids:?}");

    let lead = client
        .get_record("Leads", &ids[0])?
        .ok_or("the new lead is missing")?;
    println!(
        "read back: {:?} {:?}",
        lead.str("Last_Name")?,
        lead.str("Email")?
    );

    let change = Record::new()
        .with("id", ids[0].as_str())
        .with("Company", "Analytical Engines");
    client.update_records("Leads", [change])?;

    let found = client.send(&SearchRecords::email("Leads", "grace@example.com"))?;
    println!("search by e-mail: {} match(es)", found.records.len());

    // Every page, one record at a time (page numbers, then page tokens past 2,000 records).
    let mut count = 0;
    for lead in client.records(ListRecords::new("Leads", ["Last_Name"]).per_page(200)) {
        lead?;
        count += 1;
    }
    println!("{count} leads in all");

    let deleted = client.delete_records("Leads", ids)?;
    println!("deleted {} lead(s)", deleted.successes().count());
    Ok(())
}
