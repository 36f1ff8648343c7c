//! Fixture replay: single-exchange fixtures answer requests that no stateful handler serves,
//! matched on method, path and query (pairs in any order).

use std::path::Path;

use crate::util::{decode, parse_query, Request, Response};

#[derive(Debug)]
struct Entry {
    method: String,
    path: String,
    query: Vec<(String, String)>,
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
                response: Response {
                    status: resp.status().as_u16(),
                    headers,
                    body: resp.into_body(),
                },
            });
        }
        Ok(Replay { entries })
    }

    /// The recorded response for `req`, if a fixture matches it.
    pub fn find(&self, req: &Request) -> Option<Response> {
        if self.entries.is_empty() {
            return None;
        }
        let path = normal_path(&req.path);
        let query = sorted(req.params().to_vec());
        self.entries
            .iter()
            .find(|e| {
                e.method.eq_ignore_ascii_case(&req.method) && e.path == path && e.query == query
            })
            .map(|e| e.response.clone())
    }
}
