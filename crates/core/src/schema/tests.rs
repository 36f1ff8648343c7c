//! Tests of field metadata, code generation and the field cache. `testdata/mock_*_fields.json`
//! are the mock server's answers to `GET /crm/v8/settings/fields?module=Leads` and `Deals`
//! (captured with `zcrm --mock api GET 'settings/fields?module=Leads' -o json`, compacted).

use std::time::{Duration, SystemTime};

use serde_json::{json, Value};

use super::*;
use crate::Record;

const LEADS: &str = include_str!("testdata/mock_leads_fields.json");
const DEALS: &str = include_str!("testdata/mock_deals_fields.json");

fn leads() -> ModuleFields {
    ModuleFields::from_json("Leads", LEADS).unwrap()
}

fn deals() -> ModuleFields {
    ModuleFields::from_json("Deals", DEALS).unwrap()
}

/// Metadata exercising every type the generator maps.
fn everything() -> ModuleFields {
    let fields = json!({"fields": [
        {"api_name": "Name", "data_type": "text", "length": 120, "system_mandatory": true, "display_label": "Name"},
        {"api_name": "Notes", "data_type": "textarea", "length": 32000},
        {"api_name": "Email", "data_type": "email"},
        {"api_name": "Phone", "data_type": "phone"},
        {"api_name": "Site", "data_type": "website"},
        {"api_name": "Status", "data_type": "picklist", "pick_list_values": [
            {"actual_value": "-None-", "display_value": "-None-"},
            {"actual_value": "Open", "display_value": "Open"},
            {"actual_value": "open", "display_value": "Open (lower)"},
            {"actual_value": "Unknown", "display_value": "Unknown"},
            {"actual_value": "1-10", "display_value": "1-10"},
            {"actual_value": "Open", "display_value": "repeated"},
            {"display_value": "Only display"},
            {"actual_value": "日本"}]},
        {"api_name": "Tags_Multi", "data_type": "multiselectpicklist", "pick_list_values": [
            {"actual_value": "CRM", "display_value": "CRM"}]},
        {"api_name": "Born", "data_type": "date"},
        {"api_name": "Seen", "data_type": "datetime"},
        {"api_name": "Count", "data_type": "integer", "length": 9},
        {"api_name": "Big", "data_type": "bigint"},
        {"api_name": "Ratio", "data_type": "double"},
        {"api_name": "Price", "data_type": "currency", "length": 16, "decimal_place": 2},
        {"api_name": "Exact", "data_type": "decimal"},
        {"api_name": "Share", "data_type": "percent"},
        {"api_name": "Active", "data_type": "boolean"},
        {"api_name": "Account", "data_type": "lookup", "lookup": {"module": {"api_name": "Accounts", "id": "1"}}},
        {"api_name": "Owner", "data_type": "ownerlookup"},
        {"api_name": "Reviewer", "data_type": "userlookup"},
        {"api_name": "What_Id", "data_type": "multi_module_lookup"},
        {"api_name": "Lines", "data_type": "subform", "subform": {"module": "Lines_Sub", "id": "2"}},
        {"api_name": "Other_Rows", "data_type": "subform", "subform": {"module": "Not_Given", "id": "3"}},
        {"api_name": "Products", "data_type": "multiselectlookup"},
        {"api_name": "Watchers", "data_type": "multiuserlookup"},
        {"api_name": "Resume", "data_type": "fileupload"},
        {"api_name": "Photo", "data_type": "imageupload"},
        {"api_name": "Margin", "data_type": "formula", "formula": {"return_type": "currency", "expression": "x"}},
        {"api_name": "Total", "data_type": "rollup_summary", "rollup_summary": {"return_type": "double"}},
        {"api_name": "Opaque_Formula", "data_type": "formula"},
        {"api_name": "Number", "data_type": "autonumber"},
        {"api_name": "Tag", "data_type": "text", "json_type": "jsonarray"},
        {"api_name": "Reminder", "data_type": "event_reminder"},
        {"api_name": "type", "data_type": "text"},
        {"api_name": "Type", "data_type": "text"},
        {"api_name": "Locked", "data_type": "boolean", "operation_type": {"api_create": false, "api_update": false}},
        {"api_name": "id", "data_type": "text"},
        {"api_name": "extra", "data_type": "text"}
    ]});
    ModuleFields::from_value("Things", &fields).unwrap()
}

fn lines() -> ModuleFields {
    ModuleFields::from_value(
        "Lines_Sub",
        &json!([
            {"api_name": "Product", "data_type": "lookup"},
            {"api_name": "Quantity", "data_type": "integer"},
            {"api_name": "Status", "data_type": "picklist", "pick_list_values": [
                {"actual_value": "Open", "display_value": "Open"}]}
        ]),
    )
    .unwrap()
}

