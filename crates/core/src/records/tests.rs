//! Pagination and parsing rules of the typed records endpoints (request shapes are covered by
//! the fixtures under `fixtures/records`).

use super::*;
use crate::{Endpoint, PageInfo, Paginated};

fn page(n: usize, page: Option<u32>, more: bool, token: Option<&str>) -> RecordPage {
    RecordPage {
        records: vec![Record::new(); n],
        info: PageInfo {
            page,
            more_records: Some(more),
            next_page_token: token.map(str::to_owned),
            ..PageInfo::default()
        },
        not_modified: false,
    }
}

fn query(e: &impl Endpoint) -> String {
    e.parts().unwrap().encoded_query()
}

#[test]
fn list_uses_pages_to_2000_then_tokens_and_keeps_other_parameters() {
    let mut req = ListRecords::new("Leads", ["Last_Name"]).sort("id", SortOrder::Asc);
    let mut seen = vec![query(&req)];
    for n in 1..=10 {
        req = req
            .next_page(&page(200, Some(n), true, Some(&format!("t{n}"))))
            .unwrap();
        seen.push(query(&req));
    }
    assert_eq!(seen[1], "fields=Last_Name&sort_by=id&sort_order=asc&page=2");
    assert_eq!(
        seen[9],
        "fields=Last_Name&sort_by=id&sort_order=asc&page=10"
    );
    // Page 11 would pass record 2,000: the token of page 10 takes over, without `page`.
    assert_eq!(
        seen[10],
        "fields=Last_Name&sort_by=id&sort_order=asc&page_token=t10"
    );
    let next = req.next_page(&page(200, None, true, Some("t11"))).unwrap();
    assert_eq!(
        query(&next),
        "fields=Last_Name&sort_by=id&sort_order=asc&page_token=t11"
    );
    // A token that does not move, a last page, an empty page: the end.
    assert!(next
        .next_page(&page(200, None, true, Some("t11")))
        .is_none());
    assert!(next.next_page(&page(3, None, false, None)).is_none());
    assert!(next.next_page(&page(0, None, true, Some("t12"))).is_none());
    // Beyond 2,000 without a token there is nothing more to ask for.
    let tenth = ListRecords::new("Leads", ["Last_Name"]).page(10);
    assert!(tenth.next_page(&page(200, Some(10), true, None)).is_none());
}

#[test]
fn list_stops_at_zohos_100000_records() {
    let mut req = ListRecords::new("Leads", ["Last_Name"]);
    let mut calls = 1;
    let mut n = 0u32;
    while let Some(next) = req.next_page(&page(200, Some(1), true, Some(&format!("t{n}")))) {
        req = next;
        calls += 1;
        n += 1;
        assert!(calls <= 1_000, "runaway pagination");
    }
    assert_eq!(calls, 500); // 500 × 200 = 100,000
}

#[test]
fn list_validates_before_sending() {
    let fields: Vec<String> = (0..51).map(|i| format!("F{i}")).collect();
    assert!(ListRecords::new("Leads", fields).parts().is_err());
    assert!(ListRecords::new("", ["A"]).parts().is_err());
    assert!(ListRecords::new("Leads", ["A"])
        .per_page(201)
        .parts()
        .is_err());
    assert!(ListRecords::new("Leads", ["A"]).page(11).parts().is_err());
    assert!(ListRecords::new("Leads", ["A"])
        .per_page(100)
        .page(20)
        .parts()
        .is_ok());
    assert!(ListRecords::new("Leads", ["A"])
        .cvid("1")
        .sort("id", SortOrder::Asc)
        .parts()
        .is_err());
    assert!(InsertRecords::new("Leads", vec![Record::new(); 101])
        .parts()
        .is_err());
    assert!(InsertRecords::new("Leads", []).parts().is_err());
    assert!(
        UpdateRecords::new("Leads", [Record::new().with("Last_Name", "x")])
            .parts()
            .is_err()
    );
    assert!(
        UpdateRecords::new("Leads", [Record::new().with("Code", "x")])
            .external("Leads.Code")
            .parts()
            .is_ok()
    );
    assert!(DeleteRecords::new("Leads", (0..101).map(|i| i.to_string()))
        .parts()
        .is_err());
    assert!(SearchRecords::criteria("Leads", Criteria::raw(""))
        .parts()
        .is_err());
    assert!(AddTags::new("Leads", ["1"], ["x".repeat(26)])
        .parts()
        .is_err());
}

#[test]
fn a_page_with_a_bad_value_keeps_every_record() {
    let body = br#"{"data":[{"id":"1","Created_Time":"2024-13-01T00:00:00+00:00"},{"id":"2","Created_Time":"2024-01-01T00:00:00+00:00"}],"info":{"more_records":false}}"#;
    let resp = http::Response::builder()
        .status(200)
        .body(&body[..])
        .unwrap();
    let page = ListRecords::new("Leads", ["Created_Time"])
        .parse(resp)
        .unwrap();
    assert_eq!(page.records.len(), 2);
    assert!(page.records[0].created_time().is_err());
    assert!(page.records[1].created_time().unwrap().is_some());
}

#[test]
fn error_objects_in_200_bodies_and_broken_bodies_are_errors() {
    let resp = |status: u16, body: &'static str| {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes())
            .unwrap()
    };
    let list = ListRecords::new("Leads", ["A"]);
    let e = list
        .parse(resp(200, r#"{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}"#))
        .unwrap_err();
    assert_eq!(e.api_code(), Some(&crate::ApiErrorCode::InvalidToken));
    assert!(matches!(
        list.parse(resp(200, r#"{"data":[{"id":"1""#)),
        Err(crate::Error::Decode(_))
    ));
    assert!(matches!(
        list.parse(resp(200, r#"{"data":[1]}"#)),
        Err(crate::Error::Decode(_))
    ));
    assert!(matches!(
        list.parse(resp(502, "<html>bad gateway</html>")),
        Err(crate::Error::Http { .. })
    ));
    assert!(list.parse(resp(204, "")).unwrap().records.is_empty());
}
