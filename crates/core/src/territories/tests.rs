//! Validation and quirk tests of the territory endpoints.

use serde_json::{json, Value};

use super::*;
use crate::context::{Context, DataCenter, Environment};
use crate::endpoint::{Endpoint, Paginated};
use crate::error::{ApiErrorCode, BuildError, Error};
use crate::request::assemble;

fn resp(status: u16, body: &str) -> http::Response<&[u8]> {
    http::Response::builder()
        .status(status)
        .body(body.as_bytes())
        .unwrap()
}

fn uri<E: Endpoint>(e: &E) -> String {
    let ctx = Context::new(DataCenter::Us, Environment::Production);
    assemble(&ctx, &e.parts().unwrap())
        .unwrap()
        .uri()
        .to_string()
}

fn body<E: Endpoint>(e: &E) -> Value {
    let ctx = Context::new(DataCenter::Us, Environment::Production);
    serde_json::from_slice(assemble(&ctx, &e.parts().unwrap()).unwrap().body()).unwrap()
}

fn invalid_param<E: Endpoint>(e: &E) -> &'static str {
    match e.parts() {
        Err(BuildError::Invalid { param, .. }) => param,
        Err(BuildError::Missing(param)) => param,
        other => panic!("expected a build error, got {other:?}"),
    }
}

fn new_territory(name: &str) -> TerritoryInput {
    TerritoryInput::create(name, "111", PermissionType::ReadOnly)
}

#[test]
fn ids_are_the_snake_cased_operation_ids() {
    // Every territory operation is the hand-written type, under the spec's id.
    let ids: Vec<&str> = crate::registry::all()
        .iter()
        .filter(|o| {
            o.hand_written_type()
                .is_some_and(|t| t.starts_with("zohocrm_core::territories::"))
        })
        .map(|o| o.id)
        .collect();
    assert_eq!(ids.len(), 27);
    for id in [
        "territories.get_territories",
        "territories.get_child_territory",
        "territories.get_deleted_associated_territory",
        "territory_users.deassociate_territory_users",
        "territory_users.get_territory_user",
        "users_territories.get_territories_of_user",
        "record.assign_territories_to_multiple_records",
        "record.assign_territory_to_record",
        "record.remove_territories_from_multiple_records",
        "record.remove_territories_from_record",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 27);
}

#[test]
fn at_most_ten_territories_per_call() {
    let ten: Vec<_> = (0..10).map(|i| new_territory(&format!("T{i}"))).collect();
    assert!(CreateTerritories::new(ten.clone()).parts().is_ok());
    let eleven: Vec<_> = (0..11).map(|i| new_territory(&format!("T{i}"))).collect();
    assert_eq!(
        invalid_param(&CreateTerritories::new(eleven)),
        "territories"
    );
    assert_eq!(invalid_param(&CreateTerritories::new([])), "territories");

    let ids: Vec<String> = (0..11).map(|i| i.to_string()).collect();
    assert_eq!(invalid_param(&DeleteTerritories::new(ids.clone())), "ids");
    assert!(DeleteTerritories::new(&ids[..10]).parts().is_ok());
    assert_eq!(
        invalid_param(&DeleteTerritories::new(Vec::<String>::new())),
        "ids"
    );
    assert_eq!(invalid_param(&DeleteTerritories::new(["1", " "])), "ids");

    let transfers: Vec<_> = (0..11)
        .map(|i| TransferInput::new(i.to_string(), "99"))
        .collect();
    assert_eq!(
        invalid_param(&TransferAndDeleteTerritories::new(transfers)),
        "territories"
    );
    let updates: Vec<_> = (0..11)
        .map(|i| TerritoryInput::update(i.to_string()))
        .collect();
    assert_eq!(
        invalid_param(&UpdateTerritories::new(updates)),
        "territories"
    );
}

#[test]
fn create_requires_name_parent_and_permission() {
    let mut t = new_territory("West");
    t.reporting_to = None;
    assert_eq!(invalid_param(&CreateTerritories::new([t])), "reporting_to");
    let mut t = new_territory("West");
    t.permission_type = None;
    assert_eq!(
        invalid_param(&CreateTerritories::new([t])),
        "permission_type"
    );
    let mut t = new_territory("West");
    t.name = None;
    assert_eq!(invalid_param(&CreateTerritories::new([t])), "name");
    assert_eq!(
        invalid_param(&CreateTerritories::new([new_territory("  ")])),
        "name"
    );
    // Update items need their id.
    assert_eq!(
        invalid_param(&UpdateTerritories::new([
            TerritoryInput::changes().name("X")
        ])),
        "id"
    );
}

