//! A realistic Leads page for the benchmarks: 45 fields per record with lookups, date-times,
//! a subform, multi-selects, nulls, `$` system keys and a long description; 200 records make
//! about 420 KB (the page measured against the official SDKs was 316 KB with shorter values).

#![allow(dead_code)] // each bench binary uses part of this module

use serde::Deserialize;
use serde_json::{json, Value};
use zohocrm_core::records::{Cond, Coql, CoqlQuery, InsertRecords, ListRecords};
use zohocrm_core::Record;

fn user(i: usize) -> Value {
    let names = ["Patricia Boyle", "Jane Roe", "Kim Lee", "Sam Doe"];
    json!({"name": names[i % 4], "id": format!("41508680000002250{:02}", i % 4), "email": format!("user{}@example.test", i % 4)})
}

fn pick(options: &[Option<&str>], i: usize) -> Value {
    options[i % options.len()].map_or(Value::Null, |s| json!(s))
}

/// One Lead with 45 top-level fields.
pub fn lead(i: usize) -> Value {
    let time = |d: usize| {
        format!(
            "2024-{:02}-{:02}T{:02}:{:02}:00+05:30",
            1 + d % 12,
            1 + d % 28,
            d % 24,
            d % 60
        )
    };
    json!({
        "id": format!("4150868000{:09}", 1_000_000 + i),
        "Owner": user(i),
        "Created_By": user(i + 1),
        "Modified_By": user(i + 2),
        "Created_Time": time(i),
        "Modified_Time": time(i + 7),
        "Last_Activity_Time": if i % 3 == 0 { Value::Null } else { json!(time(i + 11)) },
        "Salutation": pick(&[Some("Mr."), Some("Ms."), Some("Dr."), None], i),
        "First_Name": format!("First{i}"),
        "Last_Name": format!("Last name number {i}"),
        "Full_Name": format!("First{i} Last name number {i}"),
        "Designation": "Head of Procurement and Vendor Relations",
        "Email": format!("lead{i}@example.test"),
        "Secondary_Email": if i % 2 == 0 { Value::Null } else { json!(format!("alt{i}@example.test")) },
        "Phone": format!("+1 555 01{:02} {:04}", i % 100, i),
        "Mobile": format!("+1 555 02{:02} {:04}", i % 100, i),
        "Fax": null,
        "Website": format!("https://www.company{i}.example.test"),
        "Company": format!("Company {i} Holdings International"),
        "Lead_Source": pick(&[Some("Web Download"), Some("Cold Call"), Some("Partner"), Some("Trade Show")], i),
        "Lead_Status": pick(&[Some("Not Contacted"), Some("Contacted"), Some("Qualified"), Some("Lost Lead")], i),
        "Industry": pick(&[Some("ASP"), Some("Data/Telecom OEM"), Some("Government/Military"), Some("Large Enterprise")], i),
        "Rating": pick(&[Some("Acquired"), Some("Active"), Some("Market Failed"), None], i),
        "No_of_Employees": 10 * i + 7,
        "Annual_Revenue": if i % 5 == 0 { Value::Null } else { json!(125_000.5 + i as f64) },
        "Street": format!("{} Long Industrial Park Road, Building {}", 100 + i, i % 9),
        "City": pick(&[Some("Chennai"), Some("Austin"), Some("Amsterdam"), Some("Tokyo")], i),
        "State": pick(&[Some("TN"), Some("TX"), Some("NH"), Some("Tokyo")], i),
        "Zip_Code": format!("{:05}", 10_000 + i),
        "Country": pick(&[Some("India"), Some("United States"), Some("Netherlands"), Some("Japan")], i),
        "Description": format!("Lead {i}: met at the regional conference; interested in the enterprise plan with \
            priority support, on-premise connectors and a pilot for three teams. Follow up after the budget review \
            in the next quarter; procurement needs two references and a security questionnaire \"SIG Lite\" filled in. \u{00e9}\u{00e8}"),
        "Skype_ID": format!("lead.{i}.skype"),
        "Twitter": null,
        "Email_Opt_Out": i % 7 == 0,
        "Layout": {"name": "Standard", "id": "4150868000000091055"},
        "Tag": [{"name": "vip", "id": "4150868000006000001"}, {"name": "q3", "id": "4150868000006000002"}],
        "Languages": ["English", "German", "Tamil"],
        "Products": [
            {"Product": {"name": "Widget", "id": "4150868000000300001"}, "Quantity": 2, "Unit_Price": 12.5, "id": format!("4150868000{:09}", 4_000_000 + 2 * i)},
            {"Product": {"name": "Gadget", "id": "4150868000000300002"}, "Quantity": 1, "Unit_Price": 99.0, "id": format!("4150868000{:09}", 4_000_001 + 2 * i)}
        ],
        "$approval": {"delegate": false, "approve": false, "reject": false, "resubmit": false},
        "$currency_symbol": "$",
        "$state": "save",
        "$process_flow": false,
        "$editable": true,
        "Record_Image": null,
        "Converted": false,
    })
}

