//! Hostile input, as a bounded property test: every recorded response body of every fixture is
//! mutated (bits flipped, bytes replaced, inserted and deleted, ranges cut, doubled and
//! truncated, numbers made huge, nesting made deep) and fed, with its status and with other
//! statuses, to the fixture operation's parser and to every generic parser. Each must return
//! `Ok` or `Err`; a panic fails the test with the fixture and the input that caused it. The
//! fixture files themselves are mutated and fed to the fixture loader the same way.
//!
//! `ZOHOCRM_HOSTILE_CASES` sets the mutations per body (default 6); the same seeds give the same
//! inputs, so a failure reproduces.

use std::panic::{catch_unwind, AssertUnwindSafe};

use serde_json::Value;
use zohocrm_core::oauth::parse_token_response;
use zohocrm_core::records::parse_record_page;
use zohocrm_core::response::{decode_action_results, decode_value, error_from_response};
use zohocrm_core::{ApiResponse, Download, Record};
use zohocrm_fixtures::Fixture;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const SPECIAL: &[u8] = b"\"{}[]:,\\0-.eE+ \x00\xff\xc3\xe2\x80";

/// One mutation of `input`, and its name.
fn mutate(rng: &mut Rng, input: &[u8]) -> (Vec<u8>, &'static str) {
    let mut out = input.to_vec();
    let len = out.len();
    let kind = rng.below(9);
    match kind {
        0 if len > 0 => {
            let i = rng.below(len);
            out[i] ^= 1 << rng.below(8);
            (out, "bit flip")
        }
        1 if len > 0 => {
            let i = rng.below(len);
            out[i] = SPECIAL[rng.below(SPECIAL.len())];
            (out, "byte replaced")
        }
        2 => {
            let i = rng.below(len + 1);
            out.insert(i, SPECIAL[rng.below(SPECIAL.len())]);
            (out, "byte inserted")
        }
        3 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(16));
            out.drain(i..i + n);
            (out, "range deleted")
        }
        4 => {
            out.truncate(rng.below(len + 1));
            (out, "truncated")
        }
        5 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(64));
            let copy = out[i..i + n].to_vec();
            let at = rng.below(len + 1);
            out.splice(at..at, copy);
            (out, "range doubled")
        }
        6 => {
            // A digit run replaced by a huge or odd number.
            let numbers: [&[u8]; 5] = [
                b"1e999999",
                b"-99999999999999999999999",
                b"18446744073709551616",
                b"0.0000000000000000000001e-400",
                b"NaN",
            ];
            match out.iter().position(|b| b.is_ascii_digit()) {
                Some(start) => {
                    let end = out[start..]
                        .iter()
                        .position(|b| !b.is_ascii_digit())
                        .map_or(len, |e| start + e);
                    out.splice(
                        start..end,
                        numbers[rng.below(numbers.len())].iter().copied(),
                    );
                    (out, "number replaced")
                }
                None => (out, "unchanged"),
            }
        }
        7 => {
            // Deep nesting where a value starts.
            let depth = 64 + rng.below(4096);
            let at = out.iter().position(|b| *b == b':').map_or(0, |p| p + 1);
            let mut deep = vec![b'['; depth];
            deep.extend(std::iter::repeat_n(b']', depth));
            out.splice(at..at, deep);
            (out, "deep nesting")
        }
        _ => {
            // A string value swapped for another type.
            let swaps: [&[u8]; 5] = [b"null", b"{}", b"[]", b"true", b"-1"];
            match out.iter().position(|b| *b == b'"') {
                Some(q) => {
                    let end = out[q + 1..]
                        .iter()
                        .position(|b| *b == b'"')
                        .map_or(len, |e| q + 2 + e);
                    out.splice(q..end, swaps[rng.below(swaps.len())].iter().copied());
                    (out, "type swapped")
                }
                None => (out, "unchanged"),
            }
        }
    }
}

const STATUSES: [u16; 12] = [200, 201, 202, 204, 207, 304, 400, 401, 404, 429, 500, 503];

