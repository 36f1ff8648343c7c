//! Every single-exchange fixture: the request built from `input` must equal the recorded request,
//! and the response is parsed into the operation's typed output, which the snapshot shows as a
//! Rust value (type, fields, enum variants, and any keys no model field describes, under
//! `extra`). A typed output written back as JSON must equal the body it was read from.

use serde_json::Value;
use zohocrm_core::{assemble, Context, DataCenter, Environment};

use crate::harness::{find_op, render_error, render_request};

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
        let result = op.parse_typed(
            &fixture.input,
            http::Response::from_parts(head, body.as_slice()),
        );
        let rendered = match &result {
            Ok(output) => {
                if output.type_name().contains("::generated::") {
                    // Nothing the answer held is lost: the typed value written back is the body
                    // (a known field's `null` reads as `None` and is not written back).
                    let sent: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let back = output.to_json().unwrap();
                    if !sent.is_null() {
                        assert_eq!(
                            without_nulls(back),
                            without_nulls(sent),
                            "{}: the typed output differs from the body",
                            path.display()
                        );
                    }
                }
                format!("output: {}\n{output:#?}", output.type_name())
            }
            Err(e) => format!(
                "error:\n{}",
                serde_json::to_string_pretty(&render_error(e)).unwrap()
            ),
        };
        let request = serde_json::to_string_pretty(&render_request(&request)).unwrap();
        insta::assert_snapshot!(format!(
            "operation: {}\nsource: {}\nrequest: {request}\n{rendered}",
            fixture.operation, fixture.description
        ));
    });
}

/// `v` without object members whose value is `null` (at any depth).
fn without_nulls(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}