#[test]
fn forbidden_characters_in_names() {
    for c in FORBIDDEN_NAME_CHARS {
        let name = format!("West{c}Coast");
        assert_eq!(
            invalid_param(&CreateTerritories::new([new_territory(&name)])),
            "name"
        );
        let update = UpdateTerritory::new("1", TerritoryInput::changes().name(name));
        assert_eq!(invalid_param(&update), "name");
    }
    assert!(
        CreateTerritories::new([new_territory("West Coast (2) - Ü.")])
            .parts()
            .is_ok()
    );
}

#[test]
fn per_page_and_page_ranges() {
    assert_eq!(
        invalid_param(&GetTerritories::new().per_page(0)),
        "per_page"
    );
    assert_eq!(
        invalid_param(&GetTerritories::new().per_page(2001)),
        "per_page"
    );
    assert!(GetTerritories::new().per_page(2000).parts().is_ok());
    assert_eq!(invalid_param(&GetTerritories::new().page(0)), "page");
    assert_eq!(
        invalid_param(&GetChildTerritories::new("1").per_page(201)),
        "per_page"
    );
    assert!(GetChildTerritories::new("1").per_page(200).parts().is_ok());
}

#[test]
fn path_params_must_not_be_blank() {
    assert_eq!(invalid_param(&GetTerritory::new("")), "id");
    assert_eq!(invalid_param(&GetTerritoryUser::new("1", " ")), "user");
    assert_eq!(invalid_param(&GetTerritoriesOfUser::new("")), "user");
    assert_eq!(
        invalid_param(&AssignTerritoryToRecord::new("", "1", ["2"])),
        "module_api_name"
    );
    assert_eq!(
        invalid_param(&DeassociateTerritoryUsers::new("1", Vec::<String>::new())),
        "ids"
    );
}

#[test]
fn record_assignment_limits() {
    let ten: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    assert!(AssignTerritoryToRecord::new("Accounts", "1", ten.clone())
        .parts()
        .is_ok());
    let eleven: Vec<String> = (0..11).map(|i| i.to_string()).collect();
    assert_eq!(
        invalid_param(&AssignTerritoryToRecord::new(
            "Accounts",
            "1",
            eleven.clone()
        )),
        "Territories"
    );
    assert_eq!(
        invalid_param(&AssignTerritoriesToMultipleRecords::new(
            "Accounts",
            [RecordTerritoriesInput::new("1", eleven)]
        )),
        "Territories"
    );
    // Two territories for a Deal is Zoho's call, not ours.
    assert!(AssignTerritoryToRecord::new("Deals", "1", ["2", "3"])
        .parts()
        .is_ok());
    // Records of the multiple-record form need their id.
    let no_id = RecordTerritoriesInput {
        id: None,
        territories: vec![crate::models::IdRef::new("2")],
    };
    assert_eq!(
        invalid_param(&RemoveTerritoriesFromMultipleRecords::new(
            "Accounts",
            [no_id]
        )),
        "id"
    );
    assert_eq!(
        invalid_param(&RemoveTerritoriesFromRecord::new(
            "Accounts",
            "1",
            Vec::<String>::new()
        )),
        "Territories"
    );
}

