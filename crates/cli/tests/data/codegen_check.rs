//! The program of `crates/cli/tests/codegen.rs`, compiled in a crate of its own against
//! `zoho.rs` (the output of `zcrm --mock codegen rust --module Leads --module Deals`) and
//! `all_types.rs` (generated from `all_types_fields.json`), then run against a mock server
//! whose base URL is in `ZCRM_MOCK_URL`. A failed check panics: the process fails.
#![deny(warnings)]

#[allow(dead_code)]
mod all_types;
#[allow(dead_code)]
mod zoho;

use std::fmt::Debug;
use std::io::Cursor;

use serde_json::Value;
use zohocrm_core::bulk::file::{BulkWriteFile, CsvZip};
use zohocrm_core::records::{ListRecords, Typed};
use zohocrm_core::schema::ModuleRecord;
use zohocrm_core::time::{Date, Month};
use zohocrm_core::{Decimal, Lookup, Record};
use zohocrm_ureq::Client;

use zoho::{Deal, Lead, LeadSource, LeadStatus, ProductInterest, Stage};

/// Above 2^53: an `f64` cannot hold it, the mock stores it as an integer.
const BIG: &str = "9007199254740993";

fn main() {
    let base = std::env::var("ZCRM_MOCK_URL").expect("ZCRM_MOCK_URL is set");
    let client = Client::builder()
        .hosts(&base, &base, &base)
        .refresh_token("mock-client-id", "mock-client-secret", "mock-refresh-token")
        .build()
        .expect("a client");
    assert_ne!(BIG.parse::<f64>().unwrap() as u64, 9007199254740993);

    let leads: Vec<Lead> = listed_without_loss(&client);
    let deals: Vec<Deal> = listed_without_loss(&client);
    let lead = insert_lead(&client);
    let deal = insert_and_update_deal(&client, &deals);
    bulk_rows(&leads);
    all_types();
    println!(
        "codegen check ok: {} leads and {} deals listed without loss, lead {lead} inserted, \
         deal {deal} inserted and updated",
        leads.len(),
        deals.len()
    );
}

/// One page listed as records and as `T`: the same values, `T` written back is the record
/// minus its read-only fields (numbers digit for digit), and typed paging works.
fn listed_without_loss<T: ModuleRecord + Debug + PartialEq>(client: &Client) -> Vec<T> {
    let list = ListRecords::new(T::MODULE, T::FIELDS.iter().copied()).per_page(200);
    let raw = client.send(&list).expect("a page of records").records;
    let typed = client
        .send(&Typed::<_, T>::new(list))
        .expect("a typed page")
        .records;
    assert!(!raw.is_empty(), "{} has records", T::MODULE);
    assert_eq!(raw.len(), typed.len());
    for (record, value) in raw.iter().zip(&typed) {
        assert!(
            value.undecoded().is_empty(),
            "{:?} of {} did not fit their types",
            value.undecoded(),
            T::MODULE
        );
        assert_eq!(&record.deserialize::<T>().expect("deserialize"), value);
        let written = Record::from_serialize(value).expect("serialize");
        for (key, sent) in record.iter() {
            if T::READ_ONLY.contains(&&*key) {
                assert!(!written.contains(&key), "read-only `{key}` was written");
                continue;
            }
            let back = written
                .raw(&key)
                .unwrap_or_else(|| panic!("`{key}` was lost"));
            let (a, b): (Value, Value) = (
                serde_json::from_str(sent).unwrap(),
                serde_json::from_str(back).unwrap(),
            );
            assert_eq!(a, b, "`{key}` changed");
            if a.is_number() {
                assert_eq!(sent, back, "`{key}`: digits changed");
            }
        }
        assert!(
            written.keys().all(|k| record.contains(&k)),
            "a key was added"
        );
    }
    let paged = client
        .records(Typed::<_, T>::new(
            ListRecords::new(T::MODULE, T::FIELDS.iter().copied()).per_page(100),
        ))
        .take(150)
        .collect::<Result<Vec<T>, _>>()
        .expect("typed records across pages");
    assert_eq!(paged.len(), 150);
    assert_eq!(paged[..100], typed[..100]);
    typed
}

