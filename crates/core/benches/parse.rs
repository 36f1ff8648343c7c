//! Parsing: a realistic 200-record Leads page into `Record`s and into a user struct, against
//! `serde_json::from_slice` into `serde_json::Value` and into the same struct; error envelopes
//! and a 207 batch answer. `cargo xtask bench` turns these into ratios.

#![recursion_limit = "256"]
#![allow(missing_docs)] // criterion_group! generates undocumented functions

mod support;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::Value;
use zohocrm_core::records::{InsertRecords, ListRecords, Typed};
use zohocrm_core::Endpoint;

use support::{leads_page, mixed_207, Lead, PlainPage, ERROR_ENVELOPE};

fn response(status: u16, body: &[u8]) -> http::Response<&[u8]> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json;charset=UTF-8")
        .body(body)
        .expect("a response")
}

fn page(c: &mut Criterion) {
    let body = leads_page(200);
    let list = ListRecords::new("Leads", ["Last_Name", "Email"]);
    let typed = Typed::<_, Lead>::new(list.clone());
    let mut g = c.benchmark_group("page200");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("value_tree", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(&body)).unwrap())
    });
    g.bench_function("records", |b| {
        b.iter(|| list.parse(response(200, black_box(&body))).unwrap())
    });
    g.bench_function("records_read_3_fields", |b| {
        b.iter(|| {
            let page = list.parse(response(200, black_box(&body))).unwrap();
            let mut n = 0usize;
            for r in &page.records {
                n += r.str("Last_Name").unwrap().map_or(0, |s| s.len());
                n += r.owner().unwrap().map_or(0, |o| o.id.len());
                n += usize::from(r.created_time().unwrap().is_some());
            }
            n
        })
    });
    g.bench_function("struct_plain", |b| {
        b.iter(|| serde_json::from_slice::<PlainPage<Lead>>(black_box(&body)).unwrap())
    });
    g.bench_function("struct_sdk", |b| {
        b.iter(|| typed.parse(response(200, black_box(&body))).unwrap())
    });
    g.finish();
}

fn errors(c: &mut Criterion) {
    let list = ListRecords::new("Leads", ["Last_Name"]);
    let insert = InsertRecords::new(
        "Leads",
        [zohocrm_core::Record::new().with("Last_Name", "x")],
    );
    let batch = mixed_207(100);
    let mut g = c.benchmark_group("errors");
    g.bench_function("envelope_sdk", |b| {
        b.iter(|| {
            list.parse(response(400, black_box(ERROR_ENVELOPE)))
                .unwrap_err()
        })
    });
    g.bench_function("envelope_value_tree", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(ERROR_ENVELOPE)).unwrap())
    });
    g.bench_function("batch207_sdk", |b| {
        b.iter(|| insert.parse(response(207, black_box(&batch))).unwrap())
    });
    g.bench_function("batch207_value_tree", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(&batch)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, page, errors);
criterion_main!(benches);