#[test]
fn mock_metadata_parses_into_typed_fields() {
    let leads = leads();
    assert_eq!(leads.fields.len(), 29);
    let f = |name: &str| leads.field(name).unwrap();
    assert_eq!(f("Annual_Revenue").value_kind(), ValueKind::Decimal);
    assert_eq!(f("Annual_Revenue").decimal_place, Some(2));
    assert_eq!(f("No_of_Employees").value_kind(), ValueKind::Integer);
    assert_eq!(f("Email_Opt_Out").value_kind(), ValueKind::Boolean);
    assert_eq!(f("Product_Interest").value_kind(), ValueKind::Choices);
    assert_eq!(f("Lead_Status").value_kind(), ValueKind::Choice);
    // `-None-` is Zoho's empty placeholder, not a value.
    assert_eq!(f("Lead_Status").picklist.len(), 8);
    assert_eq!(f("Owner").value_kind(), ValueKind::Lookup);
    assert_eq!(f("Created_Time").value_kind(), ValueKind::DateTime);
    assert!(f("Created_Time").read_only && f("Full_Name").read_only);
    assert!(!f("Email").read_only);
    assert!(f("Last_Name").mandatory);
    assert_eq!(f("Last_Name").length, Some(80));
    assert_eq!(f("Last_Name").label.as_deref(), Some("Last Name"));
    // Tag: data_type text, json_type jsonarray.
    assert_eq!(f("Tag").value_kind(), ValueKind::Json);
    let deals = deals();
    let account = deals.field("Account_Name").unwrap();
    assert_eq!(account.value_kind(), ValueKind::Lookup);
    assert_eq!(account.lookup_module.as_deref(), Some("Accounts"));
    assert_eq!(
        deals.field("Closing_Date").unwrap().value_kind(),
        ValueKind::Date
    );
    assert!(deals.subform_modules().is_empty());
}

#[test]
fn metadata_is_read_leniently() {
    let m = ModuleFields::from_value(
        "X",
        &json!({"fields": [
            "not an object", {"data_type": "text"}, {"api_name": ""},
            {"api_name": "A", "data_type": "TEXT", "length": "12", "read_only": "true"},
            {"api_name": "A", "data_type": "integer"},
            {"api_name": "B", "data_type": "brand_new_type", "system_mandatory": null},
            {"api_name": "C", "data_type": "formula", "formula": {"return_type": "date"}},
            {"api_name": "D", "data_type": "rollup_summary", "rollup_summary": {"return_type": "currency"}},
            {"api_name": "E", "data_type": "subform", "subform": {"module": {"api_name": "E_Rows"}}},
            {"api_name": "F", "data_type": "picklist", "pick_list_values": [null, 3, {"x": 1}]}
        ]}),
    )
    .unwrap();
    let names: Vec<&str> = m.fields.iter().map(|f| f.api_name.as_str()).collect();
    assert_eq!(names, ["A", "B", "C", "D", "E", "F"]);
    let a = m.field("A").unwrap();
    assert_eq!(
        (a.value_kind(), a.length, a.read_only),
        (ValueKind::Text, Some(12), true)
    );
    let b = m.field("B").unwrap();
    assert_eq!(b.data_type, DataType::Other("brand_new_type".into()));
    assert_eq!(b.value_kind(), ValueKind::Json);
    assert!(!b.mandatory);
    assert_eq!(m.field("C").unwrap().value_kind(), ValueKind::Date);
    assert!(m.field("C").unwrap().read_only);
    assert_eq!(m.field("D").unwrap().value_kind(), ValueKind::Decimal);
    assert_eq!(
        m.field("E").unwrap().value_kind(),
        ValueKind::Rows(Some("E_Rows".into()))
    );
    assert_eq!(m.subform_modules(), ["E_Rows"]);
    assert!(m.field("F").unwrap().picklist.is_empty());

    for bad in ["", "[", "{\"fields\": 3}", "\"x\"", "{}"] {
        let e = ModuleFields::from_json("Leads", bad).unwrap_err();
        assert!(
            e.to_string().starts_with("field metadata of `Leads`"),
            "{e}"
        );
    }
    assert_eq!(ModuleFields::from_json("X", "[]").unwrap().fields.len(), 0);
}

#[test]
fn generated_source_for_every_type() {
    let source = generate(
        &[everything(), lines()],
        &CodegenOptions::default()
            .struct_name("Things", "Thing")
            .generated_by("schema::tests"),
    )
    .unwrap();
    insta::assert_snapshot!("every_type", source);
}

