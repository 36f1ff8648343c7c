//! Search (`GET /crm/v8/{module}/search`) with an escaping [`Criteria`] builder, record counts
//! (`GET .../actions/count`) and deleted records (`GET .../deleted`).

use serde::{Deserialize, Serialize};

use super::{check_fields, check_module, check_paging, parse_record_page, RecordPage};
use crate::endpoint::{Endpoint, Paginated};
use crate::error::{BuildError, Error};
use crate::pagination::{next_cursor, Cursor};
use crate::request::RequestParts;
use crate::response::decode_json;

/// A search criteria expression, e.g. `((Last_Name:equals:Burns\,B)and(City:starts_with:Par))`.
///
/// Values are escaped (`(`, `)`, `,` and `\` get a backslash, as Zoho requires), so user input
/// cannot change the expression's structure.
///
/// ```
/// use zohocrm_core::records::Criteria;
///
/// let c = Criteria::equals("Last_Name", "Burns,B").and(Criteria::starts_with("City", "Par(is)"));
/// assert_eq!(c.as_str(), r"((Last_Name:equals:Burns\,B)and(City:starts_with:Par\(is\)))");
/// assert_eq!(Criteria::is_in("Lead_Status", ["New", "Lost"]).as_str(), "(Lead_Status:in:New,Lost)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Criteria(String);

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    for c in value.chars() {
        if matches!(c, '(' | ')' | ',' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Criteria {
    fn op(field: &str, op: &str, value: &str) -> Self {
        Criteria(format!("({field}:{op}:{})", escape(value)))
    }

    /// `field` equals `value`.
    pub fn equals(field: &str, value: impl ToString) -> Self {
        Self::op(field, "equals", &value.to_string())
    }

    /// `field` differs from `value`.
    pub fn not_equal(field: &str, value: impl ToString) -> Self {
        Self::op(field, "not_equal", &value.to_string())
    }

    /// `field` starts with `value`.
    pub fn starts_with(field: &str, value: impl ToString) -> Self {
        Self::op(field, "starts_with", &value.to_string())
    }

    /// `field` > `value`.
    pub fn greater_than(field: &str, value: impl ToString) -> Self {
        Self::op(field, "greater_than", &value.to_string())
    }

    /// `field` ≥ `value`.
    pub fn greater_equal(field: &str, value: impl ToString) -> Self {
        Self::op(field, "greater_equal", &value.to_string())
    }

    /// `field` < `value`.
    pub fn less_than(field: &str, value: impl ToString) -> Self {
        Self::op(field, "less_than", &value.to_string())
    }

    /// `field` ≤ `value`.
    pub fn less_equal(field: &str, value: impl ToString) -> Self {
        Self::op(field, "less_equal", &value.to_string())
    }

    /// `field` between `low` and `high`.
    pub fn between(field: &str, low: impl ToString, high: impl ToString) -> Self {
        Criteria(format!(
            "({field}:between:{},{})",
            escape(&low.to_string()),
            escape(&high.to_string())
        ))
    }

    fn list<V: ToString>(field: &str, op: &str, values: impl IntoIterator<Item = V>) -> Self {
        let joined: Vec<String> = values.into_iter().map(|v| escape(&v.to_string())).collect();
        Criteria(format!("({field}:{op}:{})", joined.join(",")))
    }

    /// `field` is one of `values`.
    pub fn is_in<V: ToString>(field: &str, values: impl IntoIterator<Item = V>) -> Self {
        Self::list(field, "in", values)
    }

    /// `field` is none of `values`.
    pub fn not_in<V: ToString>(field: &str, values: impl IntoIterator<Item = V>) -> Self {
        Self::list(field, "not_in", values)
    }

    /// Both hold.
    pub fn and(self, other: Criteria) -> Self {
        Criteria(format!("({}and{})", self.0, other.0))
    }

    /// Either holds.
    pub fn or(self, other: Criteria) -> Self {
        Criteria(format!("({}or{})", self.0, other.0))
    }

    /// A criteria string written by hand, sent as is.
    pub fn raw(criteria: impl Into<String>) -> Self {
        Criteria(criteria.into())
    }

    /// The expression.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a search or count matches on: exactly one of these.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
struct Matcher {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    criteria: Option<Criteria>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    word: Option<String>,
}

impl Matcher {
    fn count(&self) -> usize {
        [
            self.criteria.is_some(),
            self.email.is_some(),
            self.phone.is_some(),
            self.word.is_some(),
        ]
        .into_iter()
        .filter(|b| *b)
        .count()
    }

    fn apply(&self, parts: RequestParts) -> RequestParts {
        parts
            .query_opt("criteria", self.criteria.as_ref().map(Criteria::as_str))
            .query_opt("email", self.email.as_ref())
            .query_opt("phone", self.phone.as_ref())
            .query_opt("word", self.word.as_ref())
    }
}

macro_rules! matcher_setters {
    ($ty:ident) => {
        impl $ty {
            /// Records matching `criteria`.
            pub fn criteria(module: impl Into<String>, criteria: Criteria) -> Self {
                Self::with(
                    module,
                    Matcher {
                        criteria: Some(criteria),
                        ..Matcher::default()
                    },
                )
            }

            /// Records with this email (in any email field).
            pub fn email(module: impl Into<String>, email: impl Into<String>) -> Self {
                Self::with(
                    module,
                    Matcher {
                        email: Some(email.into()),
                        ..Matcher::default()
                    },
                )
            }

            /// Records with this phone number (in any phone field).
            pub fn phone(module: impl Into<String>, phone: impl Into<String>) -> Self {
                Self::with(
                    module,
                    Matcher {
                        phone: Some(phone.into()),
                        ..Matcher::default()
                    },
                )
            }

            /// Records containing this word.
            pub fn word(module: impl Into<String>, word: impl Into<String>) -> Self {
                Self::with(
                    module,
                    Matcher {
                        word: Some(word.into()),
                        ..Matcher::default()
                    },
                )
            }
        }
    };
}

/// Searches a module (`GET /crm/v8/{module}/search`) by criteria, email, phone or word. Pages by
/// page number (up to record 2,000); 204 is an empty page.
///
/// ```
/// use zohocrm_core::records::{Criteria, SearchRecords};
/// use zohocrm_core::Endpoint;
///
/// let parts = SearchRecords::criteria("Leads", Criteria::equals("Company", "A&B, Inc"))
///     .parts()
///     .unwrap();
/// assert_eq!(parts.encoded_query(), "criteria=%28Company%3Aequals%3AA%26B%5C,%20Inc%29");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct SearchRecords {
    #[serde(rename = "module_api_name", alias = "module")]
    module: String,
    #[serde(flatten)]
    matcher: Matcher,
    #[serde(default, deserialize_with = "crate::models::string_list::deserialize")]
    fields: Vec<String>,
    #[serde(default)]
    converted: Option<String>,
    #[serde(default)]
    approved: Option<String>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    per_page: Option<u32>,
}

impl SearchRecords {
    fn with(module: impl Into<String>, matcher: Matcher) -> Self {
        SearchRecords {
            module: module.into(),
            matcher,
            fields: Vec::new(),
            converted: None,
            approved: None,
            page: None,
            per_page: None,
        }
    }

    /// Only these fields (at most 50).
    pub fn fields<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.fields = fields.into_iter().map(Into::into).collect();
        self
    }

    /// Records per page (1–200).
    pub fn per_page(mut self, n: u32) -> Self {
        self.per_page = Some(n);
        self
    }

    /// This page number.
    pub fn page(mut self, n: u32) -> Self {
        self.page = Some(n);
        self
    }

    /// Converted leads: `"true"`, `"false"` or `"both"`.
    pub fn converted(mut self, converted: impl Into<String>) -> Self {
        self.converted = Some(converted.into());
        self
    }
}

matcher_setters!(SearchRecords);

fn check_matcher(m: &Matcher) -> Result<(), BuildError> {
    match m.count() {
        0 => Err(BuildError::Missing("criteria")),
        1 => {
            let blank = [
                m.criteria.as_ref().map(Criteria::as_str),
                m.email.as_deref(),
                m.phone.as_deref(),
                m.word.as_deref(),
            ]
            .into_iter()
            .flatten()
            .any(|v| v.trim().is_empty());
            if blank {
                Err(BuildError::Missing("criteria"))
            } else {
                Ok(())
            }
        }
        _ => Err(BuildError::Invalid {
            param: "criteria",
            reason: "only one of criteria, email, phone and word".into(),
        }),
    }
}

impl Endpoint for SearchRecords {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = RecordPage;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        check_module(&self.module)?;
        check_matcher(&self.matcher)?;
        check_fields(&self.fields, false)?;
        check_paging(self.page, self.per_page)?;
        let parts =
            RequestParts::get("/crm/v8/{module_api_name}/search").path_param(self.module.clone());
        Ok(self
            .matcher
            .apply(parts)
            .query_list("fields", &self.fields)
            .query_opt("converted", self.converted.as_ref())
            .query_opt("approved", self.approved.as_ref())
            .query_opt("page", self.page)
            .query_opt("per_page", self.per_page))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<RecordPage, Error> {
        parse_record_page(Self::ID, &response)
    }
}

impl Paginated for SearchRecords {
    fn next_page(&self, output: &RecordPage) -> Option<Self> {
        let had = !output.records.is_empty();
        let Cursor::Page(n) = next_cursor(self.page, None, Some(&output.info), had, false)? else {
            return None;
        };
        let mut next = self.clone();
        next.page = Some(n);
        // Past Zoho's 2,000 records by page number, searching cannot go on.
        check_paging(next.page, next.per_page).ok()?;
        Some(next)
    }
}

/// Counts records (`GET /crm/v8/{module}/actions/count`), all of them or those matching.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct CountRecords {
    #[serde(rename = "module_api_name", alias = "module")]
    module: String,
    #[serde(flatten)]
    matcher: Matcher,
    #[serde(default)]
    cvid: Option<String>,
}

