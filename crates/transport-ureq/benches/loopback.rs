//! End to end over loopback against the mock: the blocking `Client` against a raw ureq agent
//! with the same settings making the same requests (and parsing the body into a
//! `serde_json::Value`), on one kept-alive connection each. `cargo xtask bench` reports
//! raw time / SDK time (≥ 0.9 is the target).
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::Value;
use zohocrm_core::records::ListRecords;
use zohocrm_mock::{BlockingMock, MockConfig};
use zohocrm_ureq::Client;

fn raw_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .timeout_connect(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

fn raw_token(agent: &ureq::Agent, base: &str) -> String {
    let cfg = MockConfig::default();
    let mut resp = agent
        .post(&format!("{base}/oauth/v2/token"))
        .send_form([
            ("grant_type", "refresh_token"),
            ("client_id", cfg.client_id.as_str()),
            ("client_secret", cfg.client_secret.as_str()),
            ("refresh_token", cfg.refresh_token.as_str()),
        ])
        .expect("token");
    let body: Value = serde_json::from_slice(&resp.body_mut().read_to_vec().unwrap()).unwrap();
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

fn raw_get(agent: &ureq::Agent, url: &str, auth: &str) -> Value {
    let mut resp = agent
        .get(url)
        .header("Authorization", auth)
        .header("Accept", "application/json")
        .call()
        .expect("raw call");
    let bytes = resp
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_vec()
        .expect("body");
    serde_json::from_slice(&bytes).expect("JSON")
}

fn loopback(c: &mut Criterion) {
    let mock = BlockingMock::start_with(MockConfig {
        demo_leads: 400,
        ..MockConfig::default()
    })
    .expect("mock");
    let base = mock.base_url();
    let cfg = MockConfig::default();
    let client = Client::builder()
        .hosts(&base, &base, &base)
        .refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token)
        .build()
        .expect("client");
    client.user_licences().expect("warm up");
    let agent = raw_agent();
    let auth = format!("Zoho-oauthtoken {}", raw_token(&agent, &base));
    let licences_url = format!("{base}/crm/v8/__features/user_licenses");
    let leads_url =
        format!("{base}/crm/v8/Leads?fields=Last_Name,Email,Company,Owner&per_page=200");
    let list = ListRecords::new("Leads", ["Last_Name", "Email", "Company", "Owner"]).per_page(200);

    let mut g = c.benchmark_group("ureq_loopback");
    g.bench_function("licences_sdk", |b| {
        b.iter(|| black_box(client.user_licences().unwrap()))
    });
    g.bench_function("licences_raw", |b| {
        b.iter(|| black_box(raw_get(&agent, &licences_url, &auth)))
    });
    g.bench_function("leads200_sdk", |b| {
        b.iter(|| black_box(client.send(&list).unwrap()))
    });
    g.bench_function("leads200_raw", |b| {
        b.iter(|| black_box(raw_get(&agent, &leads_url, &auth)))
    });
    g.finish();
}

criterion_group!(benches, loopback);
criterion_main!(benches);
