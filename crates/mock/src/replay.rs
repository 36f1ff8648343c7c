//! Fixture replay: single-exchange fixtures answer requests that no stateful handler serves,
//! matched on method, path and query (pairs in any order).
//!
//! Several fixtures often share a request: the fixture generator writes a success and an error
//! case for each operation, both with the same sample request. Replay prefers truth: a success
//! answers unless the request matches an error fixture's recorded request exactly (its listed
//! headers and its body too) and no success matches as exactly. An error fixture never answers a
//! request it matches only loosely, so it cannot shadow the stateful answer or Zoho's real error.

use std::path::Path;

use crate::util::{decode, parse_query, Request, Response};

#[derive(Debug)]
struct Entry {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    /// The recorded request, for the exact comparison (headers and body).
    request: zohocrm_fixtures::RecordedRequest,
    response: Response,
}

/// The loaded fixtures.
#[derive(Debug, Default)]
pub(crate) struct Replay {
    entries: Vec<Entry>,
}

fn normal_path(path: &str) -> String {
    let p = decode(path, false);
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        trimmed.to_owned()
    }
}

fn sorted(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs.sort();
    pairs
}

impl Entry {
    fn is_success(&self) -> bool {
        self.response.status < 400
    }

    /// Whether `req` matches the recorded request in full: the listed headers and the body as
    /// well (compared the way the fixtures crate compares them).
    fn exact(&self, req: &Request) -> bool {
        let mut builder = http::Request::builder()
            .method(req.method.as_str())
            .uri(self.request.uri.as_str());
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        match builder.body(req.body.clone()) {
            Ok(actual) => self.request.mismatch(&actual).is_none(),
            Err(_) => false,
        }
    }
}

impl Replay {
    /// Loads every fixture under `dir`; keeps those with exactly one exchange that has a
    /// response (not a transport error).
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let fixtures = zohocrm_fixtures::load_dir(dir)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
        let mut entries = Vec::new();
        for (_, fixture) in fixtures {
            let [exchange] = fixture.exchanges.as_slice() else {
                continue;
            };
            if exchange.response.transport_error.is_some() {
                continue;
            }
            let Ok(uri) = exchange.request.uri.parse::<http::Uri>() else {
                continue;
            };
            let Ok(resp) = exchange.response.to_http() else {
                continue;
            };
            let headers = resp
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            entries.push(Entry {
                method: exchange.request.method.to_ascii_uppercase(),
                path: normal_path(uri.path()),
                query: sorted(uri.query().map(parse_query).unwrap_or_default()),
                request: exchange.request.clone(),
                response: Response {
                    status: resp.status().as_u16(),
                    headers,
                    body: resp.into_body(),
                },
            });
        }
        Ok(Replay { entries })
    }

    /// The recorded response for `req`, if a fixture matches it: an exact success, else an
    /// exact error, else a loose success (see the module doc).
    pub fn find(&self, req: &Request) -> Option<Response> {
        if self.entries.is_empty() {
            return None;
        }
        let path = normal_path(&req.path);
        let query = sorted(req.params().to_vec());
        let mut best: Option<(u8, &Entry)> = None;
        for e in self.entries.iter().filter(|e| {
            e.method.eq_ignore_ascii_case(&req.method) && e.path == path && e.query == query
        }) {
            let rank = match (e.exact(req), e.is_success()) {
                (true, true) => 0,
                (true, false) => 1,
                (false, true) => 2,
                (false, false) => continue,
            };
            if best.is_none_or(|(r, _)| rank < r) {
                best = Some((rank, e));
            }
        }
        best.map(|(_, e)| e.response.clone())
    }
}
