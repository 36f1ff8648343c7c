//! Tags and custom views of a module (the mock answers these with Zoho's documented samples).
//!
//! ```text
//! cargo run -p zohocrm-ureq --example tags_and_views -- --mock
//! ```

use zohocrm_ureq::zohocrm_core::generated::{custom_views, tags};
use zohocrm_ureq::Client;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (client, _mock) = zohocrm_mock::example_client::<Client>()?;
    for tag in client
        .send(&tags::GetTags::new("Leads"))?
        .tags
        .unwrap_or_default()
    {
        println!("tag  {:?} ({:?})", tag.name, tag.id);
    }
    for page in client.pages(custom_views::GetCustomViews::new("Leads")) {
        for view in page?.custom_views.unwrap_or_default() {
            println!("view {:?}", view.display_value.or(view.name));
        }
    }
    Ok(())
}
