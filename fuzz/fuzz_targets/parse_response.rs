//! Any registry operation's parser, with the input of one of its fixtures: the second byte picks
//! the fixture, the first the status and content type, the rest is the body.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use zohocrm_core::registry::Operation;

#[path = "common.rs"]
mod common;

fn cases() -> &'static [(Operation, Value)] {
    static CASES: OnceLock<Vec<(Operation, Value)>> = OnceLock::new();
    CASES.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let mut out: Vec<(Operation, Value)> = zohocrm_fixtures::load_dir(&dir)
            .expect("the fixtures load")
            .into_iter()
            .filter_map(|(_, f)| Some((zohocrm_core::registry::find(&f.operation)?, f.input)))
            .collect();
        // Every operation at least once, with no input.
        out.extend(
            zohocrm_core::registry::all()
                .iter()
                .map(|op| (*op, Value::Null)),
        );
        out
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Some((status, content_type, body)) = common::split(rest) else {
        return;
    };
    let cases = cases();
    // Two bytes of choice would be better for ~1,300 cases; one byte and the length suffice.
    let (op, input) = &cases[(usize::from(pick) * 7 + body.len()) % cases.len()];
    let _ = op.parse(input, common::response(status, content_type, body));
});
