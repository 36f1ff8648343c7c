//! COQL (`POST /crm/v8/coql`): a small query builder whose values are escaped, raw queries, and
//! automatic paging with `limit offset, count` (at most 2,000 rows per call, 100,000 in all).
//!
//! ```
//! use zohocrm_core::records::{Coql, Cond, SortOrder};
//!
//! let q = Coql::select(["Last_Name", "Email"])
//!     .from("Leads")
//!     .filter(Cond::eq("Last_Name", "O'Brien").and(Cond::gt("Annual_Revenue", 1000)).and(Cond::is_not_null("Email")))
//!     .order_by("id", SortOrder::Asc)
//!     .limit(2000);
//! assert_eq!(
//!     q.to_query().unwrap(),
//!     "select Last_Name, Email from Leads where ((Last_Name = 'O''Brien' and Annual_Revenue > 1000) \
//!      and Email is not null) order by id asc limit 0, 2000"
//! );
//! ```

use serde::{Deserialize, Serialize};

use super::{parse_record_page, RecordPage, SortOrder, MAX_FIELDS, MAX_REACHABLE};
use crate::endpoint::{Endpoint, Paginated};
use crate::error::{BuildError, Error};
use crate::request::RequestParts;

/// Rows per COQL call (Zoho's maximum `limit`).
pub const MAX_LIMIT: u32 = 2_000;

/// A value in a condition: a string (quoted, `'` doubled as COQL requires), a number or a
/// boolean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Literal {
    /// A boolean.
    Bool(bool),
    /// A number, written as is.
    Number(serde_json::Number),
    /// A string (also dates and date-times, e.g. `'2024-01-31T00:00:00+00:00'`).
    Text(String),
}

impl Literal {
    fn write(&self, out: &mut String) {
        match self {
            Literal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Literal::Number(n) => out.push_str(&n.to_string()),
            Literal::Text(s) => {
                out.push('\'');
                out.push_str(&s.replace('\'', "''"));
                out.push('\'');
            }
        }
    }
}

impl From<&str> for Literal {
    fn from(s: &str) -> Self {
        Literal::Text(s.to_owned())
    }
}

impl From<String> for Literal {
    fn from(s: String) -> Self {
        Literal::Text(s)
    }
}

impl From<&String> for Literal {
    fn from(s: &String) -> Self {
        Literal::Text(s.clone())
    }
}

impl From<bool> for Literal {
    fn from(b: bool) -> Self {
        Literal::Bool(b)
    }
}

macro_rules! number_literal {
    ($($t:ty),*) => {$(
        impl From<$t> for Literal {
            fn from(n: $t) -> Self {
                Literal::Number(n.into())
            }
        }
    )*};
}

number_literal!(i32, i64, u32, u64);

impl From<f64> for Literal {
    fn from(n: f64) -> Self {
        serde_json::Number::from_f64(n).map_or(Literal::Text(n.to_string()), Literal::Number)
    }
}

/// A `where` condition. Combined conditions are always fully parenthesised, as Zoho requires
/// for more than two.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Cond {
    /// `field op value`.
    Compare {
        /// The field (API name or lookup path such as `Account_Name.Account_Name`).
        field: String,
        /// The operator: `=`, `!=`, `>`, `>=`, `<`, `<=`, `like`, `not like`.
        op: String,
        /// The value.
        value: Literal,
    },
    /// `field [not] in (values)`.
    In {
        /// The field.
        field: String,
        /// `not in` when true.
        negated: bool,
        /// The values (at most 50).
        values: Vec<Literal>,
    },
    /// `field [not] between low and high`.
    Between {
        /// The field.
        field: String,
        /// `not between` when true.
        negated: bool,
        /// The lower bound.
        low: Literal,
        /// The upper bound.
        high: Literal,
    },
    /// `field is [not] null`.
    Null {
        /// The field.
        field: String,
        /// `is not null` when true.
        negated: bool,
    },
    /// Both hold.
    And(Box<Cond>, Box<Cond>),
    /// Either holds.
    Or(Box<Cond>, Box<Cond>),
}

macro_rules! comparisons {
    ($($(#[$doc:meta])* $name:ident => $op:literal),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(field: &str, value: impl Into<Literal>) -> Self {
            Cond::Compare { field: field.to_owned(), op: $op.to_owned(), value: value.into() }
        }
    )*};
}

