//! Payloads Zoho POSTs to a notification channel's URL (`fixtures/webhooks/**/*.webhook`):
//! each is read with `NotificationPayload::parse` and checked against the channel id and token
//! the case names; the outcome is snapshotted.
//!
//! These are not request/response fixtures (the SDK receives them), so they have their own small
//! schema: `{description, channel_id, token, body}`.

use serde_json::{json, Value};
use zohocrm_core::notifications::NotificationPayload;

#[test]
fn webhook_payloads_parse_and_verify() {
    insta::glob!("../../../../fixtures/webhooks", "**/*.webhook", |path| {
        let case: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let body = serde_json::to_vec(&case["body"]).unwrap();
        let channel = case["channel_id"].as_str().unwrap();
        let token = case["token"].as_str().unwrap();
        let outcome = match NotificationPayload::parse(&body) {
            Err(e) => json!({"error": e.to_string()}),
            Ok(p) => json!({
                "payload": p,
                "operation": format!("{:?}", p.operation()),
                "verified": match p.verify(channel, token) {
                    Ok(()) => json!("ok"),
                    Err(e) => json!({"error": e.to_string()}),
                },
            }),
        };
        insta::assert_json_snapshot!(outcome);
    });
}
