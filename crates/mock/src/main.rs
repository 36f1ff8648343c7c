//! `zohocrm-mock`: runs the fake Zoho CRM server until killed.
//!
//! ```text
//! zohocrm-mock [--addr 127.0.0.1:PORT] [--fixtures DIR] [--no-demo-data]
//! ```
//! Prints the base URL (`http://127.0.0.1:PORT`) on one line of stdout once it listens. Only
//! loopback addresses are accepted.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;

use zohocrm_mock::{MockConfig, MockZoho};

const USAGE: &str = "usage: zohocrm-mock [--addr 127.0.0.1:PORT] [--fixtures DIR] [--no-demo-data]

Runs a fake Zoho CRM v8 server on a loopback address and prints its base URL.
OAuth client: id mock-client-id, secret mock-client-secret, refresh token mock-refresh-token,
grant code mock-grant-code, org id mock-org-1.";

fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    let addrs: Vec<SocketAddr> = s
        .to_socket_addrs()
        .map_err(|e| format!("invalid address {s:?}: {e}"))?
        .collect();
    // `localhost` may resolve to several addresses: prefer IPv4 loopback.
    let addr = addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| format!("invalid address {s:?}"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "refusing to listen on {addr}: the mock only listens on loopback addresses"
        ));
    }
    Ok(addr)
}

fn parse_args() -> Result<(SocketAddr, MockConfig), String> {
    let mut addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut config = MockConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--addr" => addr = parse_addr(&value("--addr")?)?,
            "--fixtures" => config.fixtures_dir = Some(PathBuf::from(value("--fixtures")?)),
            "--no-demo-data" => config.demo_data = false,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }
    Ok((addr, config))
}

fn main() -> ExitCode {
    let (addr, config) = match parse_args() {
        Ok(v) => v,
        Err(e) => {
            eprintln!("zohocrm-mock: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("zohocrm-mock: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let mock = match MockZoho::start_at(addr, config).await {
            Ok(m) => m,
            Err(e) => {
                eprintln!("zohocrm-mock: cannot start on {addr}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{}", mock.base_url())
            .and_then(|()| out.flush())
            .is_err()
        {
            return ExitCode::FAILURE;
        }
        drop(out);
        // Serve until killed.
        std::future::pending::<()>().await;
        ExitCode::SUCCESS
    })
}
