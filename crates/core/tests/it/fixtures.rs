//! Every single-exchange fixture: the request built from `input` must equal the recorded request,
//! and the parsed response is snapshotted.

use serde_json::json;
use zohocrm_core::{assemble, Context, DataCenter, Environment};

use crate::harness::{find_op, render_request, render_result};

#[test]
fn fixtures_build_the_recorded_request_and_parse() {
    insta::glob!("../../../../fixtures", "**/*.json", |path| {
        let fixture = zohocrm_fixtures::load(path).unwrap();
        let scenario = path.components().any(|c| c.as_os_str() == "scenarios");
        if scenario || fixture.session.is_some() || fixture.exchanges.len() != 1 {
            return; // scenarios run in scenarios.rs
        }
        let op = find_op(&fixture.operation);
        let ctx = Context::new(DataCenter::Us, Environment::Production);
        let parts = op
            .build(&fixture.input)
            .unwrap_or_else(|e| panic!("{}: cannot build the request: {e}", path.display()));
        let request = assemble(&ctx, &parts).unwrap();
        let recorded = &fixture.exchanges[0];
        if let Some(diff) = recorded.request.mismatch(&request) {
            panic!(
                "{}: built request differs from the recording: {diff}",
                path.display()
            );
        }
        let response = recorded.response.to_http().unwrap();
        let (head, body) = response.into_parts();
        let result = op.parse(
            &fixture.input,
            http::Response::from_parts(head, body.as_slice()),
        );
        insta::assert_json_snapshot!(json!({
            "operation": fixture.operation,
            "request": render_request(&request),
            "result": render_result(&result),
        }));
    });
}