/// A page of `n` Leads with Zoho's `info` object, as bytes.
pub fn leads_page(n: usize) -> Vec<u8> {
    let data: Vec<Value> = (0..n).map(lead).collect();
    serde_json::to_vec(&json!({
        "data": data,
        "info": {"call": false, "per_page": n, "count": n, "page": 1, "sort_by": "id", "sort_order": "desc",
                 "more_records": true, "next_page_token": "c8582xx9e7c7", "previous_page_token": null,
                 "page_token_expiry": "2024-03-03T15:08:14+05:30", "email": false}
    }))
    .expect("a JSON page")
}

/// A lookup as users model it.
#[derive(Debug, Deserialize)]
pub struct UserRef {
    pub name: Option<String>,
    pub id: String,
    pub email: Option<String>,
}

/// The struct a user would write for the fields they read.
#[derive(Debug, Deserialize)]
pub struct Lead {
    pub id: String,
    #[serde(rename = "Owner")]
    pub owner: UserRef,
    #[serde(rename = "Created_Time")]
    pub created_time: String,
    #[serde(rename = "Last_Name")]
    pub last_name: String,
    #[serde(rename = "First_Name")]
    pub first_name: Option<String>,
    #[serde(rename = "Email")]
    pub email: Option<String>,
    #[serde(rename = "Company")]
    pub company: Option<String>,
    #[serde(rename = "Lead_Status")]
    pub lead_status: Option<String>,
    #[serde(rename = "Annual_Revenue")]
    pub annual_revenue: Option<f64>,
    #[serde(rename = "Languages", default)]
    pub languages: Vec<String>,
    #[serde(rename = "Email_Opt_Out")]
    pub email_opt_out: bool,
}

/// The page shape for a plain `serde_json::from_slice`.
#[derive(Debug, Deserialize)]
pub struct PlainPage<T> {
    pub data: Vec<T>,
    pub info: Value,
}

/// A 207 answer of 100 items, every tenth an error.
pub fn mixed_207(n: usize) -> Vec<u8> {
    let items: Vec<Value> = (0..n)
        .map(|i| {
            if i % 10 == 3 {
                json!({"code": "INVALID_DATA", "details": {"api_name": "Email", "json_path": format!("$.data[{i}].Email"), "expected_data_type": "email"}, "message": "invalid data", "status": "error"})
            } else {
                json!({"code": "SUCCESS", "details": {"Modified_Time": "2024-03-02T10:00:00+05:30", "Modified_By": {"name": "Patricia Boyle", "id": "4150868000000225013"}, "Created_Time": "2024-03-02T10:00:00+05:30", "id": format!("4150868000{:09}", i), "Created_By": {"name": "Patricia Boyle", "id": "4150868000000225013"}}, "message": "record added", "status": "success"})
            }
        })
        .collect();
    serde_json::to_vec(&json!({ "data": items })).expect("JSON")
}

/// Zoho's whole-request error envelope.
pub const ERROR_ENVELOPE: &[u8] =
    br#"{"code":"INVALID_MODULE","details":{"resource_path_index":0},"message":"the module name given seems to be invalid","status":"error"}"#;

/// The three typed requests measured, shared by the `requests` and `allocs` benches.
pub fn sample_requests() -> (ListRecords, InsertRecords, CoqlQuery) {
    let list = ListRecords::new(
        "Leads",
        ["Last_Name", "Email", "Company", "Owner", "Created_Time"],
    )
    .per_page(200)
    .page_token("c8582xx9e7c7");
    let records: Vec<Record> = (0..100)
        .map(|i| {
            Record::new()
                .with("Last_Name", format!("Lead {i}"))
                .with("Email", format!("lead{i}@example.test"))
                .with("Company", "Acme & Sons")
        })
        .collect();
    let insert = InsertRecords::new("Leads", records);
    let coql = CoqlQuery::new(
        Coql::select(["Last_Name", "Email"])
            .from("Leads")
            .filter(Cond::eq("Last_Name", "O'Brien").and(Cond::gt("Annual_Revenue", 1000)))
            .limit(2000),
    );
    (list, insert, coql)
}