impl Cond {
    comparisons! {
        /// `field = value`.
        eq => "=",
        /// `field != value`.
        ne => "!=",
        /// `field > value`.
        gt => ">",
        /// `field >= value`.
        ge => ">=",
        /// `field < value`.
        lt => "<",
        /// `field <= value`.
        le => "<=",
        /// `field like 'pattern'` (`%x`, `x%`, `%x%`).
        like => "like",
        /// `field not like 'pattern'`.
        not_like => "not like",
    }

    /// `field in (values)`.
    pub fn is_in<V: Into<Literal>>(field: &str, values: impl IntoIterator<Item = V>) -> Self {
        Cond::In {
            field: field.to_owned(),
            negated: false,
            values: values.into_iter().map(Into::into).collect(),
        }
    }

    /// `field not in (values)`.
    pub fn not_in<V: Into<Literal>>(field: &str, values: impl IntoIterator<Item = V>) -> Self {
        Cond::In {
            field: field.to_owned(),
            negated: true,
            values: values.into_iter().map(Into::into).collect(),
        }
    }

    /// `field between low and high`.
    pub fn between(field: &str, low: impl Into<Literal>, high: impl Into<Literal>) -> Self {
        Cond::Between {
            field: field.to_owned(),
            negated: false,
            low: low.into(),
            high: high.into(),
        }
    }

    /// `field not between low and high`.
    pub fn not_between(field: &str, low: impl Into<Literal>, high: impl Into<Literal>) -> Self {
        Cond::Between {
            field: field.to_owned(),
            negated: true,
            low: low.into(),
            high: high.into(),
        }
    }

    /// `field is null`.
    pub fn is_null(field: &str) -> Self {
        Cond::Null {
            field: field.to_owned(),
            negated: false,
        }
    }

    /// `field is not null`.
    pub fn is_not_null(field: &str) -> Self {
        Cond::Null {
            field: field.to_owned(),
            negated: true,
        }
    }

    /// `(self and other)`.
    pub fn and(self, other: Cond) -> Self {
        Cond::And(Box::new(self), Box::new(other))
    }

    /// `(self or other)`.
    pub fn or(self, other: Cond) -> Self {
        Cond::Or(Box::new(self), Box::new(other))
    }

    fn write(&self, out: &mut String, count: &mut usize) -> Result<(), BuildError> {
        match self {
            Cond::And(a, b) | Cond::Or(a, b) => {
                out.push('(');
                a.write(out, count)?;
                out.push_str(if matches!(self, Cond::And(..)) {
                    " and "
                } else {
                    " or "
                });
                b.write(out, count)?;
                out.push(')');
                return Ok(());
            }
            _ => *count += 1,
        }
        match self {
            Cond::Compare { field, op, value } => {
                check_op(op)?;
                write_field(out, field)?;
                out.push(' ');
                out.push_str(op);
                out.push(' ');
                value.write(out);
            }
            Cond::In {
                field,
                negated,
                values,
            } => {
                if values.is_empty() || values.len() > 50 {
                    return Err(BuildError::Invalid {
                        param: "select_query",
                        reason: format!("`in` takes 1 to 50 values, got {}", values.len()),
                    });
                }
                write_field(out, field)?;
                out.push_str(if *negated { " not in (" } else { " in (" });
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write(out);
                }
                out.push(')');
            }
            Cond::Between {
                field,
                negated,
                low,
                high,
            } => {
                write_field(out, field)?;
                out.push_str(if *negated {
                    " not between "
                } else {
                    " between "
                });
                low.write(out);
                out.push_str(" and ");
                high.write(out);
            }
            Cond::Null { field, negated } => {
                write_field(out, field)?;
                out.push_str(if *negated { " is not null" } else { " is null" });
            }
            Cond::And(..) | Cond::Or(..) => {}
        }
        Ok(())
    }
}

fn check_op(op: &str) -> Result<(), BuildError> {
    if matches!(
        op,
        "=" | "!=" | ">" | ">=" | "<" | "<=" | "like" | "not like"
    ) {
        Ok(())
    } else {
        Err(BuildError::Invalid {
            param: "select_query",
            reason: format!("unknown operator `{op}`"),
        })
    }
}

/// Field names are written bare, so only names that cannot alter the query are accepted:
/// letters, digits, `_`, `$`, and `.` between lookup levels.
fn write_field(out: &mut String, field: &str) -> Result<(), BuildError> {
    let ok = !field.is_empty()
        && field.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        });
    if !ok {
        return Err(BuildError::Invalid {
            param: "select_query",
            reason: format!("`{field}` is not a field API name"),
        });
    }
    out.push_str(field);
    Ok(())
}

/// A COQL `select` being built; start with [`Coql::select`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
pub struct Select {
    fields: Vec<String>,
}

