//! Scopes: `zcrm auth scopes`, the granted scopes in `auth status`, and calls refused before
//! sending when the token lacks a scope.

use super::{bare, code, json_of, ok, run, start, stderr, stdout, zcrm, Scratch, RT};

#[test]
fn auth_scopes_prints_the_minimal_list_for_commands_and_operations() {
    let s = Scratch::new("scopes");
    let out = ok(run(
        &mut bare(&s),
        &["auth", "scopes", "records", "list", "coql", "-o", "table"],
    ));
    assert_eq!(stdout(&out), "ZohoCRM.modules.ALL\nZohoCRM.coql.READ\n");
    // Operation ids, `call OP`, groups; deduplicated, covered scopes dropped.
    let out = ok(run(
        &mut bare(&s),
        &[
            "auth",
            "scopes",
            "records",
            "get",
            "call",
            "users.get_users",
            "record.get_records",
            "bulk",
            "export",
            "-o",
            "json",
        ],
    ));
    let v = json_of(&out);
    assert_eq!(
        v["scopes"],
        serde_json::json!([
            "ZohoCRM.modules.ALL",
            "ZohoCRM.users.ALL",
            "ZohoCRM.bulk.READ"
        ])
    );
    assert_eq!(
        v["scope"],
        "ZohoCRM.modules.ALL,ZohoCRM.users.ALL,ZohoCRM.bulk.READ"
    );
    for bad in [
        &["auth", "scopes", "nonsense"][..],
        &["auth", "scopes", "api"],
    ] {
        let out = run(&mut bare(&s), bad);
        assert_eq!(code(&out), 2, "{}", stderr(&out));
    }
    let out = run(&mut bare(&s), &["auth", "scopes", "no.such_operation"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("no.such_operation"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_token_without_the_coql_scope_is_refused_before_sending() {
    let (mock, s) = start();
    let query = "select Last_Name from Leads where Last_Name is not null limit 2";
    let out = run(
        &mut zcrm(&mock, &s, RT),
        &[
            "--scopes",
            "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL",
            "coql",
            query,
        ],
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("coql.get_records") && err.contains("ZohoCRM.coql.READ"),
        "{err}"
    );
    assert_eq!(mock.stats().api_requests, 0, "nothing reached the API");
    // With the scope (here from the environment) the query runs.
    ok(run(
        zcrm(&mock, &s, RT).env(
            "ZOHO_SCOPES",
            "ZohoCRM.coql.READ ZohoCRM.modules.leads.READ",
        ),
        &["coql", query, "-o", "json"],
    ));
    assert_eq!(mock.stats().api_requests, 1);
}

#[test]
fn login_keeps_the_granted_scopes_which_status_shows_and_calls_respect() {
    let (mock, s) = start();
    ok(run(
        &mut zcrm(&mock, &s, None),
        &["auth", "login", "--grant-code", "mock-grant-code"],
    ));
    let status = json_of(&ok(run(
        &mut zcrm(&mock, &s, None),
        &["auth", "status", "-o", "json"],
    )));
    let granted = &status["granted_scopes"];
    assert_eq!(granted["source"], "token store");
    assert!(
        granted["scopes"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("ZohoCRM.modules.ALL")),
        "{granted}"
    );
    let text = ok(run(
        &mut zcrm(&mock, &s, None),
        &["auth", "status", "-o", "table"],
    ));
    assert!(
        stdout(&text).contains("Scopes         ZohoCRM.modules.ALL"),
        "{}",
        stdout(&text)
    );
    // The mock grants no COQL scope: the stored token's scopes refuse the query unsent.
    let before = mock.stats().api_requests;
    let out = run(
        &mut zcrm(&mock, &s, None),
        &[
            "coql",
            "select Last_Name from Leads where Last_Name is not null limit 2",
        ],
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_eq!(mock.stats().api_requests, before);
    ok(run(&mut zcrm(&mock, &s, None), &["licences"]));
    // Unknown scopes: said so, never blocking.
    let fresh = Scratch::new("scopes-none");
    let text = ok(run(
        &mut zcrm(&mock, &fresh, RT),
        &["auth", "status", "-o", "table"],
    ));
    assert!(
        stdout(&text).contains("Scopes         unknown"),
        "{}",
        stdout(&text)
    );
}
