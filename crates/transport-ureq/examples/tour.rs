//! A tour of the blocking client: sign in, read the user licence counts, walk the territory tree.
//!
//! ```text
//! cargo run -p zohocrm-ureq --example tour -- --mock     # against the embedded mock server
//! ZOHO_CLIENT_ID=… ZOHO_CLIENT_SECRET=… ZOHO_REFRESH_TOKEN=… ZOHO_DC=eu \
//!     cargo run -p zohocrm-ureq --example tour            # against your Zoho CRM organisation
//! ```

use std::collections::HashMap;
use std::process::ExitCode;

use zohocrm_core::territories::{GetTerritories, Territory};
use zohocrm_mock::{BlockingMock, MockConfig};
use zohocrm_ureq::{Client, DataCenter, Error};

type BoxError = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage: tour [--mock]");
        println!("  --mock  run against an embedded mock Zoho CRM server (no account needed)");
        println!("  without --mock, ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN and");
        println!(
            "  ZOHO_DC (us, eu, in, au, cn, jp, ca, sa; default us) are read from the environment"
        );
        return ExitCode::SUCCESS;
    }
    match run(args.iter().any(|a| a == "--mock")) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nerror: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(use_mock: bool) -> Result<(), BoxError> {
    println!("zohocrm-rs tour: the blocking client (zohocrm-ureq)");
    println!();
    let (mock, client) = if use_mock {
        let mock = BlockingMock::start()?;
        let base = mock.base_url();
        let cfg = MockConfig::default();
        println!("Started the embedded mock Zoho CRM server at {base}.");
        println!(
            "It plays the accounts server and the API; its client id is {}.",
            cfg.client_id
        );
        let client = Client::builder()
            .hosts(&base, &base, &base)
            .refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token)
            .build()?;
        (Some(mock), client)
    } else {
        let var = |name: &str| {
            std::env::var(name).map_err(|_| {
                format!("{name} is not set: set ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET and ZOHO_REFRESH_TOKEN, or pass --mock")
            })
        };
        let dc: DataCenter = std::env::var("ZOHO_DC")
            .unwrap_or_else(|_| "us".into())
            .parse()?;
        let client = Client::builder()
            .data_center(dc)
            .refresh_token(
                var("ZOHO_CLIENT_ID")?,
                var("ZOHO_CLIENT_SECRET")?,
                var("ZOHO_REFRESH_TOKEN")?,
            )
            .build()?;
        println!("Using Zoho CRM in data centre `{dc}`.");
        (None, client)
    };
    let (accounts, api) = {
        let ctx = client.session().context();
        (ctx.accounts_url().to_owned(), ctx.api_domain().to_owned())
    };

    println!();
    println!("1. User licences  (GET {api}/crm/v8/__features/user_licenses)");
    println!("   The first call signs in: the refresh token is exchanged for an access token");
    println!("   at {accounts}/oauth/v2/token, then the API is called with it.");
    let licences = client.user_licences()?;
    if let Some(expiry) = client.session().token_expires_at() {
        let minutes = expiry
            .duration_since(std::time::SystemTime::now())
            .map(|d| d.as_secs().div_ceil(60))
            .unwrap_or(0);
        println!("   Signed in; the access token is valid for about {minutes} minutes.");
    }
    println!("   Purchased: {:>4}", licences.limit);
    println!("   In use:    {:>4}", licences.used);
    println!("   Available: {:>4}", licences.available);

    println!();
    println!("2. Territories  (GET {api}/crm/v8/settings/territories, 200 per page)");
    let mut territories = Vec::new();
    for page in client.pages(GetTerritories::new().per_page(200)) {
        match page {
            Ok(page) => territories.extend(page.territories),
            Err(Error::Api { error, .. }) if error.code.as_str() == "TERRITORY_NOT_ENABLED" => {
                println!("   Territory management is not enabled in this organisation.");
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !territories.is_empty() {
        println!(
            "   {} territories; each is shown under the territory it reports to:",
            territories.len()
        );
        print_tree(&territories);
    }

    println!();
    match &mock {
        Some(mock) => {
            let stats = mock.stats();
            println!(
                "Done. The mock minted {} access token(s) and answered {} API call(s).",
                stats.mints, stats.api_requests
            );
        }
        None => println!("Done."),
    }
    Ok(())
}

/// Prints territories as an indented tree, using `reporting_to` as the parent link.
fn print_tree(territories: &[Territory]) {
    let ids: std::collections::HashSet<&str> = territories.iter().map(|t| t.id.as_str()).collect();
    let mut children: HashMap<Option<&str>, Vec<&Territory>> = HashMap::new();
    for t in territories {
        let parent = t
            .reporting_to
            .as_ref()
            .and_then(|r| r.id.as_deref())
            .filter(|id| ids.contains(id));
        children.entry(parent).or_default().push(t);
    }
    fn walk(
        children: &HashMap<Option<&str>, Vec<&Territory>>,
        parent: Option<&str>,
        prefix: &str,
        depth: usize,
    ) {
        let Some(list) = children.get(&parent) else {
            return;
        };
        for (i, t) in list.iter().enumerate() {
            let last = i + 1 == list.len();
            let (branch, next) = match depth {
                0 => ("", String::from("   ")),
                _ if last => ("└─ ", format!("{prefix}   ")),
                _ => ("├─ ", format!("{prefix}│  ")),
            };
            let manager = t
                .manager
                .as_ref()
                .and_then(|m| m.name.as_deref())
                .map(|m| format!("  (manager: {m})"))
                .unwrap_or_default();
            println!("{prefix}{branch}{}{manager}", t.name);
            walk(children, Some(t.id.as_str()), &next, depth + 1);
        }
    }
    walk(&children, None, "   ", 0);
}
