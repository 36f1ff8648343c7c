//! The hostile-server cases: what a server that lies or attacks sends, through each transport
//! and the core's state machines. Token lifetimes past the clock's range, path values that
//! would climb the path, a batch answer with a whole-call error or more outcomes than items, a
//! record cursor that goes round in a circle, values a `serde_json::Value` cannot hold, and
//! channel tokens that must never show in `Debug`. (The CLI's tests replay the file and
//! terminal attacks end to end: crates/cli/tests/it/hostile.rs.)

use zohocrm_core::features::GetUserLicences;
use zohocrm_core::notifications::{EnableNotifications, GetNotifications, WatchChannel};
use zohocrm_core::pagination::PageStop;
use zohocrm_core::records::{
    Batch, Chunked, GetRecord, InsertRecords, ListRecords, RecordCursor, RecordPage,
};
use zohocrm_core::{ApiErrorCode, Error, Record};
use zohocrm_mock::{internal_error, Fault, FaultKind};

use crate::{session, start_mock, Harness, MOCK_LICENCES};

fn ok_body(body: String) -> FaultKind {
    FaultKind::Status {
        status: 200,
        body,
        retry_after: None,
    }
}

/// A token answer whose `expires_in` is 2^64 - 1 (or 1e30) is clamped: the call goes through
/// (the mock refuses the forged token, so the session mints a real one) and nothing overflows.
pub fn hostile_token_lifetimes_are_clamped(h: &impl Harness) {
    for expires in ["18446744073709551615", "1e30"] {
        let mock = start_mock();
        mock.inject(
            Fault::once(ok_body(format!(
                r#"{{"access_token":"1000.hostile","expires_in":{expires},"api_domain":"{}"}}"#,
                mock.base_url()
            )))
            .on("/oauth/v2/token"),
        );
        let s = session(&mock);
        let licences = h
            .call(&s, &GetUserLicences)
            .unwrap_or_else(|e| panic!("{}: {e}", h.transport_name()));
        assert_eq!(licences.limit, MOCK_LICENCES.2);
    }
}

/// `GetRecord::new("Leads", "..")` asks for the record `..`, not for `/crm/v8`.
pub fn hostile_dot_segments_stay_values(h: &impl Harness) {
    let mock = start_mock();
    let s = session(&mock);
    for id in ["..", "."] {
        let _ = h.call(&s, &GetRecord::new("Leads", id));
    }
    let paths: Vec<String> = mock
        .requests()
        .iter()
        .filter(|r| r.path().starts_with("/crm/"))
        .map(|r| r.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        ["/crm/v8/Leads/%2E%2E", "/crm/v8/Leads/%2E"],
        "{}",
        h.transport_name()
    );
}