/// Every parser on one response; returns how many parses ran.
fn parse_all(
    op: Option<&zohocrm_core::registry::Operation>,
    input: &Value,
    status: u16,
    content_type: &str,
    body: &[u8],
) -> usize {
    let resp = || {
        http::Response::builder()
            .status(status)
            .header("content-type", content_type)
            .body(body)
            .expect("a valid status")
    };
    let mut n = 0;
    if let Some(op) = op {
        let _ = op.parse(input, resp());
        n += 1;
    }
    let _ = parse_record_page("hostile", &resp());
    let _ = error_from_response(&resp());
    let _ = parse_token_response(&resp());
    let _ = decode_value("hostile", &resp());
    let _ = decode_action_results("hostile", "data", &resp());
    let _ = ApiResponse::parse("hostile", resp());
    let _ = Download::parse("hostile", resp());
    let _ = Record::from_json(String::from_utf8_lossy(body).into_owned());
    n + 8
}

fn cases_per_body() -> usize {
    std::env::var("ZOHOCRM_HOSTILE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6)
}

#[test]
fn mutated_fixture_responses_never_panic() {
    let fixtures = zohocrm_fixtures::load_dir(&zohocrm_fixtures::workspace_dir()).unwrap();
    assert!(fixtures.len() > 100, "the fixtures are there");
    let per_body = cases_per_body();
    let mut runs = 0usize;
    let mut inputs = 0usize;
    let mut failures = Vec::new();
    for (i, (path, fixture)) in fixtures.iter().enumerate() {
        let op = zohocrm_core::registry::find(&fixture.operation);
        for exchange in &fixture.exchanges {
            let Ok(response) = exchange.response.to_http() else {
                continue; // a transport failure, not a body
            };
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/json")
                .to_owned();
            let body = response.into_body();
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1));
            let mut cases: Vec<(Vec<u8>, u16, &str)> = vec![(body.clone(), status, "original")];
            for _ in 0..per_body {
                let (m, what) = mutate(&mut rng, &body);
                cases.push((m, status, what));
            }
            cases.push((
                body.clone(),
                STATUSES[rng.below(STATUSES.len())],
                "other status",
            ));
            for (bytes, status, what) in cases {
                inputs += 1;
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    parse_all(op.as_ref(), &fixture.input, status, &content_type, &bytes)
                }));
                match outcome {
                    Ok(n) => runs += n,
                    Err(_) => failures.push(format!(
                        "{} ({what}, HTTP {status}): {:?}",
                        path.display(),
                        String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
                    )),
                }
            }
        }
    }
    eprintln!(
        "hostile: {inputs} inputs, {runs} parses, {} panics",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "parsers panicked:\n{}",
        failures.join("\n")
    );
    assert!(inputs >= 1_000, "{inputs}");
}

#[test]
fn mutated_fixture_files_never_panic_the_loader() {
    let dir = zohocrm_fixtures::workspace_dir();
    let mut files = Vec::new();
    collect(&dir, &mut files);
    files.sort();
    let per_file = cases_per_body().div_ceil(3);
    let mut inputs = 0usize;
    let mut failures = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let original = std::fs::read(path).unwrap();
        let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ (i as u64 + 1));
        for _ in 0..per_file {
            let (bytes, what) = mutate(&mut rng, &original);
            inputs += 1;
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                if let Ok(fixture) = serde_json::from_slice::<Fixture>(&bytes) {
                    for ex in &fixture.exchanges {
                        let _ = ex.response.to_http();
                        let _ = zohocrm_fixtures::body_bytes(&ex.request.body);
                        let probe = http::Request::new(Vec::new());
                        let _ = ex.request.mismatch(&probe);
                    }
                }
            }));
            if outcome.is_err() {
                failures.push(format!("{} ({what})", path.display()));
            }
        }
    }
    eprintln!("hostile loader: {inputs} inputs, {} panics", failures.len());
    assert!(
        failures.is_empty(),
        "the loader panicked:\n{}",
        failures.join("\n")
    );
}

fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}
