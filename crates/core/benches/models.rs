//! Typed decode of a generated model: a realistic page of 200 users (`GET /users`, every field
//! of the spec's user object, nested role, profile, owners, theme and shifts, nulls, an unknown
//! key) through the generated `GetUsers` endpoint, against `serde_json::from_slice` into a
//! hand-written serde struct of the same shape (every field `Option`, no unknown-key map) and
//! into a `serde_json::Value` tree. `cargo xtask bench` turns these into ratios.

#![allow(missing_docs)] // criterion_group! generates undocumented functions
#![recursion_limit = "256"]
#![allow(non_snake_case)] // the plain struct mirrors Zoho's `__s` keys

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde::Deserialize;
use serde_json::{json, Value};
use zohocrm_core::generated::users::GetUsers;
use zohocrm_core::Endpoint;

/// The answer: 200 users with every field of the spec's `users` schema.
fn users_page(n: usize) -> Vec<u8> {
    let users: Vec<Value> = (0..n)
        .map(|i| {
            let id = format!("41508680000{:08}", 1000 + i);
            json!({
                "$current_shift": if i % 3 == 0 { json!({"id": "4150868000000300001", "name": "Day"}) } else { Value::Null },
                "$next_shift": null,
                "$shift_effective_from": null,
                "Currency": "USD",
                "Isonline": i % 2 == 0,
                "Modified_By": {"first_name": "Pat", "id": "4150868000000225001", "last_name": "Boyle", "name": "Pat Boyle"},
                "Modified_Time": "2024-03-05T16:40:59+05:30",
                "Reporting_To": if i > 0 { json!({"email": "lead@example.test", "id": "4150868000000225001", "name": "Pat Boyle"}) } else { Value::Null },
                "alias": null,
                "category": "regular_user",
                "city": format!("City {i}"),
                "confirm": true,
                "country": "US",
                "country_locale": "en_US",
                "created_by": {"email": "admin@example.test", "id": "4150868000000225001", "name": "Pat Boyle"},
                "created_time": "2023-02-24T23:35:57+05:30",
                "customize_info": {"bc_view": null, "notes_desc": null, "show_detail_view": true, "show_home": false, "show_right_panel": null, "unpin_recent_item": null},
                "date_format": "MM-dd-yyyy",
                "decimal_separator": "Period",
                "default_tab_group": "0",
                "dob": null,
                "email": format!("user{i}@example.test"),
                "fax": null,
                "first_name": format!("First{i}"),
                "full_name": format!("First{i} Last{i}"),
                "id": id,
                "language": "en_US",
                "last_name": format!("Last{i}"),
                "locale": "en_US",
                "microsoft": false,
                "mobile": null,
                "name_format__s": "Salutation,First Name,Last Name",
                "number_separator": "Comma",
                "offset": 19_800_000,
                "personal_account": false,
                "phone": "+1 555 0100",
                "profile": {"id": "4150868000000026011", "name": "Administrator"},
                "role": {"id": "4150868000000026005", "name": "CEO"},
                "sandboxDeveloper": false,
                "signature": null,
                "sort_order_preference": "First Name,Last Name",
                "sort_order_preference__s": "First Name,Last Name",
                "state": "CA",
                "status": "active",
                "status_reason__s": null,
                "street": format!("{i} Main Street"),
                "theme": {"background": "#F3F0EB", "new_background": null, "normal_tab": {"background": "#222222", "font_color": "#FFFFFF"}, "screen": "fixed", "selected_tab": {"background": "#222222", "font_color": "#FFFFFF"}, "type": "default"},
                "time_format": "hh:mm a",
                "time_zone": "Asia/Kolkata",
                "website": null,
                "zip": "94105",
                "zuid": format!("{}", 700_000_000 + i),
                "type__s": "main_user"
            })
        })
        .collect();
    serde_json::to_vec(&json!({
        "users": users,
        "info": {"per_page": 200, "count": n, "page": 1, "more_records": false}
    }))
    .expect("JSON")
}

