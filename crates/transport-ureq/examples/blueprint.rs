//! Blueprint: the transitions a record can take next (the mock answers with Zoho's
//! documented sample).
//!
//! ```text
//! cargo run -p zohocrm-ureq --example blueprint -- --mock
//! ZOHO_…=… cargo run -p zohocrm-ureq --example blueprint -- Leads RECORD_ID
//! ```

use zohocrm_ureq::zohocrm_core::generated::blueprint::GetBluePrint;
use zohocrm_ureq::Client;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (client, _mock) = zohocrm_mock::example_client::<Client>()?;
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--mock").collect();
    // The record of Zoho's documentation sample unless one is named.
    let (module, id) = match args.as_slice() {
        [module, id] => (module.as_str(), id.as_str()),
        _ => ("Leads", "3477061000003917041"),
    };
    let answer = client.send(&GetBluePrint::new(module, id))?;
    let blueprint = answer.blueprint.ok_or("no blueprint for this record")?;
    println!("process: {:?}", blueprint.process_info.and_then(|p| p.name));
    for transition in blueprint.transitions.unwrap_or_default() {
        println!("next:    {:?} ({:?})", transition.name, transition.id);
    }
    Ok(())
}
