//! OAuth scopes: which scopes an operation needs, whether a token's granted scopes cover them,
//! and the smallest list to ask for.
//!
//! Zoho scopes read `Service.scope_name[.sub_name].OPERATION`, e.g. `ZohoCRM.modules.leads.READ`
//! or `ZohoCRM.settings.ALL` (the scopes page of the v8 docs). A granted scope covers a required
//! one of the same service when its name is the same or a parent (`ZohoCRM.modules.ALL` covers
//! `ZohoCRM.modules.leads.READ`, `ZohoCRM.settings.ALL` covers `ZohoCRM.settings.fields.READ`)
//! and its operation is `ALL` or the same. Names and operations compare without case: the spec
//! writes `ALL`, `All` and `all`.
//!
//! The preflight must never refuse a call Zoho would accept, so it leans to letting calls through:
//! - the spec names the broad scope (`ZohoCRM.modules.ALL` for every record call) where a
//!   narrower grant also works (`ZohoCRM.modules.leads.READ` to read Leads): a granted scope
//!   *inside* a required `ALL` scope also counts;
//! - a required scope of a shape this module does not understand (a `{placeholder}`, no
//!   `Zoho…` service, an unknown operation word) is assumed granted;
//! - several scopes listed for one operation are alternatives (the spec files use one list for
//!   "any of": `settings.all`, `settings.related_lists.all`, `settings.related_lists.read`).
//!
//! A few operations are documented with other scopes than the spec lists (zoho-behavior.md §4,
//! §5 in the project's shared reference): COQL needs `ZohoCRM.coql.READ` and a module scope,
//! bulk read `ZohoCRM.bulk.READ` and a module scope; the bulk write upload also accepts
//! `ZohoFiles.files.ALL`.

use std::fmt;

use crate::op_spec::OpSpec;

/// One scope split into its parts, borrowed; `None` from [`parse`] for an unknown shape.
#[derive(Debug, Clone, Copy)]
struct Parts<'a> {
    service: &'a str,
    /// The dotted scope name (`modules` or `modules.leads`).
    name: &'a str,
    operation: &'a str,
}

const OPERATIONS: &[&str] = &[
    "ALL", "READ", "CREATE", "UPDATE", "DELETE", "WRITE", "CUSTOM",
];

fn parse(scope: &str) -> Option<Parts<'_>> {
    let scope = scope.trim();
    let (service, rest) = scope.split_once('.')?;
    let (name, operation) = rest.rsplit_once('.')?;
    let well_formed = service.len() > 4
        && service[..4].eq_ignore_ascii_case("zoho")
        && !name.is_empty()
        && name
            .split('.')
            .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        && OPERATIONS.iter().any(|o| o.eq_ignore_ascii_case(operation));
    well_formed.then_some(Parts {
        service,
        name,
        operation,
    })
}

/// Whether scope name `a` is `b` or one of its parents (`modules` of `modules.leads`).
fn is_parent_or_same(a: &str, b: &str) -> bool {
    let mut b = b.split('.');
    a.split('.').all(|seg| {
        b.next()
            .is_some_and(|other| seg.eq_ignore_ascii_case(other))
    })
}

fn is_all(operation: &str) -> bool {
    operation.eq_ignore_ascii_case("ALL")
}

/// Whether `granted` is enough for a call the spec documents with `required` (see the module
/// docs). A required scope of an unknown shape counts as covered; a granted one of an unknown
/// shape covers nothing.
pub fn covers(granted: &str, required: &str) -> bool {
    let Some(r) = parse(required) else {
        return true;
    };
    let Some(g) = parse(granted) else {
        return false;
    };
    if !g.service.eq_ignore_ascii_case(r.service) {
        return false;
    }
    // Related names: the grant is the same or broader, or narrower inside the family the spec
    // names; then the operation must match unless either side is `ALL`.
    (is_parent_or_same(g.name, r.name) || is_parent_or_same(r.name, g.name))
        && (is_all(g.operation)
            || is_all(r.operation)
            || g.operation.eq_ignore_ascii_case(r.operation))
}