/// A COQL query built from parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
pub struct Coql {
    fields: Vec<String>,
    module: String,
    #[serde(default)]
    filter: Option<Cond>,
    #[serde(default)]
    order_by: Vec<(String, SortOrder)>,
    #[serde(default)]
    offset: u64,
    #[serde(default)]
    limit: Option<u32>,
}

impl Coql {
    /// `select fields ...`.
    pub fn select<S: Into<String>>(fields: impl IntoIterator<Item = S>) -> Select {
        Select {
            fields: fields.into_iter().map(Into::into).collect(),
        }
    }

    /// `where cond`.
    pub fn filter(mut self, cond: Cond) -> Self {
        self.filter = Some(cond);
        self
    }

    /// Adds an `order by` field.
    pub fn order_by(mut self, field: impl Into<String>, order: SortOrder) -> Self {
        self.order_by.push((field.into(), order));
        self
    }

    /// Rows per call (at most 2,000; Zoho's default is 200).
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// Skips this many rows.
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = n;
        self
    }

    /// The query text.
    pub fn to_query(&self) -> Result<String, BuildError> {
        if self.fields.is_empty() || self.fields.len() > MAX_FIELDS {
            return Err(BuildError::Invalid {
                param: "select_query",
                reason: format!("select 1 to {MAX_FIELDS} fields, got {}", self.fields.len()),
            });
        }
        let mut out = String::with_capacity(128);
        out.push_str("select ");
        for (i, f) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write_field(&mut out, f)?;
        }
        out.push_str(" from ");
        write_field(&mut out, &self.module)?;
        if let Some(cond) = &self.filter {
            out.push_str(" where ");
            let mut count = 0;
            cond.write(&mut out, &mut count)?;
            if count > 25 {
                return Err(BuildError::Invalid {
                    param: "select_query",
                    reason: format!("at most 25 conditions, got {count}"),
                });
            }
        }
        if !self.order_by.is_empty() {
            out.push_str(" order by ");
            for (i, (f, o)) in self.order_by.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_field(&mut out, f)?;
                out.push_str(if *o == SortOrder::Asc {
                    " asc"
                } else {
                    " desc"
                });
            }
        }
        let limit = self.limit.unwrap_or(200);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(BuildError::Invalid {
                param: "select_query",
                reason: format!("limit between 1 and {MAX_LIMIT}, got {limit}"),
            });
        }
        if self.offset + u64::from(limit) > MAX_REACHABLE {
            return Err(BuildError::Invalid {
                param: "select_query",
                reason: format!("offset + limit may not pass {MAX_REACHABLE}"),
            });
        }
        out.push_str(&format!(" limit {}, {limit}", self.offset));
        Ok(out)
    }
}

impl Select {
    /// `from module`.
    pub fn from(self, module: impl Into<String>) -> Coql {
        Coql {
            fields: self.fields,
            module: module.into(),
            filter: None,
            order_by: Vec::new(),
            offset: 0,
            limit: None,
        }
    }
}

/// The query of a [`CoqlQuery`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Query {
    Built(Coql),
    Raw(String),
}

/// The trailing `limit` clause of a raw COQL query (`limit N`, `limit OFFSET, N` or
/// `limit N offset OFFSET`, an optional `;` after it): what a raw query pages by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLimit {
    /// The query before `limit`, trimmed.
    pub head: String,
    /// The offset (0 when not written).
    pub offset: u64,
    /// Rows per call.
    pub count: u64,
}

impl RawLimit {
    /// Finds the trailing `limit` clause of `query`; `None` when it has none this parser reads
    /// (the query then runs once).
    pub fn of(query: &str) -> Option<RawLimit> {
        let number = |t: &str| {
            (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse::<u64>().ok())
                .flatten()
        };
        let trimmed = query.trim().trim_end_matches(';').trim_end();
        let lower = trimmed.to_ascii_lowercase();
        // The last `limit` preceded by whitespace; what follows must be only the clause, so a
        // `limit` inside a string literal (which ends with a quote) never matches.
        let at = lower
            .match_indices("limit")
            .map(|(i, _)| i)
            .filter(|&i| i > 0 && lower.as_bytes()[i - 1].is_ascii_whitespace())
            .last()?;
        let clause = &lower[at + "limit".len()..];
        if !clause.starts_with(|c: char| c.is_ascii_whitespace()) {
            return None;
        }
        let spaced = clause.replace(',', " , ");
        let tokens: Vec<&str> = spaced.split_whitespace().collect();
        let (offset, count) = match tokens.as_slice() {
            [n] => (0, number(n)?),
            [o, ",", n] => (number(o)?, number(n)?),
            [n, "offset", o] => (number(o)?, number(n)?),
            _ => return None,
        };
        (count > 0).then(|| RawLimit {
            head: trimmed[..at].trim_end().to_owned(),
            offset,
            count,
        })
    }

