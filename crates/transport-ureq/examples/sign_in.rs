//! Sign-in flows: exchange a one-time grant code (from the API console's self client) for a
//! refresh token, use it, keep the tokens in a file between runs, and revoke it.
//!
//! ```text
//! cargo run -p zohocrm-ureq --example sign_in -- --mock   # against the embedded mock server
//! ZOHO_CLIENT_ID=… ZOHO_CLIENT_SECRET=… ZOHO_GRANT_CODE=… ZOHO_DC=eu \
//!     cargo run -p zohocrm-ureq --example sign_in          # against your organisation
//! ```

use std::sync::Arc;

use zohocrm_mock::{BlockingMock, MockConfig};
use zohocrm_ureq::zohocrm_core::oauth::{ExchangeGrantCode, RevokeToken};
use zohocrm_ureq::{Client, ClientBuilder, Credentials, DataCenter, FileTokenStore};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    let (mock, client_id, client_secret, grant_code) = if std::env::args().any(|a| a == "--mock") {
        let cfg = MockConfig::default();
        let mock = BlockingMock::start()?;
        (Some(mock), cfg.client_id, cfg.client_secret, cfg.grant_code)
    } else {
        let var = |name: &str| {
            std::env::var(name).map_err(|_| format!("{name} is not set (or pass --mock)"))
        };
        (
            None,
            var("ZOHO_CLIENT_ID")?,
            var("ZOHO_CLIENT_SECRET")?,
            var("ZOHO_GRANT_CODE")?,
        )
    };
    let builder = || -> Result<ClientBuilder, BoxError> {
        Ok(match &mock {
            Some(mock) => {
                let base = mock.base_url();
                Client::builder().hosts(&base, &base, &base)
            }
            None => Client::builder().data_center(
                std::env::var("ZOHO_DC")
                    .unwrap_or_else(|_| "us".into())
                    .parse::<DataCenter>()?,
            ),
        })
    };

    // 1. The grant code, once, for a refresh token (a client with no token of its own sends it).
    let token_client = builder()?
        .credentials(Credentials::AccessToken("unused".into()))
        .build()?;
    let tokens = token_client.send(&ExchangeGrantCode {
        client_id: client_id.clone(),
        client_secret: client_secret.clone().into(),
        code: grant_code.into(),
        redirect_uri: None,
    })?;
    let refresh_token = tokens
        .refresh_token
        .ok_or("no refresh token in the answer")?;
    println!(
        "exchanged the grant code; the access token lasts {:?}",
        tokens.expires_in
    );

    // 2. The refresh token signs every later call in; a file store keeps the access token
    //    between runs (written atomically, mode 0600).
    let store = Arc::new(FileTokenStore::new(
        std::env::temp_dir().join(format!("zohocrm-sign-in-{}.json", std::process::id())),
    ));
    let client = builder()?
        .refresh_token(client_id, client_secret, refresh_token.expose())
        .token_store(store.clone())
        .build()?;
    let licences = client.user_licences()?;
    println!(
        "signed in: {} of {} licences in use",
        licences.used, licences.limit
    );

    // 3. Revoking the refresh token ends the session (and its access tokens).
    token_client.send(&RevokeToken {
        token: refresh_token,
    })?;
    println!("revoked the refresh token");
    std::fs::remove_file(store.path())?;
    let _ = std::fs::remove_file(store.lock_path());
    Ok(())
}