#[test]
fn request_shapes() {
    let get = GetTerritories::new()
        .filters(r#"{"field":{"api_name":"name"},"comparator":"starts_with","value":"W e"}"#)
        .include(["account_rule_criteria"])
        .page(2)
        .per_page(200)
        .ids(["1", "2"]);
    assert_eq!(
        uri(&get),
        "https://www.zohoapis.com/crm/v8/settings/territories?filters=%7B%22field%22%3A%7B%22api_name%22%3A%22name%22%7D,%22comparator%22%3A%22starts_with%22,%22value%22%3A%22W%20e%22%7D&include=account_rule_criteria&page=2&per_page=200&ids=1,2"
    );
    assert_eq!(
        uri(&DeleteTerritories::new(["1", "2"]).delete_previous_forecasts(true)),
        "https://www.zohoapis.com/crm/v8/settings/territories?ids=1,2&delete_previous_forecasts=true"
    );
    assert_eq!(
        body(&AssignTerritoryToRecord::new("Deals", "5", ["7"])),
        json!({"data": [{"Territories": [{"id": "7"}]}]})
    );
    assert_eq!(
        body(&AssignTerritoriesToMultipleRecords::new(
            "Accounts",
            [RecordTerritoriesInput::new("5", ["7", "8"])]
        )),
        json!({"data": [{"id": "5", "Territories": [{"id": "7"}, {"id": "8"}]}]})
    );
    assert_eq!(
        body(&TransferAndDeleteTerritory::new("1", "2").delete_previous_forecasts(false)),
        json!({"territories": [{"transfer_to_id": "2", "delete_previous_forecasts": false}]})
    );
    let change = TerritoryInput::update("9")
        .manager(None)
        .description(None)
        .account_rule_criteria(Some(Criteria::group(
            "and",
            [
                Criteria::rule("Industry", "equal", "Retail"),
                Criteria::rule("Annual_Revenue", "greater_than", 1000),
            ],
        )));
    assert_eq!(
        body(&UpdateTerritories::new([change])),
        json!({"territories": [{"id": "9", "manager": null, "description": null,
            "account_rule_criteria": {"group_operator": "and", "group": [
                {"comparator": "equal", "field": {"api_name": "Industry"}, "value": "Retail"},
                {"comparator": "greater_than", "field": {"api_name": "Annual_Revenue"}, "value": 1000}]}}]})
    );
    assert_eq!(
        body(&UpdateTerritoryUsers::new("3", ["4"])),
        json!({"users": [{"id": "4"}]})
    );
    assert_eq!(
        body(&AssociateTerritoriesToUser::new("4", ["3"])),
        json!({"territories": [{"id": "3"}]})
    );
}

#[test]
fn inputs_round_trip_through_json() {
    // The registry drives endpoints from JSON: the serde form must round-trip.
    let get = GetTerritories::new().page(3).ids(["1"]);
    let v = serde_json::to_value(&get).unwrap();
    assert_eq!(v, json!({"page": 3, "ids": ["1"]}));
    assert_eq!(serde_json::from_value::<GetTerritories>(v).unwrap(), get);
    // Comma-separated strings are accepted for list parameters, objects for filters.
    let get: GetTerritories = serde_json::from_value(json!({
        "ids": "1, 2", "include": "lead_rule_criteria", "filters": {"comparator": "equal"}
    }))
    .unwrap();
    assert_eq!(
        get,
        GetTerritories::new()
            .ids(["1", "2"])
            .include(["lead_rule_criteria"])
            .filters(r#"{"comparator":"equal"}"#)
    );
    let create = CreateTerritories::new([new_territory("A").manager(None)]);
    let v = serde_json::to_value(&create).unwrap();
    assert_eq!(v["body"]["territories"][0]["manager"], Value::Null);
    assert_eq!(
        serde_json::from_value::<CreateTerritories>(v).unwrap(),
        create
    );
    let assign = AssignTerritoryToRecord::new("Deals", "5", ["7"]);
    let v = serde_json::to_value(&assign).unwrap();
    assert_eq!(
        v,
        json!({"module_api_name": "Deals", "id": "5", "body": {"data": [{"Territories": [{"id": "7"}]}]}})
    );
    assert_eq!(
        serde_json::from_value::<AssignTerritoryToRecord>(v).unwrap(),
        assign
    );
    let unit: GetAssociatedUserCount = crate::registry::endpoint_from_input(&json!({})).unwrap();
    assert_eq!(unit, GetAssociatedUserCount);
}

#[test]
fn count_as_string_or_number() {
    let page = GetAssociatedUserCount
        .parse(resp(
            200,
            r#"{"associated_users_count":[{"count":"2","territory":{"name":"Chennai","id":"1","subordinates":false}},
                {"count":3,"territory":{"id":"2"}},{"count":null,"territory":{"id":"3"}}],
              "info":{"per_page":200,"count":"3","page":1,"more_records":false}}"#,
        ))
        .unwrap();
    let counts: Vec<u64> = page
        .associated_users_count
        .iter()
        .map(|c| c.count)
        .collect();
    assert_eq!(counts, [2, 3, 0]);
    assert_eq!(
        page.associated_users_count[0].territory.subordinates,
        Some(false)
    );
    assert_eq!(page.info.unwrap().count, Some(3));
}

