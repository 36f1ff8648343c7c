//! Searching records (`criteria`, `email`, `phone`, `word`), counting them, and handing the
//! store to the COQL engine. Criteria parsing and evaluation live in `query/`.

use serde_json::{json, Map, Value};

use super::list::{converted_filter, is_converted, parse_listing, Accepts};
use super::{Record, Spec};
use crate::org::Org;
use crate::query::{self, Cond};
use crate::util::{api_error, required_param, Request, Response};

/// How a search selects records.
enum Filter {
    Criteria(Cond),
    Email(String),
    Phone(String),
    Word(String),
    All,
}

const SEARCH: Accepts = Accepts {
    fields_required: false,
    tokens: false,
    sorting: false,
};

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

impl Filter {
    /// The one search parameter of the request; `None` when there is none.
    fn of(req: &Request) -> Result<Option<Filter>, Response> {
        let given: Vec<(&str, &str)> = ["criteria", "email", "phone", "word"]
            .into_iter()
            .filter_map(|k| req.param(k).map(|v| (k, v)))
            .collect();
        match given.as_slice() {
            [] => Ok(None),
            [(k, v)] => {
                if v.trim().is_empty() {
                    return Err(required_param(k));
                }
                Ok(Some(match *k {
                    "criteria" => Filter::Criteria(query::parse_criteria(v)?),
                    "email" => Filter::Email(v.trim().to_owned()),
                    "phone" => {
                        let d = digits(v);
                        if d.is_empty() {
                            return Err(crate::util::invalid_param("phone"));
                        }
                        Filter::Phone(d)
                    }
                    _ => Filter::Word(v.trim().to_lowercase()),
                }))
            }
            _ => {
                let due: Vec<Value> = given
                    .iter()
                    .map(|(k, _)| json!({"param_name": k}))
                    .collect();
                Err(api_error(
                    400,
                    "AMBIGUITY_DURING_PROCESSING",
                    "only one of criteria, email, phone and word can be given",
                    json!({"ambiguity_due_to": due}),
                ))
            }
        }
    }

    fn matches(&self, f: &Map<String, Value>) -> bool {
        let text = |k: &str| f.get(k).and_then(Value::as_str);
        match self {
            Filter::All => true,
            Filter::Criteria(c) => c.matches(f),
            Filter::Email(e) => ["Email", "Secondary_Email"]
                .iter()
                .any(|k| text(k).is_some_and(|v| v.trim().eq_ignore_ascii_case(e))),
            Filter::Phone(p) => ["Phone", "Mobile"]
                .iter()
                .any(|k| text(k).is_some_and(|v| digits(v) == *p)),
            Filter::Word(w) => f.iter().any(|(k, v)| {
                !k.starts_with('$')
                    && match v {
                        Value::String(s) => s.to_lowercase().contains(w.as_str()),
                        Value::Array(items) => items.iter().any(|i| {
                            i.as_str()
                                .is_some_and(|s| s.to_lowercase().contains(w.as_str()))
                        }),
                        _ => false,
                    }
            }),
        }
    }
}

impl Org {
    /// The records of `spec` that `filter` selects (converted Leads per `converted`).
    fn selected<'a>(
        &'a self,
        spec: &Spec,
        filter: &Filter,
        converted: Option<bool>,
    ) -> Vec<&'a Record> {
        self.records
            .records(spec.name)
            .filter(|r| spec.name != "Leads" || converted.is_none_or(|c| is_converted(r) == c))
            .filter(|r| filter.matches(&r.fields))
            .collect()
    }

    /// `GET /{module}/search`.
    pub(super) fn search_records(&self, req: &Request, spec: &Spec) -> Response {
        let run = || -> Result<Response, Response> {
            let filter = Filter::of(req)?.ok_or_else(|| required_param("criteria"))?;
            let listing = parse_listing(req, &format!("{}/search", spec.name), SEARCH)?;
            let converted = converted_filter(req)?;
            let rows: Vec<_> = self
                .selected(spec, &filter, converted)
                .into_iter()
                .map(|r| (listing.key_of(&r.fields, &r.id), r))
                .collect();
            let fields = listing.fields.as_deref();
            let resp = listing.respond("data", rows, |r| self.project(r, fields));
            Ok(strip_token_info(resp))
        };
        run().unwrap_or_else(|e| e)
    }

    /// `GET /{module}/actions/count`.
    pub(super) fn count_records(&self, req: &Request, spec: &Spec) -> Response {
        let run = || -> Result<Response, Response> {
            let filter = Filter::of(req)?;
            if filter.is_some() && req.param("cvid").is_some() {
                let mut due = vec![json!({"param_name": "cvid"})];
                due.extend(
                    ["criteria", "email", "phone", "word"]
                        .iter()
                        .filter(|k| req.param(k).is_some())
                        .map(|k| json!({"param_name": k})),
                );
                return Err(api_error(
                    400,
                    "AMBIGUITY_DURING_PROCESSING",
                    "Please use either Cvid or Search Params. Combination of both the params is not allowed",
                    json!({"ambiguity_due_to": due}),
                ));
            }
            let n = self
                .selected(spec, &filter.unwrap_or(Filter::All), Some(false))
                .len();
            Ok(Response::json(200, &json!({"count": n})))
        };
        run().unwrap_or_else(|e| e)
    }
}

/// Search pages are numbered only: their `info` is `per_page`, `count`, `page`, `more_records`.
fn strip_token_info(mut resp: Response) -> Response {
    if resp.status != 200 {
        return resp;
    }
    if let Ok(mut v) = serde_json::from_slice::<Value>(&resp.body) {
        if let Some(info) = v.get_mut("info").and_then(Value::as_object_mut) {
            info.retain(|k, _| {
                matches!(k.as_str(), "per_page" | "count" | "page" | "more_records")
            });
        }
        resp.body = serde_json::to_vec(&v).unwrap_or_default();
    }
    resp
}