fn insert_lead(client: &Client) -> String {
    let lead = Lead {
        last_name: Some("Codegen".into()),
        email: Some(format!("codegen-{}@example.test", std::process::id())),
        lead_status: Some(LeadStatus::Contacted),
        lead_source: Some(LeadSource::Unknown("Podcast".into())),
        product_interest: Some(vec![ProductInterest::Crm, ProductInterest::Books]),
        annual_revenue: Some(BIG.parse().unwrap()),
        no_of_employees: Some(42),
        email_opt_out: Some(true),
        full_name: Some("read-only, never sent".into()),
        ..Lead::default()
    };
    let sent = Record::from_serialize(&lead).unwrap();
    assert!(!sent.contains("Full_Name"));
    assert_eq!(sent.raw("Annual_Revenue"), Some(BIG));
    let outcome = client.insert_records(Lead::MODULE, [sent]).expect("insert");
    let id = outcome
        .successes()
        .next()
        .and_then(|s| s.id())
        .expect("the new lead's id")
        .to_owned();
    let back: Lead = client
        .get_record(Lead::MODULE, &id)
        .expect("get")
        .expect("the lead")
        .deserialize()
        .expect("a lead");
    assert!(back.undecoded().is_empty());
    assert_eq!(back.annual_revenue.as_ref().map(Decimal::as_str), Some(BIG));
    assert_eq!(back.last_name, lead.last_name);
    assert_eq!(back.email, lead.email);
    assert_eq!(back.lead_status, lead.lead_status);
    assert_eq!(back.lead_source, lead.lead_source);
    assert_eq!(back.product_interest, lead.product_interest);
    assert_eq!(back.no_of_employees, Some(42));
    assert_eq!(back.email_opt_out, Some(true));
    assert!(back.created_time.is_some());
    id
}

fn insert_and_update_deal(client: &Client, deals: &[Deal]) -> String {
    let account = deals
        .iter()
        .find_map(|d| d.account_name.clone())
        .expect("a deal with an account");
    let deal = Deal {
        deal_name: Some(format!("Codegen deal {}", std::process::id())),
        stage: Some(Stage::Qualification),
        amount: Some("1234567.89".parse().unwrap()),
        closing_date: Some(Date::from_calendar_date(2026, Month::March, 31).unwrap()),
        account_name: Some(Lookup::id(account.id.clone())),
        ..Deal::default()
    };
    let outcome = client
        .insert_records(Deal::MODULE, [Record::from_serialize(&deal).unwrap()])
        .expect("insert");
    let id = outcome
        .successes()
        .next()
        .and_then(|s| s.id())
        .expect("the new deal's id")
        .to_owned();
    let get = |id: &str| -> Deal {
        client
            .get_record(Deal::MODULE, id)
            .expect("get")
            .expect("the deal")
            .deserialize()
            .expect("a deal")
    };
    let back = get(&id);
    assert_eq!(
        back.amount.as_ref().map(Decimal::as_str),
        Some("1234567.89")
    );
    assert_eq!(back.stage, Some(Stage::Qualification));
    assert_eq!(back.closing_date, deal.closing_date);
    assert_eq!(back.account_name.as_ref().map(|a| &a.id), Some(&account.id));
    assert_eq!(
        back.account_name.as_ref().and_then(|a| a.name.as_ref()),
        account.name.as_ref()
    );

    // Read, change two fields, write the whole struct back.
    let mut changed = back.clone();
    changed.stage = Some(Stage::ClosedWon);
    changed.amount = Some(BIG.parse().unwrap());
    let outcome = client
        .update_records(Deal::MODULE, [Record::from_serialize(&changed).unwrap()])
        .expect("update");
    assert!(outcome.all_succeeded(), "{outcome:?}");
    let after = get(&id);
    assert_eq!(after.stage, Some(Stage::ClosedWon));
    assert_eq!(after.amount.as_ref().map(Decimal::as_str), Some(BIG));
    // Nothing else changed but what Zoho sets on an update.
    let mut expected = changed;
    expected.modified_time = after.modified_time;
    expected.modified_by = after.modified_by.clone();
    assert_eq!(after, expected);
    id
}

