//! A composite request: up to five typed calls in one HTTP request, each answer parsed by its
//! own endpoint.
//!
//! ```text
//! cargo run -p zohocrm-ureq --example composite -- --mock
//! ```

use zohocrm_ureq::zohocrm_core::composite::Composite;
use zohocrm_ureq::zohocrm_core::records::{CountRecords, InsertRecords, ListRecords};
use zohocrm_ureq::zohocrm_core::Record;
use zohocrm_ureq::Client;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (client, _mock) = zohocrm_mock::example_client::<Client>()?;
    let (inserted, listed, counted) = client.composite(
        &Composite::new((
            InsertRecords::new("Leads", [Record::new().with("Last_Name", "Composite")]),
            ListRecords::new("Leads", ["Last_Name"]).per_page(3),
            CountRecords::all("Leads"),
        ))
        // Run in order, so the count sees the insert.
        .concurrent_execution(false),
    )?;
    println!("inserted: {}", inserted?.all_succeeded());
    for lead in listed?.records {
        println!("listed: {:?}", lead.str("Last_Name")?);
    }
    println!("leads: {}", counted?);
    Ok(())
}