/// Operations whose documented requirement differs from the spec's list: `(operation id,
/// clauses)`, replacing the spec's one clause.
const CORRECTIONS: &[(&str, &[&[&str]])] = &[
    // §4: `ZohoCRM.coql.READ` and a module read scope (the spec lists `modules.all` only).
    (
        "coql.get_records",
        &[&["ZohoCRM.coql.READ"], &["ZohoCRM.modules.ALL"]],
    ),
    // §5.1: `ZohoCRM.bulk.read` and a module read scope (the spec lists either).
    (
        "bulk_read.create_bulk_read_job",
        &[&["ZohoCRM.bulk.READ"], &["ZohoCRM.modules.ALL"]],
    ),
    (
        "bulk_read.get_bulk_read_job_details",
        &[&["ZohoCRM.bulk.READ"], &["ZohoCRM.modules.ALL"]],
    ),
    (
        "bulk_read.download_result",
        &[&["ZohoCRM.bulk.READ"], &["ZohoCRM.modules.ALL"]],
    ),
    // §5.2: the upload goes to Zoho's file store, `ZohoFiles.files.ALL`.
    (
        "bulk_write.upload_file",
        &[&["ZohoCRM.bulk.ALL", "ZohoFiles.files.ALL"]],
    ),
];

/// What an operation needs: every clause must be granted, a clause by any one of its scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The clauses, each a list of alternatives.
    pub clauses: Vec<Vec<&'static str>>,
}

/// The clauses of `spec`, without allocating (the preflight runs on every call).
fn clauses(spec: &OpSpec) -> impl Iterator<Item = &'static [&'static str]> {
    let corrected = CORRECTIONS
        .iter()
        .find(|(id, _)| *id == spec.id)
        .map(|(_, clauses)| *clauses);
    let listed = (corrected.is_none() && !spec.scopes.is_empty()).then_some(spec.scopes);
    corrected.into_iter().flatten().copied().chain(listed)
}

/// The scopes operation `spec` needs: the spec's list (alternatives), plus the documented scopes
/// the spec leaves out. No clause when the spec declares none.
pub fn required(spec: &OpSpec) -> Requirement {
    Requirement {
        clauses: clauses(spec).map(<[&str]>::to_vec).collect(),
    }
}

/// A scope as Zoho's pages write it: the name in lower case, the operation in upper case
/// (`ZohoCRM.Modules.all` is `ZohoCRM.modules.ALL`); an unknown shape as written.
pub fn canonical(scope: &str) -> String {
    match parse(scope) {
        Some(p) => format!(
            "{}.{}.{}",
            p.service,
            p.name.to_ascii_lowercase(),
            p.operation.to_ascii_uppercase()
        ),
        None => scope.trim().to_owned(),
    }
}

/// The scope to ask for to meet a clause: its first alternative of a known shape.
fn preferred(clause: &[&str]) -> String {
    let pick = clause
        .iter()
        .find(|s| parse(s).is_some())
        .or_else(|| clause.first())
        .copied()
        .unwrap_or_default();
    canonical(pick)
}

/// The smallest list of scopes that grants all of `specs`, without duplicates or a scope
/// another one in the list covers, in the order the operations need them (to paste into a
/// grant request or the API console).
pub fn minimal<'a>(specs: impl IntoIterator<Item = &'a OpSpec>) -> Vec<String> {
    let mut chosen: Vec<String> = Vec::new();
    for spec in specs {
        for clause in required(spec).clauses {
            // Met by the plain rule only: a narrower choice is not enough for every call.
            let met = clause
                .iter()
                .any(|r| chosen.iter().any(|g| plainly_covers(g, r)));
            if !met {
                chosen.push(preferred(&clause));
            }
        }
    }
    // Drop what a broader choice made later covers (`modules.leads.ALL`, then `modules.ALL`).
    let mut out: Vec<String> = Vec::new();
    for (i, s) in chosen.iter().enumerate() {
        let redundant = chosen
            .iter()
            .enumerate()
            .any(|(j, other)| j != i && parse(s).is_some() && covers_strictly(other, s, j < i))
            || out.iter().any(|o| o.eq_ignore_ascii_case(s));
        if !redundant {
            out.push(s.clone());
        }
    }
    out
}

/// `a` covers `b` by the plain rule: same service, parent-or-same name, operation `ALL` or the
/// same.
fn plainly_covers(a: &str, b: &str) -> bool {
    let (Some(pa), Some(pb)) = (parse(a), parse(b)) else {
        return false;
    };
    pa.service.eq_ignore_ascii_case(pb.service)
        && is_parent_or_same(pa.name, pb.name)
        && (is_all(pa.operation) || pa.operation.eq_ignore_ascii_case(pb.operation))
}

