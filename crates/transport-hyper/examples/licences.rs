//! The async client in a few lines: sign in and print the user licence counts.
//!
//! ```text
//! cargo run -p zohocrm-hyper --example licences -- --mock   # against the embedded mock server
//! ZOHO_CLIENT_ID=… ZOHO_CLIENT_SECRET=… ZOHO_REFRESH_TOKEN=… ZOHO_DC=eu \
//!     cargo run -p zohocrm-hyper --example licences          # against your organisation
//! ```

use zohocrm_hyper::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (client, _mock) = zohocrm_mock::example_client::<Client>()?;
    let licences = client.user_licences().await?;
    println!("Purchased: {:>4}", licences.limit);
    println!("In use:    {:>4}", licences.used);
    println!("Available: {:>4}", licences.available);
    Ok(())
}
