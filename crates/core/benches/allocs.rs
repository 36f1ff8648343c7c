//! Heap allocations per call (counted exactly with dhat as the global allocator): request
//! assembly, parsing a 200-record page into `Record`s, a user struct and a `Value` tree, and
//! one Exchange. Prints one JSON object that `cargo xtask bench` reads.

#![recursion_limit = "256"]

mod support;

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use zohocrm_core::features::GetUserLicences;
use zohocrm_core::records::Typed;
use zohocrm_core::{
    assemble, Context, Credentials, DataCenter, Endpoint, Environment, Exchange, Session, Step,
};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Allocations made by `f` (averaged over `runs`).
fn count<T>(runs: u64, mut f: impl FnMut() -> T) -> u64 {
    let before = dhat::HeapStats::get().total_blocks;
    for _ in 0..runs {
        std::hint::black_box(f());
    }
    (dhat::HeapStats::get().total_blocks - before) / runs
}

fn main() {
    // `cargo bench` passes `--bench`; anything else (e.g. `cargo test --benches`) runs it too.
    let _profiler = dhat::Profiler::builder().testing().build();
    let ctx = Context::new(DataCenter::Eu, Environment::Production);
    let (list, insert, coql) = support::sample_requests();
    let body = support::leads_page(200);
    let response = |b: &[u8]| -> http::Response<Vec<u8>> {
        http::Response::builder()
            .status(200)
            .body(b.to_vec())
            .unwrap()
    };
    let typed = Typed::<_, support::Lead>::new(list.clone());
    let session = Arc::new(Session::new(
        Context::new(DataCenter::Eu, Environment::Production),
        Credentials::AccessToken("bench-access-token".into()),
    ));
    let licences = br#"{"__features":[{"api_name":"user_licenses","details":{"available_count":{"total":3},"used_count":{"total":7},"limits":{"total":10}}}]}"#;
    let now = Instant::now();
    let page_parse =
        |f: &dyn Fn(http::Response<&[u8]>)| count(5, || f(http::Response::new(&body[..])));
    let out = serde_json::json!({
        "assemble.records_list": count(100, || assemble(&ctx, &list.parts().unwrap()).unwrap()),
        "assemble.insert_100": count(20, || assemble(&ctx, &insert.parts().unwrap()).unwrap()),
        "assemble.coql": count(100, || assemble(&ctx, &coql.parts().unwrap()).unwrap()),
        "page200.value_tree": count(5, || serde_json::from_slice::<Value>(&body).unwrap()),
        "page200.records": page_parse(&|r| { list.parse(r).unwrap(); }),
        "page200.struct_plain": count(5, || serde_json::from_slice::<support::PlainPage<support::Lead>>(&body).unwrap()),
        "page200.struct_sdk": page_parse(&|r| { typed.parse(r).unwrap(); }),
        "exchange.overhead": count(100, || {
            let mut ex = Exchange::new(session.clone(), &GetUserLicences, 7);
            let Step::Send(_) = ex.poll(now) else { panic!("expected a request") };
            ex.on_response(now, response(licences));
            matches!(ex.poll(now), Step::Done(Ok(_)))
        }),
    });
    println!("{out}");
}
