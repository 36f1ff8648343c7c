//! Building requests and the Exchange's overhead per call: typed request assembly (records
//! list, an insert of 100 records, COQL) and one whole Exchange (token cached, one answer
//! replayed), with no IO. Allocation counts come from the `allocs` bench.

#![recursion_limit = "256"]
#![allow(missing_docs)] // criterion_group! generates undocumented functions

mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use zohocrm_core::features::GetUserLicences;
use zohocrm_core::{
    assemble, Context, Credentials, DataCenter, Endpoint, Environment, Exchange, Session, Step,
};

fn assembly(c: &mut Criterion) {
    let ctx = Context::new(DataCenter::Eu, Environment::Production);
    let (list, insert, coql) = support::sample_requests();
    let mut g = c.benchmark_group("assemble");
    g.bench_function("records_list", |b| {
        b.iter(|| assemble(&ctx, &black_box(&list).parts().unwrap()).unwrap())
    });
    g.bench_function("insert_100", |b| {
        b.iter(|| assemble(&ctx, &black_box(&insert).parts().unwrap()).unwrap())
    });
    g.bench_function("coql", |b| {
        b.iter(|| assemble(&ctx, &black_box(&coql).parts().unwrap()).unwrap())
    });
    g.finish();
}

fn exchange(c: &mut Criterion) {
    let session = Arc::new(Session::new(
        Context::new(DataCenter::Eu, Environment::Production),
        Credentials::AccessToken("bench-access-token".into()),
    ));
    let body = br#"{"__features":[{"api_name":"user_licenses","details":{"available_count":{"total":3},"used_count":{"total":7},"limits":{"total":10}}}]}"#.to_vec();
    let now = Instant::now();
    let mut g = c.benchmark_group("exchange");
    g.bench_function("overhead", |b| {
        b.iter(|| {
            let mut ex = Exchange::new(session.clone(), &GetUserLicences, 7);
            let Step::Send(_request) = ex.poll(now) else {
                panic!("expected a request")
            };
            let response = http::Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(body.clone())
                .unwrap();
            ex.on_response(now, response);
            match ex.poll(now) {
                Step::Done(out) => out.unwrap(),
                _ => panic!("expected the answer"),
            }
        })
    });
    g.bench_function("parse_only", |b| {
        b.iter(|| {
            let response = http::Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(&body[..])
                .unwrap();
            GetUserLicences.parse(response).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, assembly, exchange);
criterion_main!(benches);
