//! Users, roles and profiles.
//!
//! ```text
//! cargo run -p zohocrm-ureq --example users_roles_profiles -- --mock
//! ```

use zohocrm_ureq::zohocrm_core::generated::{profiles, roles, users};
use zohocrm_ureq::Client;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (client, _mock) = zohocrm_mock::example_client::<Client>()?;
    // Every page of active users.
    for page in client.pages(users::GetUsers::new().r#type("ActiveUsers").per_page(200)) {
        for user in page?.users.unwrap_or_default() {
            let role = user.role.and_then(|r| r.name);
            println!("user    {:?} ({:?})", user.full_name, role);
        }
    }
    for role in client
        .send(&roles::GetRoles::new())?
        .roles
        .unwrap_or_default()
    {
        let reports_to = role.reporting_to.and_then(|r| r.name);
        println!("role    {:?} reports to {:?}", role.name, reports_to);
    }
    for profile in client
        .send(&profiles::GetProfiles::new())?
        .profiles
        .unwrap_or_default()
    {
        println!("profile {:?} (custom: {:?})", profile.name, profile.custom);
    }
    Ok(())
}