#[test]
fn generated_source_for_the_mock_modules() {
    let source = generate(&[leads(), deals()], &CodegenOptions::default()).unwrap();
    for expected in [
        "pub struct Lead {",
        "pub struct Deal {",
        "pub annual_revenue: Option<::zohocrm_core::Decimal>,",
        "pub amount: Option<::zohocrm_core::Decimal>,",
        "pub product_interest: Option<Vec<ProductInterest>>,",
        "pub closing_date: Option<::zohocrm_core::time::Date>,",
        "pub created_time: Option<::zohocrm_core::time::OffsetDateTime>,",
        "pub account_name: Option<::zohocrm_core::Lookup>,",
        "pub tag: Option<::zohocrm_core::schema::support::serde_json::Value>,",
        // Shared by Leads and Deals: same API name, same values.
        "pub lead_source: Option<LeadSource>,",
        "pub enum LeadSource {",
        "pub enum Stage {",
        "    ClosedWon,",
        "    Crm,",
    ] {
        assert!(source.contains(expected), "missing {expected:?}");
    }
    assert_eq!(source.matches("pub enum LeadSource {").count(), 1);
    // Read-only fields are never written.
    assert!(source.contains("w.field(\"Last_Name\", &self.last_name)?;"));
    assert!(!source.contains("w.field(\"Created_Time\""));
    assert!(!source.contains("w.field(\"Full_Name\""));
}

#[test]
fn generator_names_never_collide_and_metadata_cannot_inject_code() {
    let hostile = ModuleFields::from_value(
        "Leads",
        &json!([
            {"api_name": "A\"); }\nfn evil() { (\"", "data_type": "text",
             "display_label": "x\n}\nfn evil2() {} //"},
            {"api_name": "Option", "data_type": "picklist", "pick_list_values": [
                {"actual_value": "\"}; fn evil3() {} //", "display_value": "`]`\u{0}"}]},
        ]),
    )
    .unwrap();
    let other = ModuleFields::from_value("Options", &json!([])).unwrap();
    let source = generate(&[hostile, other], &CodegenOptions::default()).unwrap();
    for line in source.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        assert!(!code.starts_with("fn evil"), "metadata became code: {line}");
    }
    assert!(source.contains(r#"take(&mut record, "A\"); }\nfn evil() { (\""),"#));
    // `Option` would shadow the prelude: the enum gets a suffix; the struct of `Options` too.
    assert!(source.contains("pub enum OptionChoice {"));
    assert!(source.contains("pub struct OptionRecord {"));
    assert!(generate(&[], &CodegenOptions::default().core_path("a; b")).is_err());
    assert!(generate(
        &[leads()],
        &CodegenOptions::default().struct_name("Leads", "lead")
    )
    .is_err());
}

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

#[test]
fn validation_against_mock_metadata() {
    let leads = leads();
    let ok = Record::try_from(json!({
        "Last_Name": "Boyle", "Email": "b@example.test", "Lead_Status": "Contacted",
        "Product_Interest": ["CRM", "Books"], "Annual_Revenue": 1234.5, "No_of_Employees": "12",
        "Email_Opt_Out": false, "Owner": {"id": "1"}, "$approval": {"x": 1}, "id": "9",
        "Description": null
    }))
    .unwrap();
    assert_eq!(leads.validate(&ok, WriteMode::Insert), []);

    let bad = Record::try_from(json!({
        "Last_Name": "  ", "Email": "not an email", "Lead_Status": "Contaced",
        "Product_Interest": ["CRM", "Cooking"], "Annual_Revenue": "12.345",
        "No_of_Employees": 1234567890, "Email_Opt_Out": "maybe", "First_Name": "x".repeat(41),
        "Full_Name": "Read Only", "Lats_Name": "typo", "Created_Time": "2024-01-01T00:00:00Z",
        "Owner": [1]
    }))
    .unwrap();
    let mut found: Vec<String> = leads
        .validate(&bad, WriteMode::Insert)
        .iter()
        .map(ToString::to_string)
        .collect();
    // Mandatory fields first, then the record's keys in order (a `json!` map is sorted).
    assert_eq!(found.remove(0), "`Last_Name` is mandatory");
    assert_eq!(
        found,
        [
            "`Annual_Revenue`: at most 2 decimal places, got 12.345",
            "`Created_Time` is read-only",
            "`Email`: expected an email address, got \"not an email\"",
            "`Email_Opt_Out`: expected a boolean, got \"maybe\"",
            "`First_Name`: 41 long, at most 40",
            "`Full_Name` is read-only",
            "the module has no field `Lats_Name`",
            "`Lead_Status`: \"Contaced\" is not one of the org's values",
            "`No_of_Employees`: 10 long, at most 9",
            "`Owner`: expected a lookup, got [1]",
            "`Product_Interest`: \"Cooking\" is not one of the org's values",
        ]
    );

    // Updates need only what they carry; emptying a mandatory field is caught.
    let update = Record::new().with("Email", "x@y.test");
    assert_eq!(leads.validate(&update, WriteMode::Update), []);
    assert_eq!(leads.validate(&update, WriteMode::Insert).len(), 1);
    let emptied = Record::new().with("Last_Name", Value::Null);
    assert_eq!(
        leads.validate(&emptied, WriteMode::Update),
        [Violation::MissingMandatory {
            field: "Last_Name".into()
        }]
    );
}

#[test]
fn cache_is_bounded_expires_and_refreshes_on_the_callers_clock() {
    let mut cache = FieldCache::new(2, Duration::from_secs(60));
    assert!(cache.get("Leads", at(0)).is_none());
    cache.insert(leads(), at(0));
    cache.insert(deals(), at(10));
    assert!(
        cache.get("leads", at(30)).is_some(),
        "module names are case-insensitive"
    );
    // Leads was used last: adding a third module drops Deals.
    cache.insert(ModuleFields::from_json("Notes", "[]").unwrap(), at(40));
    assert_eq!(cache.modules().collect::<Vec<_>>(), ["Leads", "Notes"]);
    assert!(cache.get("Deals", at(40)).is_none());

    // Stale after max_age; still readable on purpose, and fresh again once re-inserted.
    assert!(cache.is_fresh("Leads", at(59)));
    assert!(!cache.is_fresh("Leads", at(60)));
    assert!(cache.get("Leads", at(60)).is_none());
    assert!(cache.get_stale("Leads").is_some());
    let lead = Record::new().with("Last_Name", "X");
    assert!(cache
        .validate("Leads", &lead, WriteMode::Insert, at(61))
        .is_none());
    cache.insert(leads(), at(61));
    assert_eq!(
        cache.validate("Leads", &lead, WriteMode::Insert, at(62)),
        Some(vec![])
    );
    // A clock that went back: stale, not fresh forever.
    assert!(!cache.is_fresh("Leads", at(0)));

    assert!(cache.invalidate("LEADS"));
    assert!(!cache.invalidate("Leads"));
    cache.clear();
    assert_eq!(cache.modules().count(), 0);
    // Capacity 0 still holds one module.
    let mut tiny = FieldCache::new(0, Duration::from_secs(1));
    tiny.insert(leads(), at(0));
    tiny.insert(deals(), at(0));
    assert_eq!(tiny.modules().collect::<Vec<_>>(), ["Deals"]);
}

/// A hand-written struct shaped like the generator's output (the generated code itself is
/// compiled and run against the mock by the CLI's `codegen` test).
#[derive(Debug, Default, PartialEq)]
struct Probe {
    id: Option<String>,
    amount: Option<crate::Decimal>,
    stage: Option<crate::Choice>,
    created: Option<time::OffsetDateTime>,
    extra: Record,
}

const PROBE_FIELDS: &[&str] = &["Amount", "Stage", "Created_Time"];

impl serde::Serialize for Probe {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut w = support::RecordWriter::new(s, &self.extra, &["Created_Time"])?;
        w.field("id", &self.id)?;
        w.field("Amount", &self.amount)?;
        w.field("Stage", &self.stage)?;
        w.end()
    }
}

