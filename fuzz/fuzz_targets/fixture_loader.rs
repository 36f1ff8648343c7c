//! The fixture loader (`zohocrm-fixtures`): a fixture file's JSON, its bodies and the request
//! comparison.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zohocrm_fixtures::Fixture;

fuzz_target!(|data: &[u8]| {
    let Ok(fixture) = serde_json::from_slice::<Fixture>(data) else {
        return;
    };
    for ex in &fixture.exchanges {
        let _ = ex.response.to_http();
        let _ = zohocrm_fixtures::body_bytes(&ex.request.body);
        let _ = zohocrm_fixtures::body_bytes(&ex.response.body);
        let _ = ex.request.mismatch(&http::Request::new(Vec::new()));
    }
    let _ = zohocrm_fixtures::form_pairs(data);
});