/// The same shape, hand-written: what a careful user would write with serde derive.
#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainUsersPage {
    users: Option<Vec<PlainUser>>,
    info: Option<PlainInfo>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainInfo {
    per_page: Option<i64>,
    count: Option<i64>,
    page: Option<i64>,
    more_records: Option<bool>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainRef {
    id: Option<String>,
    name: Option<String>,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainTab {
    background: Option<String>,
    font_color: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainTheme {
    background: Option<String>,
    new_background: Option<String>,
    normal_tab: Option<PlainTab>,
    screen: Option<String>,
    selected_tab: Option<PlainTab>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainCustomize {
    bc_view: Option<Value>,
    notes_desc: Option<Value>,
    show_detail_view: Option<bool>,
    show_home: Option<bool>,
    show_right_panel: Option<Value>,
    unpin_recent_item: Option<Value>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainUser {
    #[serde(rename = "$current_shift")]
    current_shift: Option<PlainRef>,
    #[serde(rename = "$next_shift")]
    next_shift: Option<PlainRef>,
    #[serde(rename = "$shift_effective_from")]
    shift_effective_from: Option<Value>,
    #[serde(rename = "Currency")]
    currency: Option<String>,
    #[serde(rename = "Isonline")]
    isonline: Option<bool>,
    #[serde(rename = "Modified_By")]
    modified_by: Option<PlainRef>,
    #[serde(rename = "Modified_Time")]
    modified_time: Option<String>,
    #[serde(rename = "Reporting_To")]
    reporting_to: Option<PlainRef>,
    alias: Option<String>,
    category: Option<String>,
    city: Option<String>,
    confirm: Option<bool>,
    country: Option<String>,
    country_locale: Option<String>,
    created_by: Option<PlainRef>,
    created_time: Option<String>,
    customize_info: Option<PlainCustomize>,
    date_format: Option<String>,
    decimal_separator: Option<String>,
    default_tab_group: Option<String>,
    dob: Option<String>,
    email: Option<String>,
    fax: Option<String>,
    first_name: Option<String>,
    full_name: Option<String>,
    id: Option<String>,
    language: Option<String>,
    last_name: Option<String>,
    locale: Option<String>,
    microsoft: Option<bool>,
    mobile: Option<String>,
    name_format__s: Option<String>,
    number_separator: Option<String>,
    offset: Option<i64>,
    personal_account: Option<bool>,
    phone: Option<String>,
    profile: Option<PlainRef>,
    role: Option<PlainRef>,
    #[serde(rename = "sandboxDeveloper")]
    sandbox_developer: Option<bool>,
    signature: Option<String>,
    sort_order_preference: Option<String>,
    sort_order_preference__s: Option<String>,
    state: Option<String>,
    status: Option<String>,
    status_reason__s: Option<String>,
    street: Option<String>,
    theme: Option<PlainTheme>,
    time_format: Option<String>,
    time_zone: Option<Value>,
    website: Option<String>,
    zip: Option<String>,
    zuid: Option<String>,
}

fn response(body: &[u8]) -> http::Response<&[u8]> {
    http::Response::builder()
        .status(200)
        .header("content-type", "application/json;charset=UTF-8")
        .body(body)
        .expect("a response")
}

fn users(c: &mut Criterion) {
    let body = users_page(200);
    // The page decodes fully typed: every user, nothing left in `extra` but the unknown key.
    let page = GetUsers::new().parse(response(&body)).expect("typed page");
    let list = page.users.as_ref().expect("users");
    assert_eq!(list.len(), 200);
    assert!(list.iter().all(|u| u.extra.keys().eq(["type__s"])));
    let op = GetUsers::new();
    let mut g = c.benchmark_group("users200");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("typed_sdk", |b| {
        b.iter(|| op.parse(response(black_box(&body))).unwrap())
    });
    g.bench_function("struct_plain", |b| {
        b.iter(|| serde_json::from_slice::<PlainUsersPage>(black_box(&body)).unwrap())
    });
    g.bench_function("value_tree", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(&body)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, users);
criterion_main!(benches);