/// `a` plainly covers `b` and is not the same scope unless `tie` (keeps the first of two).
fn covers_strictly(a: &str, b: &str, tie: bool) -> bool {
    plainly_covers(a, b) && (tie || !a.eq_ignore_ascii_case(b))
}

/// The scopes granted to a token: from the token answer's `scope`, or from configuration.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct GrantedScopes {
    scopes: Vec<String>,
}

impl fmt::Debug for GrantedScopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.scopes).finish()
    }
}

impl fmt::Display for GrantedScopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scopes.join(","))
    }
}

impl GrantedScopes {
    /// Scopes from text as Zoho writes them: separated by commas (grant requests) or spaces
    /// (token answers). Empty items are dropped; the order is kept.
    pub fn parse(text: &str) -> Self {
        let mut scopes: Vec<String> = Vec::new();
        for s in text.split(|c: char| c == ',' || c.is_whitespace()) {
            if !s.is_empty() && !scopes.iter().any(|x| x == s) {
                scopes.push(s.to_owned());
            }
        }
        GrantedScopes { scopes }
    }

    /// The scopes, as given.
    pub fn as_slice(&self) -> &[String] {
        &self.scopes
    }

    /// Whether no scope is listed.
    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty()
    }

    /// Whether one of these scopes covers `required` (see [`covers`]).
    pub fn covers(&self, required: &str) -> bool {
        parse(required).is_none() || self.scopes.iter().any(|g| covers(g, required))
    }

    /// The scopes to add for a call of `spec`, one per clause these scopes do not meet (empty:
    /// the call may go).
    pub fn missing(&self, spec: &OpSpec) -> Vec<String> {
        let mut missing = Vec::new();
        for clause in clauses(spec) {
            if !clause.iter().any(|r| self.covers(r)) {
                missing.push(preferred(clause));
            }
        }
        missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broader_or_equal_grant_covers() {
        for (granted, required) in [
            ("ZohoCRM.modules.ALL", "ZohoCRM.modules.leads.READ"),
            ("ZohoCRM.modules.ALL", "ZohoCRM.modules.ALL"),
            ("ZohoCRM.modules.leads.ALL", "ZohoCRM.modules.leads.CREATE"),
            ("ZohoCRM.settings.ALL", "ZohoCRM.settings.fields.READ"),
            ("ZohoCRM.settings.ALL", "ZohoCRM.settings.territories.ALL"),
            ("ZohoCRM.coql.READ", "ZohoCRM.coql.READ"),
            ("zohocrm.Modules.all", "ZohoCRM.modules.notes.ALL"),
            ("ZohoCRM.users.ALL", "ZohoCRM.users.All"),
        ] {
            assert!(covers(granted, required), "{granted} covers {required}");
        }
    }

    #[test]
    fn a_narrower_grant_counts_inside_a_broad_all_only() {
        // The spec names `modules.ALL` for every record call; a module grant reads that module.
        assert!(covers("ZohoCRM.modules.leads.READ", "ZohoCRM.modules.ALL"));
        assert!(covers(
            "ZohoCRM.settings.fields.READ",
            "ZohoCRM.settings.ALL"
        ));
        assert!(covers("ZohoCRM.bulk.CREATE", "ZohoCRM.bulk.ALL"));
        // Not inside a specific operation, nor across families or services.
        assert!(!covers(
            "ZohoCRM.modules.leads.READ",
            "ZohoCRM.modules.DELETE"
        ));
        assert!(!covers("ZohoCRM.modules.ALL", "ZohoCRM.coql.READ"));
        assert!(!covers(
            "ZohoCRM.modules.ALL",
            "ZohoCRM.settings.fields.READ"
        ));
        assert!(!covers("ZohoCRM.settings.ALL", "ZohoCRM.users.ALL"));
        assert!(!covers("ZohoCRM.features.CREATE", "ZohoCRM.features.READ"));
        assert!(!covers(
            "ZohoCRM.modules.READ",
            "ZohoCRM.modules.leads.CREATE"
        ));
        assert!(!covers("ZohoFiles.files.ALL", "ZohoCRM.files.READ"));
        assert!(!covers(
            "ZohoCRM.modulesx.ALL",
            "ZohoCRM.modules.leads.READ"
        ));
    }

    #[test]
    fn unknown_shapes_never_block() {
        for required in [
            "ZohoCRM.modules.{module_API_name}.ALL",
            "ZohoCRM.settings.currencies.{operation_type}",
            "settings.fiscal_year.READ",
            "ZohoCRM.coql",
            "",
        ] {
            assert!(covers("ZohoCRM.users.READ", required), "{required}");
            assert!(GrantedScopes::default().covers(required), "{required}");
        }
        // A granted scope of an unknown shape covers nothing.
        assert!(!covers("ZohoCRM.modules", "ZohoCRM.modules.ALL"));
        assert!(!covers("", "ZohoCRM.modules.ALL"));
    }

    fn spec(id: &'static str, scopes: &'static [&'static str]) -> OpSpec {
        OpSpec {
            id,
            scopes,
            ..crate::records::CoqlQuery::SPEC
        }
    }

    #[test]
    fn coql_needs_the_coql_scope_and_a_module_scope() {
        let coql = crate::records::CoqlQuery::SPEC;
        let r = required(&coql);
        assert_eq!(r.clauses.len(), 2);
        assert_eq!(r.clauses[0], vec!["ZohoCRM.coql.READ"]);
        let modules = GrantedScopes::parse("ZohoCRM.modules.ALL ZohoCRM.settings.ALL");
        assert_eq!(modules.missing(&coql), vec!["ZohoCRM.coql.READ"]);
        let both = GrantedScopes::parse("ZohoCRM.modules.leads.READ,ZohoCRM.coql.READ");
        assert!(both.missing(&coql).is_empty());
        let coql_only = GrantedScopes::parse("ZohoCRM.coql.READ");
        assert_eq!(coql_only.missing(&coql), vec!["ZohoCRM.modules.ALL"]);
    }

    #[test]
    fn listed_scopes_are_alternatives() {
        let s = spec(
            "related_lists.get",
            &[
                "ZohoCRM.settings.all",
                "ZohoCRM.settings.related_lists.read",
            ],
        );
        assert!(GrantedScopes::parse("ZohoCRM.settings.related_lists.READ")
            .missing(&s)
            .is_empty());
        assert_eq!(
            GrantedScopes::parse("ZohoCRM.modules.ALL").missing(&s),
            vec!["ZohoCRM.settings.ALL"]
        );
        // No scope declared: nothing is needed.
        assert!(GrantedScopes::default()
            .missing(&spec("x.y", &[]))
            .is_empty());
    }

    #[test]
    fn the_minimal_set_is_deduplicated_and_drops_covered_scopes() {
        let list = crate::records::ListRecords::SPEC;
        let coql = crate::records::CoqlQuery::SPEC;
        assert_eq!(
            minimal([&list, &coql, &list]),
            vec!["ZohoCRM.modules.ALL", "ZohoCRM.coql.READ"]
        );
        let leads = spec("a.leads", &["ZohoCRM.modules.leads.READ"]);
        let all = spec("a.all", &["ZohoCRM.Modules.all"]);
        assert_eq!(minimal([&leads, &all]), vec!["ZohoCRM.modules.ALL"]);
        let fields = spec("a.fields", &["ZohoCRM.settings.fields.ALL"]);
        let settings = spec("a.settings", &["ZohoCRM.settings.ALL"]);
        assert_eq!(minimal([&settings, &fields]), vec!["ZohoCRM.settings.ALL"]);
        assert!(minimal([]).is_empty());
    }

    #[test]
    fn granted_scopes_parse_commas_and_spaces() {
        let g =
            GrantedScopes::parse(" ZohoCRM.modules.ALL ZohoCRM.settings.ALL,ZohoCRM.coql.READ,,");
        assert_eq!(
            g.as_slice(),
            [
                "ZohoCRM.modules.ALL",
                "ZohoCRM.settings.ALL",
                "ZohoCRM.coql.READ"
            ]
        );
        assert_eq!(
            g.to_string(),
            "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.coql.READ"
        );
        assert!(GrantedScopes::parse(" , ").is_empty());
    }
}