#[test]
fn null_manager_and_root_territory() {
    let page = GetTerritories::new()
        .parse(resp(
            200,
            r#"{"territories":[{"id":"1","name":"Root","manager":null,"reporting_to":null,"description":null},
                {"id":"2","name":"Child","manager":{"name":null,"id":null},"reporting_to":{"name":"Root","id":"1"},
                 "permission_type":"read_write_delete"},
                {"id":3,"name":"Odd","manager":"nonsense","permission_type":"owner_only","created_by":{"id":"7"}}]}"#,
        ))
        .unwrap();
    let t = &page.territories;
    assert_eq!(t[0].manager, None);
    assert_eq!(t[0].reporting_to, None);
    assert_eq!(t[1].manager, None);
    assert_eq!(t[1].reporting_to.as_ref().unwrap().id.as_deref(), Some("1"));
    assert_eq!(t[1].permission_type, Some(PermissionType::ReadWriteDelete));
    assert_eq!(t[2].id, "3");
    assert_eq!(t[2].manager, None);
    assert_eq!(
        t[2].permission_type,
        Some(PermissionType::Unknown("owner_only".into()))
    );
    assert!(page.info.is_none());
}

#[test]
fn nested_criteria_groups() {
    let c: Criteria = serde_json::from_value(json!({
        "group_operator": "and",
        "group": [
            {"comparator": "equal", "field": {"api_name": "Industry", "id": "1"}, "value": "Retail"},
            {"group_operator": "or", "group": [
                {"comparator": "greater_than", "field": {"api_name": "Annual_Revenue"}, "value": 10},
                {"comparator": "in", "field": {"api_name": "Billing_State"}, "value": ["CA", "NY"]}
            ]}
        ]
    }))
    .unwrap();
    assert_eq!(c.rule_count(), 3);
    let Criteria::Group(g) = &c else {
        panic!("{c:?}")
    };
    assert_eq!(g.group_operator.as_deref(), Some("and"));
    let Criteria::Group(inner) = &g.group[1] else {
        panic!("{g:?}")
    };
    let Criteria::Rule(r) = &inner.group[1] else {
        panic!("{inner:?}")
    };
    assert_eq!(r.value, Some(json!(["CA", "NY"])));
    // The spec's combined shape: a rule with null group keys stays a rule, nulls dropped.
    let rule: Criteria = serde_json::from_value(json!({
        "comparator": "equal", "field": {"api_name": "A"}, "value": "x", "group_operator": null, "group": null
    }))
    .unwrap();
    assert_eq!(rule, Criteria::rule("A", "equal", "x"));
    // Anything else still decodes.
    let odd: Criteria = serde_json::from_value(json!("weird")).unwrap();
    assert_eq!(odd.rule_count(), 1);
    // Too many rules are caught before sending.
    let big = Criteria::group("or", (0..26).map(|i| Criteria::rule("F", "equal", i)));
    let t = new_territory("Big").account_rule_criteria(Some(big));
    assert_eq!(
        invalid_param(&CreateTerritories::new([t])),
        "account_rule_criteria"
    );
}

#[test]
fn scheduled_and_immediate_success() {
    let e = AssignTerritoryToRecord::new("Accounts", "5", ["7"]);
    let scheduled = e
        .parse(resp(
            200,
            r#"{"data":[{"code":"SCHEDULED","details":{"job_id":"99","id":"5"},"message":"Territory assignment process scheduled successfully","status":"success"}]}"#,
        ))
        .unwrap();
    let s = scheduled.successes().next().unwrap();
    assert!(s.is_scheduled());
    assert_eq!(s.job_id(), Some("99"));
    assert_eq!(s.id(), Some("5"));
    let immediate = e
        .parse(resp(
            200,
            r#"{"data":[{"code":"SUCCESS","details":{"id":"5"},"message":"the territories data updated successfully","status":"success"}]}"#,
        ))
        .unwrap();
    let s = immediate.successes().next().unwrap();
    assert!(!s.is_scheduled());
    assert_eq!(s.job_id(), None);
    assert!(immediate.all_succeeded());
}

#[test]
fn per_item_207_and_top_level_errors() {
    let out = CreateTerritories::new([new_territory("A"), new_territory("B")])
        .parse(resp(
            207,
            r#"{"territories":[{"code":"SUCCESS","details":{"id":"1"},"message":"Territory Created Successfully","status":"success"},
                {"code":"DUPLICATE_DATA","details":{"api_name":"name"},"message":"duplicate data","status":"error"}]}"#,
        ))
        .unwrap();
    assert_eq!(out.status, 207);
    assert_eq!(out.items[0].as_ref().unwrap().id(), Some("1"));
    assert_eq!(
        out.items[1].as_ref().unwrap_err().code,
        ApiErrorCode::DuplicateData
    );
    let failures: Vec<usize> = out.failures().map(|(i, _)| i).collect();
    assert_eq!(failures, [1]);

    let err = DeleteTerritory::new("1")
        .parse(resp(
            403,
            r#"{"code":"TERRITORY_NOT_ENABLED","details":{},"message":"the territory feature is not enabled","status":"error"}"#,
        ))
        .unwrap_err();
    assert_eq!(err.api_code(), Some(&ApiErrorCode::TerritoryNotEnabled));
    let err = GetTerritory::new("1")
        .parse(resp(502, "<html>Bad Gateway</html>"))
        .unwrap_err();
    assert!(matches!(err, Error::Http { status: 502, .. }));
}

