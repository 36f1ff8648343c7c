//! Every operation of the registry, through the C ABI, with the parameters of its fixtures: the
//! first step is a `send` of exactly the recorded request, and the recorded response gives the
//! same result as the core's own parsing.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use zohocrm_core::registry;

use crate::util::{headers_json, request_of, Session, NOW};

fn render_core(result: &Result<Value, zohocrm_core::Error>) -> Value {
    match result {
        Ok(v) => json!({ "ok": true, "output": v }),
        Err(e) => json!({ "ok": false, "error": zohocrm_ffi::render::error_json(e) }),
    }
}

#[test]
fn every_operation_sends_its_recorded_request_and_parses_like_the_core() {
    let fixtures = zohocrm_fixtures::load_dir(&zohocrm_fixtures::workspace_dir()).unwrap();
    let mut by_op: BTreeMap<&str, Vec<(&std::path::Path, &zohocrm_fixtures::Fixture)>> =
        BTreeMap::new();
    for (path, f) in &fixtures {
        let scenario = path.components().any(|c| c.as_os_str() == "scenarios");
        if !scenario && f.session.is_none() && f.exchanges.len() == 1 {
            by_op
                .entry(f.operation.as_str())
                .or_default()
                .push((path, f));
        }
    }
    let session = Session::new(
        &json!({"data_center": "us", "credentials": {"access_token": "fake-access-1"}}),
    )
    .unwrap();

    let (mut ops, mut cases, mut without_fixture) = (0, 0, Vec::new());
    for op in registry::all() {
        ops += 1;
        let Some(cases_of_op) = by_op.get(op.id) else {
            // No recorded parameters: an exchange still starts and either sends or reports a
            // build error (missing required parameter), never anything else.
            let mut ex = session.exchange(op.id, Some(&json!({})), 1).unwrap();
            let step = ex.poll(NOW);
            let sends = step["step"] == "send";
            let build_error = step["step"] == "done" && step["error"]["kind"] == "build";
            assert!(sends || build_error, "{}: {step}", op.id);
            without_fixture.push(op.id);
            continue;
        };
        for (path, fixture) in cases_of_op {
            cases += 1;
            let at = path.display();
            let mut ex = session
                .exchange(op.id, Some(&fixture.input), 7)
                .unwrap_or_else(|e| panic!("{at}: {e}"));
            let step = ex.poll(NOW);
            assert_eq!(
                step["step"], "send",
                "{at}: the first step must be a send: {step}"
            );
            let request = request_of(&step);
            let recorded = &fixture.exchanges[0];
            if let Some(diff) = recorded.request.mismatch(&request) {
                panic!("{at}: the request sent through the ABI differs from the recording: {diff}");
            }
            if let Some(auth) = request.headers().get("authorization") {
                assert_eq!(auth, "Zoho-oauthtoken fake-access-1", "{at}");
            }

            let Some(status) = recorded.response.status else {
                let kind = recorded
                    .response
                    .transport_error
                    .as_deref()
                    .unwrap_or("other");
                ex.transport_error(NOW, kind, "recorded transport error")
                    .unwrap_or_else(|e| panic!("{at}: {e}"));
                let next = ex.poll(NOW);
                assert!(
                    matches!(next["step"].as_str(), Some("sleep" | "done")),
                    "{at}: {next}"
                );
                continue;
            };
            let response = recorded.response.to_http().unwrap();
            ex.respond(
                NOW + 5,
                status,
                &headers_json(response.headers()),
                response.body(),
            )
            .unwrap_or_else(|e| panic!("{at}: {e}"));
            let done = ex.poll(NOW + 5);
            if done["step"] == "sleep" {
                // A retryable status (429, 5xx on an idempotent request): the core waits.
                assert!(matches!(status, 429 | 500..=599), "{at}: {done}");
                continue;
            }
            assert_eq!(done["step"], "done", "{at}: {done}");

            // The same response parsed by the core directly.
            let (head, body) = response.into_parts();
            let direct = op.parse(
                &fixture.input,
                http::Response::from_parts(head, body.as_slice()),
            );
            let expected = render_core(&direct);
            assert_eq!(done["ok"], expected["ok"], "{at}: {done}");
            if expected["ok"] == true {
                assert_eq!(done["output"], expected["output"], "{at}");
            } else {
                assert_eq!(done["error"], expected["error"], "{at}");
            }
        }
    }
    eprintln!(
        "{ops} operations, {cases} fixture cases through the ABI; {} without a fixture: {:?}",
        without_fixture.len(),
        without_fixture
    );
    assert!(ops >= 400, "the registry lists only {ops} operations");
    assert!(
        without_fixture.len() * 20 <= ops,
        "too many operations without a fixture: {without_fixture:?}"
    );
}
