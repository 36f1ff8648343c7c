//! A pure query engine over records (JSON field maps): Zoho's search `criteria` parameter and
//! COQL (`POST /crm/v8/coql`). No IO and no server state: the records store hands records in.
//!
//! Choices where Zoho's documentation is silent:
//! - the negative operators (`!=`, `not_equal`, `not in`, `not like`, `not between`) match
//!   exactly the records the positive one does not, records with an empty field included;
//! - on a multi-valued field (multi-select picklist, multi-select lookup) a positive operator
//!   matches when any element does;
//! - comparisons are those of `value.rs`: numeric, then date-time, then case-insensitive text.

mod coql;
mod criteria;
mod value;

use serde_json::{Map, Value};

use crate::util::Response;
use value::Scalar;

/// One record: its full field map (what the records store holds).
pub(crate) type Record = Map<String, Value>;

/// A parsed condition of either language.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Test(Test),
}

/// One `field operator value` condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Test {
    /// The field's path: `["Owner", "name"]` for `Owner.name`.
    pub path: Vec<String>,
    pub op: Op,
    /// Matches where the positive form does not (`!=`, `not in`, …).
    pub negated: bool,
    /// A lookup also equals its `name` (search's `equals`/`in`; COQL compares ids only).
    pub lookup_by_name: bool,
}

/// The positive operators; their negations set [`Test::negated`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// Equal to any of the values (`=`, `equals`, `in`).
    In(Vec<Scalar>),
    Greater(Scalar),
    GreaterEq(Scalar),
    Less(Scalar),
    LessEq(Scalar),
    /// Inclusive bounds.
    Between(Scalar, Scalar),
    /// Starts with any of the prefixes (search's `starts_with`; `%` is literal there).
    StartsWith(Vec<String>),
    /// SQL `like` with `%` wildcards.
    Like(String),
    IsNull,
}

impl Cond {
    /// Whether `record` satisfies the condition.
    pub(crate) fn matches(&self, record: &Map<String, Value>) -> bool {
        match self {
            Cond::And(a, b) => a.matches(record) && b.matches(record),
            Cond::Or(a, b) => a.matches(record) || b.matches(record),
            Cond::Test(t) => t.matches(record),
        }
    }

    /// How many `field operator value` conditions it holds.
    pub(crate) fn count(&self) -> usize {
        match self {
            Cond::And(a, b) | Cond::Or(a, b) => a.count() + b.count(),
            Cond::Test(_) => 1,
        }
    }

    /// Every field path it reads.
    pub(crate) fn paths(&self) -> Vec<&[String]> {
        match self {
            Cond::And(a, b) | Cond::Or(a, b) => {
                let mut v = a.paths();
                v.extend(b.paths());
                v
            }
            Cond::Test(t) => vec![&t.path],
        }
    }
}

impl Test {
    fn matches(&self, record: &Map<String, Value>) -> bool {
        use std::cmp::Ordering::{Greater, Less};
        let vals = value::scalars_at(record, &self.path);
        let any = |f: &dyn Fn(&Scalar) -> bool| vals.iter().any(f);
        let positive = match &self.op {
            Op::IsNull => vals.is_empty(),
            Op::In(lits) => any(&|v| {
                lits.iter()
                    .any(|l| value::equals(v, l, self.lookup_by_name))
            }),
            Op::Greater(l) => any(&|v| value::compare(v, l) == Greater),
            Op::GreaterEq(l) => any(&|v| value::compare(v, l) != Less),
            Op::Less(l) => any(&|v| value::compare(v, l) == Less),
            Op::LessEq(l) => any(&|v| value::compare(v, l) != Greater),
            Op::Between(lo, hi) => {
                any(&|v| value::compare(v, lo) != Less && value::compare(v, hi) != Greater)
            }
            Op::StartsWith(prefixes) => {
                any(&|v| prefixes.iter().any(|p| value::starts_with(v.text(), p)))
            }
            Op::Like(pattern) => any(&|v| value::like(v.text(), pattern)),
        };
        positive != self.negated
    }
}

/// Zoho search `criteria` parameter, e.g. `((Last_Name:equals:Burns\,B)and(First_Name:starts_with:M))`.
///
/// Errors are whole 400 responses: `INVALID_QUERY` ("invalid query formed", `details.reason`),
/// or `LIMIT_EXCEEDED` beyond 10 criteria.
pub(crate) fn parse_criteria(s: &str) -> Result<Cond, Response> {
    criteria::parse(s)
}

/// The whole `POST /crm/v8/coql` handler: `body` is the raw request body, `records_of(module)`
/// gives all records of a module (id ascending) or `None` for an unknown module.
pub(crate) fn coql(body: &[u8], records_of: &dyn Fn(&str) -> Option<Vec<Record>>) -> Response {
    coql::handle(body, records_of)
}
