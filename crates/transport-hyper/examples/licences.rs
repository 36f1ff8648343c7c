//! The async client in a few lines: sign in and print the user licence counts.
//!
//! ```text
//! cargo run -p zohocrm-hyper --example licences -- --mock   # against the embedded mock server
//! ZOHO_CLIENT_ID=… ZOHO_CLIENT_SECRET=… ZOHO_REFRESH_TOKEN=… ZOHO_DC=eu \
//!     cargo run -p zohocrm-hyper --example licences          # against your organisation
//! ```

use zohocrm_hyper::{Client, DataCenter};
use zohocrm_mock::{MockConfig, MockZoho};

type BoxError = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let use_mock = std::env::args().skip(1).any(|a| a == "--mock");
    // The mock must outlive the calls; it stops when dropped.
    let mut mock = None;
    let client = if use_mock {
        let server = MockZoho::start().await?;
        let base = server.base_url();
        println!("Started the embedded mock Zoho CRM server at {base}.");
        let cfg = MockConfig::default();
        mock = Some(server);
        Client::builder()
            .hosts(&base, &base, &base)
            .refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token)
            .build()?
    } else {
        let var = |name: &str| {
            std::env::var(name).map_err(|_| format!("{name} is not set (or pass --mock)"))
        };
        let dc: DataCenter = std::env::var("ZOHO_DC")
            .unwrap_or_else(|_| "us".into())
            .parse()?;
        println!("Using Zoho CRM in data centre `{dc}`.");
        Client::builder()
            .data_center(dc)
            .refresh_token(
                var("ZOHO_CLIENT_ID")?,
                var("ZOHO_CLIENT_SECRET")?,
                var("ZOHO_REFRESH_TOKEN")?,
            )
            .build()?
    };

    println!("Signing in and reading the user licences ...");
    let licences = client.user_licences().await?;
    println!("  Purchased: {:>4}", licences.limit);
    println!("  In use:    {:>4}", licences.used);
    println!("  Available: {:>4}", licences.available);

    if let Some(server) = mock {
        server.shutdown().await;
    }
    Ok(())
}
