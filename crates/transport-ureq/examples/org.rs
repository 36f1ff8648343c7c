//! Organisation settings and the user licence counts.
//!
//! ```text
//! cargo run -p zohocrm-ureq --example org -- --mock
//! ```

use zohocrm_ureq::zohocrm_core::generated::org::GetOrganization;
use zohocrm_ureq::Client;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (client, _mock) = zohocrm_mock::example_client::<Client>()?;
    for org in client
        .send(&GetOrganization::new())?
        .org
        .unwrap_or_default()
    {
        println!("company:   {:?}", org.company_name);
        println!("country:   {:?}", org.country);
        println!("time zone: {:?}", org.time_zone);
        println!("currency:  {:?}", org.currency);
    }
    let licences = client.user_licences()?;
    println!("licences:  {} of {} in use", licences.used, licences.limit);
    Ok(())
}
