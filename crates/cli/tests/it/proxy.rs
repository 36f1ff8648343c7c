//! `--proxy` and the proxy environment variables, with a test proxy on loopback that tunnels
//! to the mock: every call, the token call included, goes through it, with its credentials;
//! `NO_PROXY` and `--proxy none` bypass it.

use std::process::Command;

use zohocrm_conformance::TestProxy;
use zohocrm_mock::MockConfig;

use super::{bare, code, json_of, ok, run, start, stderr, Scratch};
use zohocrm_mock::BlockingMock;

/// base64("me:s3cret pass").
const BASIC: &str = "bWU6czNjcmV0IHBhc3M=";

/// `zcrm` on `mock` with its token calls to `localhost` and its API calls to `127.0.0.1`
/// (two hosts, so the proxy's log tells them apart).
fn two_hosts(mock: &BlockingMock, scratch: &Scratch) -> (Command, u16) {
    let port = mock
        .base_url()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("the mock's port");
    let cfg = MockConfig::default();
    let mut cmd = bare(scratch);
    cmd.args(["--accounts-url", &format!("http://localhost:{port}")])
        .args(["--api-domain", &format!("http://127.0.0.1:{port}")])
        .args(["--client-id", &cfg.client_id])
        .args(["--client-secret", &cfg.client_secret])
        .args(["--refresh-token", &cfg.refresh_token])
        .arg("--token-store")
        .arg(scratch.store())
        .args(["--retries", "0"]);
    (cmd, port)
}

#[test]
fn the_proxy_flag_carries_the_token_and_api_calls() {
    let (mock, scratch) = start();
    let proxy = TestProxy::start(Some(BASIC));
    let url = proxy.url().replace("http://", "http://me:s3cret%20pass@");
    let (mut cmd, port) = two_hosts(&mock, &scratch);
    let out = ok(run(&mut cmd, &["--proxy", &url, "-o", "json", "licences"]));
    assert_eq!(json_of(&out)["limit"], 10);
    let carried = proxy.carried();
    assert_eq!(proxy.refused(), 0, "{carried:?}");
    assert!(
        carried.contains(&format!("CONNECT localhost:{port}")),
        "{carried:?}"
    );
    assert!(
        carried.contains(&format!("CONNECT 127.0.0.1:{port}")),
        "{carried:?}"
    );

    // Wrong credentials: a network failure (exit 4) that shows no password.
    let url = proxy.url().replace("http://", "http://me:wrong-secret@");
    let (mut cmd, _) = two_hosts(&mock, &scratch);
    let _ = std::fs::remove_file(scratch.store());
    let out = run(&mut cmd, &["--proxy", &url, "licences"]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(proxy.refused() >= 1);
    let text = format!("{}{}", stderr(&out), String::from_utf8_lossy(&out.stdout));
    assert!(!text.contains("wrong-secret"), "{text}");
}

#[test]
fn the_environment_is_followed_unless_no_proxy_or_none() {
    let (mock, scratch) = start();
    let proxy = TestProxy::start(None);
    let (mut cmd, port) = two_hosts(&mock, &scratch);
    ok(run(cmd.env("HTTP_PROXY", proxy.url()), &["licences"]));
    assert!(
        proxy
            .carried()
            .contains(&format!("CONNECT 127.0.0.1:{port}")),
        "{:?}",
        proxy.carried()
    );

    let before = proxy.accepted();
    let (mut cmd, _) = two_hosts(&mock, &scratch);
    cmd.env("HTTP_PROXY", proxy.url())
        .env("NO_PROXY", "localhost,127.0.0.1");
    ok(run(&mut cmd, &["licences"]));
    let (mut cmd, _) = two_hosts(&mock, &scratch);
    cmd.env("HTTP_PROXY", proxy.url());
    ok(run(&mut cmd, &["--proxy", "none", "licences"]));
    // --proxy URL still honours NO_PROXY, as curl does.
    let (mut cmd, _) = two_hosts(&mock, &scratch);
    cmd.env("NO_PROXY", "localhost,127.0.0.1");
    ok(run(&mut cmd, &["--proxy", &proxy.url(), "licences"]));
    assert_eq!(proxy.accepted(), before, "{:?}", proxy.carried());
}

#[test]
fn a_bad_proxy_is_a_usage_error_without_its_password() {
    let (mock, scratch) = start();
    for (bad, env) in [
        ("socks5://me:hunter2@127.0.0.1:1080", false),
        ("http://me:hunter2@proxy:notaport", true),
    ] {
        let (mut cmd, _) = two_hosts(&mock, &scratch);
        let out = if env {
            run(cmd.env("HTTP_PROXY", bad), &["licences"])
        } else {
            run(&mut cmd, &["--proxy", bad, "licences"])
        };
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(stderr(&out).contains("proxy"), "{}", stderr(&out));
        assert!(!stderr(&out).contains("hunter2"), "{}", stderr(&out));
    }
}
