//! Per-operation metadata that the spec does not state and Zoho documents elsewhere
//! (`reference/zoho-behavior.md` §2): idempotency, paging, sub-concurrency ("heavy") and credits.
//! The retry policy, the limiter and the pagers read these from each `OpSpec`.

use crate::model::{Loc, Op};

/// Whether replaying the request after an ambiguous failure is safe: GET, PUT and DELETE are,
/// except a PUT that performs an action (`.../actions/...`: blueprint transitions, sharing,
/// running scoring rules, cancelling a backup, changing a status) — replaying those repeats the
/// action. POST and PATCH never are.
pub fn idempotent(op: &Op) -> bool {
    match op.method.as_str() {
        "GET" | "DELETE" => true,
        "PUT" => !op.path.contains("/actions/"),
        _ => false,
    }
}

/// `Page` when the operation takes `page`, `PageToken` when it also takes `page_token`.
pub fn paging(op: &Op) -> &'static str {
    let has = |name: &str| {
        op.params
            .iter()
            .any(|p| p.loc == Loc::Query && p.name == name)
    };
    match (has("page"), has("page_token")) {
        (true, true) => "Paging::PageToken",
        (true, false) => "Paging::Page",
        _ => "Paging::None",
    }
}

/// Resource-intensive calls: Zoho's sub-concurrency limit (10 for every edition) covers bulk
/// jobs, queries, conversions, mass actions and mail; a composite call takes one unit too.
pub fn heavy(op: &Op) -> bool {
    let p = op.path.as_str();
    p.ends_with("/coql")
        || (p.starts_with("/crm/bulk/") && op.method == "POST")
        || p.contains("/actions/convert")
        || p.contains("/actions/mass_")
        || p.contains("mass_update")
        || p.contains("/actions/change_owner") && !p.contains("{id}")
        || p.contains("send_mail")
        || p.contains("__composite_requests")
}

/// (min, max) credits of one call, from Zoho's published costs; 1 for everything else.
pub fn credits(op: &Op) -> (u16, u16) {
    let p = op.path.as_str();
    let m = op.method.as_str();
    let records_write = matches!(
        (m, p),
        ("POST", "/crm/v8/{module_api_name}")
            | ("PUT", "/crm/v8/{module_api_name}")
            | ("POST", "/crm/v8/{module_api_name}/upsert")
    );
    if records_write {
        (1, 10)
    } else if p.ends_with("/actions/add_tags") {
        (1, 50)
    } else if p.ends_with("/actions/merge") {
        (50, 50)
    } else if p.ends_with("/actions/send_mail")
        && p.contains('{')
        && !p.starts_with("/crm/v8/settings")
    {
        (20, 20)
    } else if p.ends_with("/deleted") && m == "GET" {
        (2, 2)
    } else if p == "/crm/v8/Leads/{lead_id}/actions/convert" {
        (5, 5)
    } else if p.ends_with("/coql") {
        (1, 3)
    } else if p.contains("__composite_requests") {
        (1, 2)
    } else if p == "/crm/bulk/v8/write" && m == "POST" {
        // Documented by a secondary source only (UNCERTAIN).
        (500, 500)
    } else {
        (1, 1)
    }
}
