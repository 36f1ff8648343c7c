//! End to end over loopback against the mock: the async `Client` against a raw hyper-util
//! client making the same requests (and parsing the body into a `serde_json::Value`), each
//! driven by `block_on` on the same runtime. `cargo xtask bench` reports raw time / SDK time.
//!
//! The two are measured as pairs: each benchmark times its own calls interleaved one for one
//! with the other client's (whose time it leaves out), so both see the same load. On a shared
//! machine, timing them in separate windows moved the ratio by ±20 % from run to run.
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use zohocrm_core::records::ListRecords;
use zohocrm_hyper::Client;
use zohocrm_mock::{MockConfig, MockZoho};

type Raw = hyper_util::client::legacy::Client<HttpConnector, Empty<Bytes>>;

/// The SDK's default `User-Agent`.
const USER_AGENT: &str = zohocrm_core::context::DEFAULT_USER_AGENT;

async fn raw_token(base: &str) -> String {
    let cfg = MockConfig::default();
    let client: hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>> =
        hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http();
    let form = format!(
        "grant_type=refresh_token&client_id={}&client_secret={}&refresh_token={}",
        cfg.client_id, cfg.client_secret, cfg.refresh_token
    );
    let req = http::Request::post(format!("{base}/oauth/v2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(form)))
        .unwrap();
    let body = client
        .request(req)
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&body.to_bytes()).unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

/// The SDK's request, made raw: the same headers (`user-agent` too), body parsed as a `Value`.
async fn raw_get(client: &Raw, url: &str, auth: &str) -> Value {
    let req = http::Request::get(url)
        .header("user-agent", USER_AGENT)
        .header("authorization", auth)
        .header("accept", "application/json")
        .body(Empty::new())
        .unwrap();
    let resp = client.request(req).await.expect("raw call");
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    serde_json::from_slice(&body).expect("JSON")
}

/// The time of `iters` calls of `measured`, each followed by an untimed call of `other`.
fn paired(iters: u64, measured: impl Fn(), other: impl Fn()) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let started = Instant::now();
        measured();
        total += started.elapsed();
        other();
    }
    total
}

fn loopback(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mock = rt
        .block_on(MockZoho::start_with(MockConfig {
            demo_leads: 400,
            ..MockConfig::default()
        }))
        .expect("mock");
    let base = mock.base_url();
    let cfg = MockConfig::default();
    let client = Client::builder()
        .hosts(&base, &base, &base)
        .refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token)
        .build()
        .expect("client");
    rt.block_on(client.user_licences()).expect("warm up");
    let raw: Raw = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http();
    let auth = format!("Zoho-oauthtoken {}", rt.block_on(raw_token(&base)));
    let licences_url = format!("{base}/crm/v8/__features/user_licenses");
    let leads_url =
        format!("{base}/crm/v8/Leads?fields=Last_Name,Email,Company,Owner&per_page=200");
    let list = ListRecords::new("Leads", ["Last_Name", "Email", "Company", "Owner"]).per_page(200);

    let mut g = c.benchmark_group("hyper_loopback");
    let sdk_licences = || {
        black_box(rt.block_on(client.user_licences()).unwrap());
    };
    let raw_licences = || {
        black_box(rt.block_on(raw_get(&raw, &licences_url, &auth)));
    };
    // The SDK bounds every call with a deadline; the raw client wrapped in tokio's timer per
    // call shows what that costs when it is done the simple way.
    let timeout = zohocrm_hyper::TransportConfig::default().timeout;
    let raw_licences_timeout = || {
        let call = async {
            tokio::time::timeout(timeout, raw_get(&raw, &licences_url, &auth))
                .await
                .unwrap()
        };
        black_box(rt.block_on(call));
    };
    let sdk_leads = || {
        black_box(rt.block_on(client.send(&list)).unwrap());
    };
    let raw_leads = || {
        black_box(rt.block_on(raw_get(&raw, &leads_url, &auth)));
    };
    g.bench_function("licences_sdk", |b| {
        b.iter_custom(|n| paired(n, sdk_licences, raw_licences))
    });
    g.bench_function("licences_raw", |b| {
        b.iter_custom(|n| paired(n, raw_licences, sdk_licences))
    });
    g.bench_function("licences_raw_timeout", |b| {
        b.iter_custom(|n| paired(n, raw_licences_timeout, sdk_licences))
    });
    g.bench_function("leads200_sdk", |b| {
        b.iter_custom(|n| paired(n, sdk_leads, raw_leads))
    });
    g.bench_function("leads200_raw", |b| {
        b.iter_custom(|n| paired(n, raw_leads, sdk_leads))
    });
    g.finish();
    rt.block_on(mock.shutdown());
}

criterion_group!(benches, loopback);
criterion_main!(benches);
