//! Metadata: the modules, a module's fields and its layouts.
//!
//! ```text
//! cargo run -p zohocrm-ureq --example metadata -- --mock
//! ```

use zohocrm_ureq::zohocrm_core::generated::{fields, layouts, modules};
use zohocrm_ureq::Client;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (client, _mock) = zohocrm_mock::example_client::<Client>()?;
    let listed = client.send(&modules::GetModules::new())?;
    for module in listed.modules.unwrap_or_default().iter().take(10) {
        println!(
            "module {:<16} {:?}",
            module.api_name.as_deref().unwrap_or("-"),
            module.plural_label
        );
    }
    let fields = client.send(&fields::GetFields::new("Leads"))?;
    for field in fields.fields.unwrap_or_default().iter().take(10) {
        println!(
            "field  {:<16} {:?}",
            field.api_name.as_deref().unwrap_or("-"),
            field.data_type
        );
    }
    let layouts = client.send(&layouts::GetLayouts::new("Leads"))?;
    for layout in layouts.layouts.unwrap_or_default() {
        let sections = layout.sections.map_or(0, |s| s.len());
        println!("layout {:?}: {sections} section(s)", layout.name);
    }
    Ok(())
}