/// A `500 INTERNAL_ERROR` about the whole insert is an error with its status, not an outcome
/// per row; an answer with more outcomes than rows keeps the extra ones.
pub fn hostile_batch_answers_are_never_flattened(h: &impl Harness) {
    let mock = start_mock();
    let s = session(&mock);
    let insert = InsertRecords::new(
        "Leads",
        (0..3).map(|i| Record::new().with("Last_Name", format!("H{i}"))),
    );
    mock.inject(Fault::once(internal_error()).on("/crm/v8/Leads"));
    let mut batch = Batch::new(insert.len());
    let chunk = &insert.chunks()[0];
    let stopped = batch
        .absorb(chunk.len(), h.call(&s, chunk))
        .expect_err("a whole-call error stops the batch");
    assert_eq!(stopped.error.status(), Some(500), "{}", h.transport_name());
    assert_eq!(stopped.error.api_code(), Some(&ApiErrorCode::InternalError));
    assert!(stopped.done.items.is_empty());
    let outcome = |id: u32| {
        format!(
            r#"{{"code":"SUCCESS","details":{{"id":"{id}"}},"message":"record added","status":"success"}}"#
        )
    };
    let five: Vec<String> = (0..5).map(outcome).collect();
    mock.inject(
        Fault::once(ok_body(format!(r#"{{"data":[{}]}}"#, five.join(",")))).on("/crm/v8/Leads"),
    );
    let mut batch = Batch::new(insert.len());
    let stopped = batch
        .absorb(chunk.len(), h.call(&s, chunk))
        .expect_err("more outcomes than rows is not an answer about these rows");
    assert_eq!(stopped.done.items.len(), 3);
    assert_eq!(stopped.extra.len(), 2, "{}", h.transport_name());
    assert!(matches!(*stopped.error, Error::Decode(_)));
}

/// A record list whose tokens go `A`, `B`, `A`: the iteration stops at the circle and says so.
pub fn hostile_record_cursor_cycles_are_reported(h: &impl Harness) {
    let mock = start_mock();
    let s = session(&mock);
    let page = |token: &str, id: u32| {
        ok_body(format!(
            r#"{{"data":[{{"id":"{id}"}}],"info":{{"more_records":true,"next_page_token":"{token}"}}}}"#
        ))
    };
    for (token, id) in [("A", 1), ("B", 2), ("A", 3), ("B", 4), ("A", 5)] {
        mock.inject(Fault::once(page(token, id)).on("/crm/v8/Leads"));
    }
    let first = ListRecords::new("Leads", ["Last_Name"]).page_token("start");
    let mut cursor = RecordCursor::new(first);
    let mut read = 0;
    loop {
        while cursor.pop().is_some() {
            read += 1;
        }
        let Some(request) = cursor.take_request() else {
            break;
        };
        let page: RecordPage = h.call(&s, &request).unwrap();
        cursor.absorb(&request, page);
    }
    assert_eq!(read, 3, "{}", h.transport_name());
    assert_eq!(
        cursor.stopped(),
        Some(&PageStop::Cycled {
            page: 3,
            earlier: 2
        })
    );
}

/// A value nested 100,000 deep and a 10,000-digit number keep their page; decoding them into a
/// `serde_json::Value` is an error naming the field, never a null, and their text is exact.
pub fn hostile_values_are_errors_not_nulls(h: &impl Harness) {
    let mock = start_mock();
    let s = session(&mock);
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge = "9".repeat(10_000);
    mock.inject(
        Fault::once(ok_body(format!(
            r#"{{"data":[{{"id":"1","Deep":{deep}}},{{"id":"2","Huge":{huge}}}],"info":{{"more_records":false}}}}"#
        )))
        .on("/crm/v8/Leads"),
    );
    let page = h
        .call(&s, &ListRecords::new("Leads", ["Deep", "Huge"]))
        .unwrap_or_else(|e| panic!("{}: {e}", h.transport_name()));
    assert_eq!(page.records.len(), 2);
    let e = page.records[0].to_map().unwrap_err();
    assert_eq!(e.field, "Deep");
    assert_eq!(page.records[0].raw("Deep"), Some(deep.as_str()));
    let e = page.records[1].to_map().unwrap_err();
    assert_eq!(e.field, "Huge");
    assert_eq!(page.records[1].raw("Huge"), Some(huge.as_str()));
}

/// A channel's token round-trips to Zoho but never shows in `Debug` of what is sent or read.
pub fn hostile_channel_tokens_never_show(h: &impl Harness) {
    let mock = start_mock();
    let s = session(&mock);
    let secret = "chan-s3cret-4242";
    let channel = WatchChannel::new(
        "1000000068001",
        ["Leads.all"],
        "https://hooks.example.test/z",
    )
    .token(secret);
    let enable = EnableNotifications::new([channel]);
    assert!(!format!("{enable:?}").contains(secret));
    h.call(&s, &enable)
        .unwrap_or_else(|e| panic!("{}: {e}", h.transport_name()));
    let listed = h.call(&s, &GetNotifications::new()).unwrap();
    let token = listed.watch[0].token.as_ref().expect("the token is listed");
    assert_eq!(token.expose(), secret);
    assert!(!format!("{listed:?}").contains(secret));
}