#[test]
fn no_content_204_is_empty_not_an_error() {
    assert_eq!(
        GetTerritories::new().parse(resp(204, "")).unwrap(),
        TerritoriesPage::default()
    );
    assert_eq!(GetTerritory::new("1").parse(resp(204, "")).unwrap(), None);
    assert!(GetChildTerritories::new("1")
        .parse(resp(204, ""))
        .unwrap()
        .territories
        .is_empty());
    assert!(GetTerritoryUsers::new("1")
        .parse(resp(204, ""))
        .unwrap()
        .users
        .is_empty());
    assert!(GetTerritoriesOfUser::new("1")
        .parse(resp(204, ""))
        .unwrap()
        .territories
        .is_empty());
    assert!(GetAssociatedUserCount
        .parse(resp(204, ""))
        .unwrap()
        .associated_users_count
        .is_empty());
}

#[test]
fn pagination_follows_more_records() {
    let get = GetTerritories::new().per_page(1);
    let page = |n: u32, more: bool| TerritoriesPage {
        territories: vec![Territory::default()],
        info: Some(crate::response::PageInfo {
            page: Some(n),
            more_records: Some(more),
            ..Default::default()
        }),
    };
    let next = get.next_page(&page(1, true)).unwrap();
    assert_eq!(next, GetTerritories::new().per_page(1).page(2));
    assert_eq!(next.next_page(&page(2, true)).unwrap(), get.clone().page(3));
    assert!(next.next_page(&page(2, false)).is_none());
    assert!(get.next_page(&TerritoriesPage::default()).is_none());
    // A server page number behind ours never moves backwards.
    assert_eq!(
        GetChildTerritories::new("1")
            .page(5)
            .next_page(&page(1, true))
            .unwrap(),
        GetChildTerritories::new("1").page(6)
    );
}

#[test]
fn territories_of_a_record() {
    let record = json!({"id": "1", "Territories": [
        {"Name": "Texas", "id": "111", "$assigned_by": null, "$assigned_time": "2020-03-05T16:07:28+05:30", "$assigned": "automatically"},
        {"Name": "South", "id": "222", "$assigned_by": {"name": "Patricia Boyle", "id": "333"}, "$assigned_time": "2020-03-05T16:07:28+05:30", "$assigned": "manually"},
        "not an object"
    ]});
    let t = record_territories(&record);
    assert_eq!(t.len(), 2);
    assert!(t[0].is_automatic());
    assert_eq!(t[0].assigned_by, None);
    assert_eq!(t[1].name.as_deref(), Some("South"));
    assert_eq!(
        t[1].assigned_by.as_ref().unwrap().id.as_deref(),
        Some("333")
    );
    assert_eq!(
        t[1].assigned_time.as_deref(),
        Some("2020-03-05T16:07:28+05:30")
    );
    assert!(record_territories(&json!({"id": "1"})).is_empty());
    assert_eq!(
        record_territories(&json!({"Territory": {"Name": "Solo", "id": "9"}}))[0].id,
        "9"
    );
}

#[test]
fn users_and_user_territories_are_lenient() {
    let page = GetTerritoryUsers::new("1")
        .parse(resp(
            200,
            r#"{"users":[{"id":"5","full_name":"Ada Example","email":"ada@example.test","role":{"name":"R","id":"6"},
                "status":"active","zuid":70000001,"confirm":true,"time_zone":"Asia/Kolkata"}],"info":{"more_records":false}}"#,
        ))
        .unwrap();
    let u = &page.users[0];
    assert_eq!(u.zuid.as_deref(), Some("70000001"));
    assert_eq!(u.extra["time_zone"], "Asia/Kolkata");
    let ut = GetTerritoryOfUser::new("5", "1")
        .parse(resp(
            200,
            r#"{"territories":[{"id":"1","Name":"Chennai","Manager":null,"Reporting_To":{"Name":"India","id":"2"}}]}"#,
        ))
        .unwrap()
        .unwrap();
    assert_eq!(ut.name.as_deref(), Some("Chennai"));
    assert_eq!(ut.manager, None);
    assert_eq!(ut.reporting_to.unwrap().name.as_deref(), Some("India"));
}
