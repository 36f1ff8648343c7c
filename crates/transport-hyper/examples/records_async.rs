//! Records with the async client: calls in parallel on one client (its limiter queues what
//! Zoho's concurrency limit would refuse), then every page, one record at a time.
//!
//! ```text
//! cargo run -p zohocrm-hyper --example records_async -- --mock
//! ```

use zohocrm_hyper::zohocrm_core::records::{CountRecords, ListRecords};
use zohocrm_hyper::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (client, _mock) = zohocrm_mock::example_client::<Client>()?;

    let modules = ["Leads", "Contacts", "Accounts", "Deals"];
    let mut tasks = tokio::task::JoinSet::new();
    for module in modules {
        let client = client.clone();
        tasks.spawn(async move { (module, client.send(&CountRecords::all(module)).await) });
    }
    while let Some(joined) = tasks.join_next().await {
        let (module, count) = joined?;
        println!("{module:<9} {}", count?);
    }

    let mut leads = client.records(ListRecords::new("Leads", ["Last_Name", "Email"]).per_page(200));
    let mut with_email = 0;
    while let Some(lead) = leads.next().await {
        if lead?.str("Email")?.is_some() {
            with_email += 1;
        }
    }
    println!("{with_email} leads have an e-mail address");
    Ok(())
}