impl CountRecords {
    fn with(module: impl Into<String>, matcher: Matcher) -> Self {
        CountRecords {
            module: module.into(),
            matcher,
            cvid: None,
        }
    }

    /// Every record of the module.
    pub fn all(module: impl Into<String>) -> Self {
        Self::with(module, Matcher::default())
    }

    /// Records of this custom view.
    pub fn cvid(mut self, cvid: impl Into<String>) -> Self {
        self.cvid = Some(cvid.into());
        self
    }
}

matcher_setters!(CountRecords);

/// The body of a count answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// The number of records.
    #[serde(deserialize_with = "crate::models::lenient_u64::or_zero")]
    pub count: u64,
}

impl Endpoint for CountRecords {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = u64;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        check_module(&self.module)?;
        if self.matcher.count() > 0 {
            check_matcher(&self.matcher)?;
        }
        let parts = RequestParts::get("/crm/v8/{module_api_name}/actions/count")
            .path_param(self.module.clone());
        Ok(self
            .matcher
            .apply(parts)
            .query_opt("cvid", self.cvid.as_ref()))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<u64, Error> {
        Ok(decode_json::<Count>(Self::ID, &response)?.map_or(0, |c| c.count))
    }
}

/// Which deleted records to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeletedKind {
    /// Both below (default).
    All,
    /// In the recycle bin.
    Recycle,
    /// Deleted for good.
    Permanent,
}

