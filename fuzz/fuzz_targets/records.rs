//! Record pages and records: `parse_record_page`, typed pages, `Record::from_json` and the
//! record accessors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zohocrm_core::records::parse_record_page;
use zohocrm_core::Record;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((status, content_type, body)) = common::split(data) else {
        return;
    };
    let resp = common::response(status, content_type, body);
    if let Ok(page) = parse_record_page("fuzz.records", &resp) {
        for r in &page.records {
            let _ = r.id();
            let _ = r.created_time();
            let _ = r.str("Last_Name");
        }
    }
    if let Ok(text) = std::str::from_utf8(body) {
        if let Ok(r) = Record::from_json(text) {
            let _ = r.id();
            let _ = r.created_time();
            let _ = r.str("Owner");
        }
    }
});