#[test]
fn support_takes_fields_keeps_the_rest_and_writes_it_back() {
    let text = r#"{"id":"7","Amount":9007199254740993.25,"Stage":"Won","Created_Time":"bad",
        "Stage_History":null,"$state":"x","New_Field":[1,{"a":"b"}],"Description":null}"#;
    let mut record = Record::from_json(text).unwrap();
    let probe = Probe {
        id: support::take(&mut record, "id"),
        amount: support::take(&mut record, "Amount"),
        stage: support::take(&mut record, "Stage"),
        created: support::take(&mut record, "Created_Time"),
        extra: record,
    };
    assert_eq!(
        probe.amount.as_ref().unwrap().as_str(),
        "9007199254740993.25"
    );
    assert_eq!(probe.created, None);
    assert_eq!(
        support::undecoded(&probe.extra, PROBE_FIELDS),
        ["Created_Time"]
    );
    assert_eq!(
        serde_json::to_string(&probe).unwrap(),
        r#"{"id":"7","Amount":9007199254740993.25,"Stage":"Won","Stage_History":null,"$state":"x","New_Field":[1,{"a":"b"}],"Description":null}"#
    );
    // A value set in the struct wins over the one kept in `extra`.
    let mut probe = probe;
    probe.extra.set("Stage", "Lost");
    probe.stage = Some("Won again".into());
    let out: Value = serde_json::from_str(&serde_json::to_string(&probe).unwrap()).unwrap();
    assert_eq!(out["Stage"], "Won again");
    assert_eq!(
        serde_json::to_string(&probe)
            .unwrap()
            .matches("Stage\"")
            .count(),
        1
    );
}