    /// The query for rows `offset..offset + count`.
    pub fn query(&self, offset: u64, count: u64) -> String {
        format!("{} limit {offset}, {count}", self.head)
    }
}

/// Runs a COQL query (`POST /crm/v8/coql`); rows come back as records. A built query pages
/// automatically (its `offset` moves by the rows received); a raw one pages the same way when
/// it ends with a `limit` clause ([`RawLimit`]), and runs once otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct CoqlQuery {
    #[serde(rename = "select_query")]
    query: Query,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    include_meta: Vec<String>,
}

impl CoqlQuery {
    /// A built query.
    pub fn new(query: Coql) -> Self {
        CoqlQuery {
            query: Query::Built(query),
            include_meta: Vec::new(),
        }
    }

    /// A query written by hand, sent as is (no paging: write `limit` yourself).
    pub fn raw(query: impl Into<String>) -> Self {
        CoqlQuery {
            query: Query::Raw(query.into()),
            include_meta: Vec::new(),
        }
    }

    /// Asks for field metadata too (`include_meta: ["fields"]`).
    pub fn include_fields_meta(mut self) -> Self {
        self.include_meta = vec!["fields".into()];
        self
    }

    /// The query text sent.
    pub fn text(&self) -> Result<String, BuildError> {
        match &self.query {
            Query::Built(q) => q.to_query(),
            Query::Raw(q) => {
                BuildError::require("select_query", q)?;
                Ok(q.clone())
            }
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    select_query: String,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    include_meta: &'a [String],
}

impl From<Coql> for CoqlQuery {
    fn from(q: Coql) -> Self {
        CoqlQuery::new(q)
    }
}

impl Endpoint for CoqlQuery {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = RecordPage;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        let body = Body {
            select_query: self.text()?,
            include_meta: &self.include_meta,
        };
        // A query reads only: replaying it after a dropped connection is safe.
        Ok(RequestParts::post("/crm/v8/coql")
            .json(&body)?
            .idempotent(true))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<RecordPage, Error> {
        parse_record_page(Self::ID, &response)
    }
}

impl Paginated for CoqlQuery {
    fn next_page(&self, output: &RecordPage) -> Option<Self> {
        let rows = output.records.len() as u64;
        if rows == 0 || !output.info.has_more() {
            return None;
        }
        let q = match &self.query {
            Query::Built(q) => q,
            Query::Raw(text) => {
                // The same rule as a built query: the offset moves by the rows received.
                let limit = RawLimit::of(text)?;
                let offset = limit.offset.checked_add(rows)?;
                let remaining = MAX_REACHABLE.checked_sub(offset).filter(|r| *r > 0)?;
                return Some(CoqlQuery {
                    query: Query::Raw(limit.query(offset, limit.count.min(remaining))),
                    include_meta: self.include_meta.clone(),
                });
            }
        };
        let offset = q.offset + rows;
        let limit = u64::from(q.limit.unwrap_or(200));
        let remaining = MAX_REACHABLE.checked_sub(offset).filter(|r| *r > 0)?;
        let mut next = q.clone().offset(offset);
        next.limit = Some(limit.min(remaining) as u32);
        Some(CoqlQuery {
            query: Query::Built(next),
            include_meta: self.include_meta.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_queries_page_by_their_limit_clause() {
        let l = RawLimit::of("select Email from Leads where x = 1 LIMIT 200;").unwrap();
        assert_eq!(
            (l.head.as_str(), l.offset, l.count),
            ("select Email from Leads where x = 1", 0, 200)
        );
        assert_eq!(
            RawLimit::of("select a from B limit 5, 10").map(|l| (l.offset, l.count)),
            Some((5, 10))
        );
        assert_eq!(
            RawLimit::of("select a from B limit 10 offset 5").map(|l| (l.offset, l.count)),
            Some((5, 10))
        );
        for none in [
            "select a from B",
            "select a from B where c = 'limit 5'",
            "select a from B limit 0",
            "x limit y",
        ] {
            assert_eq!(RawLimit::of(none), None, "{none}");
        }
        let page = |rows: usize, more: bool| RecordPage {
            records: (0..rows).map(|_| crate::Record::new()).collect(),
            info: crate::PageInfo {
                more_records: Some(more),
                ..Default::default()
            },
            ..Default::default()
        };
        let q = CoqlQuery::raw("select a from B limit 2");
        let next = q.next_page(&page(2, true)).unwrap();
        assert_eq!(
            serde_json::to_value(&next).unwrap()["select_query"],
            "select a from B limit 2, 2"
        );
        assert!(next.next_page(&page(2, false)).is_none());
        assert!(q.next_page(&page(0, true)).is_none());
        assert!(CoqlQuery::raw("select a from B")
            .next_page(&page(2, true))
            .is_none());
    }

    #[test]
    fn values_cannot_change_the_query() {
        let q = Coql::select(["id"])
            .from("Leads")
            .filter(Cond::eq("Last_Name", "x' or 1=1 --"))
            .to_query()
            .unwrap();
        assert_eq!(
            q,
            "select id from Leads where Last_Name = 'x'' or 1=1 --' limit 0, 200"
        );
        for bad in ["Last_Name = 'a' or", "a b", "", "a..b", "x'"] {
            assert!(
                Coql::select([bad]).from("Leads").to_query().is_err(),
                "{bad}"
            );
            assert!(Coql::select(["id"])
                .from("Leads")
                .filter(Cond::is_null(bad))
                .to_query()
                .is_err());
        }
    }

    #[test]
    fn every_operator() {
        let c = Cond::is_in("Lead_Status", ["New", "Lost"])
            .or(Cond::not_in("Rating", [1, 2]))
            .and(Cond::between(
                "Created_Time",
                "2024-01-01T00:00:00+00:00",
                "2024-12-31T23:59:59+00:00",
            ))
            .and(Cond::not_between("Amount", 1.5, 2))
            .and(Cond::like("Email", "%@x.test").or(Cond::not_like("Email", "%spam%")))
            .and(
                Cond::ne("Converted", true)
                    .and(Cond::ge("A", 1))
                    .and(Cond::le("B", 2)),
            )
            .and(Cond::lt("C", 3).and(Cond::is_null("D")));
        let q = Coql::select(["id"])
            .from("Leads")
            .filter(c)
            .to_query()
            .unwrap();
        assert_eq!(
            q,
            "select id from Leads where ((((((Lead_Status in ('New', 'Lost') or Rating not in (1, 2)) \
             and Created_Time between '2024-01-01T00:00:00+00:00' and '2024-12-31T23:59:59+00:00') \
             and Amount not between 1.5 and 2) and (Email like '%@x.test' or Email not like '%spam%')) \
             and ((Converted != true and A >= 1) and B <= 2)) and (C < 3 and D is null)) limit 0, 200"
        );
    }

    #[test]
    fn limits_are_checked() {
        assert!(Coql::select(["id"])
            .from("Leads")
            .limit(2001)
            .to_query()
            .is_err());
        assert!(Coql::select(["id"])
            .from("Leads")
            .offset(99_000)
            .limit(2000)
            .to_query()
            .is_err());
        let many = (0..26).fold(Cond::eq("a", 1), |c, i| c.and(Cond::eq("b", i)));
        assert!(Coql::select(["id"])
            .from("Leads")
            .filter(many)
            .to_query()
            .is_err());
        assert!(Coql::select(["id"])
            .from("Leads")
            .filter(Cond::is_in("a", Vec::<i32>::new()))
            .to_query()
            .is_err());
        assert!(CoqlQuery::raw("  ").parts().is_err());
    }

    #[test]
    fn paging_moves_the_offset_and_stops() {
        let q = CoqlQuery::new(Coql::select(["id"]).from("Leads").limit(2000));
        let page = |n: usize, more: bool| RecordPage {
            records: vec![crate::Record::new(); n],
            info: crate::PageInfo {
                more_records: Some(more),
                count: Some(n as u64),
                ..Default::default()
            },
            not_modified: false,
        };
        let next = q.next_page(&page(2000, true)).unwrap();
        assert_eq!(
            next.text().unwrap(),
            "select id from Leads limit 2000, 2000"
        );
        assert!(next.next_page(&page(10, false)).is_none());
        assert!(q.next_page(&page(0, true)).is_none());
        let near_end = CoqlQuery::new(
            Coql::select(["id"])
                .from("Leads")
                .offset(97_000)
                .limit(2000),
        );
        let last = near_end.next_page(&page(2000, true)).unwrap();
        assert_eq!(
            last.text().unwrap(),
            "select id from Leads limit 99000, 1000"
        );
        assert!(last.next_page(&page(1000, true)).is_none());
        assert!(CoqlQuery::raw("select id from Leads")
            .next_page(&page(5, true))
            .is_none());
    }
}