/// Generated structs through a bulk write file and back (CSV cells are text).
fn bulk_rows(leads: &[Lead]) {
    let columns = [
        "Last_Name",
        "Email",
        "Annual_Revenue",
        "No_of_Employees",
        "Product_Interest",
        "Email_Opt_Out",
        "Lead_Status",
        "Owner",
    ];
    let sample = &leads[..leads.len().min(50)];
    let mut file = BulkWriteFile::new(Cursor::new(Vec::new()), columns).unwrap();
    for lead in sample {
        file.push(&Record::from_serialize(lead).unwrap()).unwrap();
    }
    let zip = file.finish().unwrap().into_inner();
    let mut read = CsvZip::open(Cursor::new(zip)).unwrap();
    let rows: Vec<Lead> = read
        .records()
        .unwrap()
        .map(|r| r.unwrap().deserialize().unwrap())
        .collect();
    assert_eq!(rows.len(), sample.len());
    for (row, lead) in rows.iter().zip(sample) {
        assert!(row.undecoded().is_empty(), "{:?}", row.undecoded());
        assert_eq!(row.last_name, lead.last_name);
        assert_eq!(row.email, lead.email);
        assert_eq!(row.annual_revenue, lead.annual_revenue);
        assert_eq!(row.no_of_employees, lead.no_of_employees);
        // An empty list is an empty cell, read back as no value.
        let interests = lead.product_interest.clone().filter(|v| !v.is_empty());
        assert_eq!(row.product_interest, interests);
        assert_eq!(row.email_opt_out, lead.email_opt_out);
        assert_eq!(row.lead_status, lead.lead_status);
        assert_eq!(
            row.owner.as_ref().map(|o| &o.id),
            lead.owner.as_ref().map(|o| &o.id)
        );
    }
}

/// A record with a field of every type, read and written back.
fn all_types() {
    use all_types::{LinesSubStatus, Thing, ThingStatus};
    use zohocrm_core::schema::support::Picklist;

    let text = include_str!("../all_types_record.json");
    let thing: Thing = serde_json::from_str(text).unwrap();
    assert!(thing.undecoded().is_empty(), "{:?}", thing.undecoded());
    assert_eq!(thing.status, Some(ThingStatus::OpenValue));
    let interests = thing.interests.as_ref().unwrap();
    assert_eq!(interests[1].as_str(), "Cooking");
    assert_eq!(thing.big, Some(9007199254740993));
    assert_eq!(
        thing.price.as_ref().unwrap().as_str(),
        "12345678901234567.891"
    );
    assert_eq!(
        thing.exact.as_ref().unwrap().as_str(),
        "-0.000000000000000000001"
    );
    assert_eq!(thing.share.as_ref().unwrap().as_str(), "12.50");
    assert_eq!(thing.seen.unwrap().offset().whole_minutes(), -210);
    assert_eq!(thing.owner.as_ref().unwrap().extra["zuid"], "7");
    let lines = thing.lines.as_ref().unwrap();
    assert_eq!(lines[0].quantity, Some(3));
    assert_eq!(lines[0].unit_price.as_ref().unwrap().as_str(), "1999.990");
    assert_eq!(lines[0].status, Some(LinesSubStatus::Shipped));
    assert_eq!(
        lines[1].status,
        Some(LinesSubStatus::Unknown("Returned".into()))
    );
    assert!(lines[0].extra.contains("Parent_Id"));
    assert_eq!(thing.resume.as_ref().unwrap()[0].file_id(), Some("enc61"));
    assert_eq!(
        thing.margin.as_ref().unwrap().as_str(),
        "1234567890123456.789"
    );
    assert_eq!(thing.extra_.as_deref(), Some("a field called extra"));
    assert!(thing.extra.contains("Added_Later") && thing.extra.contains("$approval_state"));

    // Written back: everything but the read-only fields, numbers digit for digit.
    let out = serde_json::to_string(&thing).unwrap();
    let mut expected: Value = serde_json::from_str(text).unwrap();
    for key in Thing::READ_ONLY {
        expected.as_object_mut().unwrap().remove(*key);
    }
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), expected);
    for number in [
        "12345678901234567.891",
        "-0.000000000000000000001",
        "12.50",
        "1999.990",
        "9007199254740993",
        "[1.10, \"x\"]",
    ] {
        assert!(out.contains(number), "{number} in {out}");
    }
    assert!(!out.contains("Margin") && !out.contains("T-0001"));

    // Lenient in: the forms Zoho drifts between; a value that fits none stays in `extra`.
    let drifted: Thing = serde_json::from_str(
        r#"{"Count": "12", "Active": "TRUE", "Interests": "CRM; Mail", "Owner": "123",
            "Price": "1.50", "Born": "not a date", "Ratio": null}"#,
    )
    .unwrap();
    assert_eq!(drifted.count, Some(12));
    assert_eq!(drifted.active, Some(true));
    assert_eq!(drifted.interests.as_ref().map(Vec::len), Some(2));
    assert_eq!(drifted.owner, Some(Lookup::id("123")));
    assert_eq!(drifted.price.as_ref().unwrap().as_str(), "1.50");
    assert_eq!(drifted.born, None);
    assert_eq!(drifted.undecoded(), ["Born"]);
    let out: Value = serde_json::to_value(&drifted).unwrap();
    assert_eq!(out["Born"], "not a date");
    assert_eq!(out["Ratio"], Value::Null);
}
