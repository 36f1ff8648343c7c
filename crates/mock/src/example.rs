//! Client setup for the SDK's examples: a client of any transport on a freshly started mock
//! (`--mock` among the arguments, or `ZCRM_EXAMPLE_MOCK=1`), else on the Zoho CRM organisation
//! named by the environment (`ZOHO_CLIENT_ID`, `ZOHO_CLIENT_SECRET`, `ZOHO_REFRESH_TOKEN`, and
//! `ZOHO_DC`: us, eu, in, au, cn, jp, ca or sa; default us). The proxy environment variables
//! apply to the real organisation, as to any client, and never to the in-process mock.
//!
//! Inside the repository the mock also replays the documentation-sample fixtures
//! (`fixtures/`), so the examples of APIs it does not model (tags, attachments, blueprint,
//! custom views...) get Zoho's documented answers.

use std::error::Error;
use std::path::PathBuf;

use zohocrm_core::config::{BuildClient, ClientBuilder};
use zohocrm_core::proxy::ProxyConfig;
use zohocrm_core::DataCenter;

use crate::{BlockingMock, MockConfig};

/// A client for an example, and the mock it talks to (keep it alive while calling; it stops
/// when dropped). `None` when the client talks to a real organisation.
///
/// ```text
/// let (client, _mock) = zohocrm_mock::example_client::<zohocrm_ureq::Client>()?;
/// println!("{:?}", client.user_licences()?);
/// ```
pub fn example_client<C: BuildClient>(
) -> Result<(C, Option<BlockingMock>), Box<dyn Error + Send + Sync>> {
    let use_mock = std::env::args().skip(1).any(|a| a == "--mock")
        || std::env::var("ZCRM_EXAMPLE_MOCK").is_ok_and(|v| v == "1");
    if use_mock {
        let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let config = MockConfig {
            fixtures_dir: fixtures.is_dir().then_some(fixtures),
            ..MockConfig::default()
        };
        let mock = BlockingMock::start_with(config.clone())?;
        let base = mock.base_url();
        eprintln!("(using the embedded mock Zoho CRM server at {base})");
        let client = ClientBuilder::<C>::default()
            .hosts(&base, &base, &base)
            .refresh_token(config.client_id, config.client_secret, config.refresh_token)
            // The mock runs in this process, on loopback: never behind a proxy.
            .proxy_config(ProxyConfig::Direct)
            .build()?;
        return Ok((client, Some(mock)));
    }
    let var = |name: &str| {
        std::env::var(name).map_err(|_| {
            format!(
                "{name} is not set: set ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN \
                 (and ZOHO_DC), or pass --mock"
            )
        })
    };
    let dc: DataCenter = std::env::var("ZOHO_DC")
        .unwrap_or_else(|_| "us".into())
        .parse()?;
    let client = ClientBuilder::<C>::default()
        .data_center(dc)
        .refresh_token(
            var("ZOHO_CLIENT_ID")?,
            var("ZOHO_CLIENT_SECRET")?,
            var("ZOHO_REFRESH_TOKEN")?,
        )
        .build()?;
    Ok((client, None))
}
