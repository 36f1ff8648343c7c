//! The generic response and error parsers: Zoho error envelopes, token responses, action
//! results, any JSON body, downloads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zohocrm_core::oauth::parse_token_response;
use zohocrm_core::response::{decode_action_results, decode_value, error_from_response};
use zohocrm_core::{ApiResponse, Download};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((status, content_type, body)) = common::split(data) else {
        return;
    };
    let resp = || common::response(status, content_type, body);
    let e = error_from_response(&resp());
    let _ = e.to_string();
    if let Err(e) = parse_token_response(&resp()) {
        let _ = e.to_string();
    }
    let _ = decode_value("fuzz.envelopes", &resp());
    if let Ok(results) = decode_action_results("fuzz.envelopes", "data", &resp()) {
        let _ = results.into_result();
    }
    let _ = ApiResponse::parse("fuzz.envelopes", resp());
    let _ = Download::parse("fuzz.envelopes", resp());
});
