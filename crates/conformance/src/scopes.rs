//! The scope preflight, through each transport: a session whose token lacks a scope refuses the
//! call before anything reaches the server.

use std::sync::Arc;

use zohocrm_core::records::{CoqlQuery, ListRecords};
use zohocrm_core::scopes::GrantedScopes;
use zohocrm_core::{Error, MemoryTokenStore};

use crate::{session_on, start_mock, Harness};

/// A session granted `ZohoCRM.modules.ALL` only refuses COQL (which needs `ZohoCRM.coql.READ`)
/// with `Error::Scope`: the mock sees no token request and no API request. A records list goes.
pub fn scopes_are_checked_before_sending(h: &impl Harness) {
    let mock = start_mock();
    let s = Arc::new(
        session_on(&mock, Arc::new(MemoryTokenStore::new()))
            .with_granted_scopes(GrantedScopes::parse("ZohoCRM.modules.ALL")),
    );
    let name = h.transport_name();
    let q = CoqlQuery::raw("select Last_Name from Leads where Last_Name is not null limit 2");
    match h.call(&s, &q) {
        Err(Error::Scope(e)) => {
            assert_eq!(e.operation, "coql.get_records", "{name}");
            assert_eq!(e.missing, ["ZohoCRM.coql.READ"], "{name}");
        }
        other => panic!("{name}: expected a scope refusal, got {other:?}"),
    }
    let stats = mock.stats();
    assert_eq!((stats.token_requests, stats.api_requests), (0, 0), "{name}");
    let page = h
        .call(&s, &ListRecords::new("Leads", ["Last_Name"]).per_page(2))
        .expect("records list");
    assert_eq!(page.records.len(), 2, "{name}");
    assert_eq!(mock.stats().api_requests, 1, "{name}");
}