/// Deleted records of a module (`GET /crm/v8/{module}/deleted`), one page per call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct DeletedRecords {
    #[serde(rename = "module_api_name", alias = "module")]
    module: String,
    #[serde(default, rename = "type")]
    kind: Option<DeletedKind>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    per_page: Option<u32>,
    #[serde(default, rename = "If-Modified-Since")]
    if_modified_since: Option<String>,
}

impl DeletedRecords {
    /// Deleted records of `module` of this kind.
    pub fn new(module: impl Into<String>, kind: DeletedKind) -> Self {
        DeletedRecords {
            module: module.into(),
            kind: Some(kind),
            page: None,
            per_page: None,
            if_modified_since: None,
        }
    }

    /// Records per page (1–200).
    pub fn per_page(mut self, n: u32) -> Self {
        self.per_page = Some(n);
        self
    }

    /// Only records deleted after this time.
    pub fn if_modified_since(mut self, time: impl Into<String>) -> Self {
        self.if_modified_since = Some(time.into());
        self
    }
}

impl Endpoint for DeletedRecords {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = RecordPage;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        check_module(&self.module)?;
        check_paging(self.page, self.per_page)?;
        let kind = self.kind.map(|k| match k {
            DeletedKind::All => "all",
            DeletedKind::Recycle => "recycle",
            DeletedKind::Permanent => "permanent",
        });
        Ok(RequestParts::get("/crm/v8/{module_api_name}/deleted")
            .path_param(self.module.clone())
            .query_opt("type", kind)
            .query_opt("page", self.page)
            .query_opt("per_page", self.per_page)
            .header_opt(
                http::HeaderName::from_static("if-modified-since"),
                self.if_modified_since.clone(),
            ))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<RecordPage, Error> {
        parse_record_page(Self::ID, &response)
    }
}

impl Paginated for DeletedRecords {
    fn next_page(&self, output: &RecordPage) -> Option<Self> {
        let had = !output.records.is_empty();
        let Cursor::Page(n) = next_cursor(self.page, None, Some(&output.info), had, false)? else {
            return None;
        };
        let mut next = self.clone();
        next.page = Some(n);
        check_paging(next.page, next.per_page).ok()?;
        Some(next)
    }
}
