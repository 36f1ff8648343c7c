//! COQL, the subset the mock serves:
//!
//! ```text
//! select f1, f2[, Lookup.Field] from Module [where COND]
//!     [order by f [asc|desc][, ...]] [limit N | limit OFFSET, N | limit N offset M]
//! ```
//!
//! - keywords in any case; field names bare, or quoted with `'` or `"` (needed for reserved
//!   words such as `'External'`);
//! - COND: `field op value` with `=`, `!=` (`<>`), `>`, `>=`, `<`, `<=`, `[not] like`,
//!   `[not] in (…)`, `is [not] null`, `[not] between a and b`, joined by `and` / `or` — at most
//!   two operands per parenthesis level, so three conditions need `((A and B) and C)`;
//! - literals: `'text'` (a quote inside is doubled: `'O''Brien'`; a backslash is an ordinary
//!   character), `"text"` likewise, numbers, `true`, `false`, `null` (`= null` is `is null`);
//! - limits: 50 selected fields, 25 conditions, 50 `in` values, 10 `order by` fields,
//!   `limit` ≤ 2000, `offset + limit` ≤ 100,000 (`LIMIT_EXCEEDED`); duplicated fields in `select`
//!   or `order by` are `DUPLICATE_DATA`;
//! - a field is known when a record of the module has it or it is a system field; in a module
//!   without records every field is accepted (there is nothing to know them by);
//! - `Lookup.Field` reads the lookup object the record holds (the mock does not join modules).

use std::cmp::Ordering;

use serde_json::{json, Map, Value};

use super::value::{self, Scalar};
use super::{Cond, Op, Record, Test};
use crate::util::{api_error, required_param, Response};

const MAX_FIELDS: usize = 50;
const MAX_CONDITIONS: usize = 25;
const MAX_IN_VALUES: usize = 50;
const MAX_ORDER_BY: usize = 10;
const DEFAULT_LIMIT: u64 = 200;
const MAX_LIMIT: u64 = 2000;
const MAX_REACH: u64 = 100_000;

/// Fields every record has, even when the stored maps lack them.
const SYSTEM_FIELDS: [&str; 6] = [
    "id",
    "Owner",
    "Created_Time",
    "Modified_Time",
    "Created_By",
    "Modified_By",
];

/// Words that cannot be a bare field or module name (quote them).
const RESERVED: [&str; 26] = [
    "select", "from", "where", "order", "by", "group", "having", "limit", "offset", "and", "or",
    "not", "like", "in", "is", "null", "between", "asc", "desc", "true", "false", "as", "on",
    "join", "external", "distinct",
];

pub(super) fn handle(body: &[u8], records_of: &dyn Fn(&str) -> Option<Vec<Record>>) -> Response {
    match run(body, records_of) {
        Ok(r) | Err(r) => r,
    }
}

fn run(
    body: &[u8],
    records_of: &dyn Fn(&str) -> Option<Vec<Record>>,
) -> Result<Response, Response> {
    let text = select_query(body)?;
    let q = parse(&text)?;
    let Some(mut records) = records_of(&q.module) else {
        return Err(api_error(
            400,
            "INVALID_QUERY",
            "invalid module given",
            json!({ "module": q.module }),
        ));
    };
    let columns = Columns::of(&records);
    let select: Vec<Vec<String>> = q
        .select
        .iter()
        .map(|p| columns.check(p))
        .collect::<Result<_, _>>()?;
    if let Some(cond) = &q.cond {
        for p in cond.paths() {
            columns.check(p)?;
        }
    }
    for (p, _) in &q.order {
        columns.check(p)?;
    }

    let id_path = ["id".to_owned()];
    records.retain(|r| q.cond.as_ref().is_none_or(|c| c.matches(r)));
    records.sort_by(|a, b| sort_key(a, b, &id_path));
    if !q.order.is_empty() {
        records.sort_by(|a, b| {
            q.order
                .iter()
                .map(|(path, desc)| {
                    let o = sort_key(a, b, path);
                    if *desc {
                        o.reverse()
                    } else {
                        o
                    }
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
    }

    let total = records.len() as u64;
    if q.offset >= total {
        return Ok(Response::no_content());
    }
    let end = (q.offset + q.limit).min(total);
    let data: Vec<Value> = records[q.offset as usize..end as usize]
        .iter()
        .map(|r| {
            let mut row = Map::new();
            for path in &select {
                row.insert(path.join("."), output(value::raw_at(r, path)));
            }
            row.insert("id".into(), r.get("id").cloned().unwrap_or(Value::Null));
            Value::Object(row)
        })
        .collect();
    Ok(Response::json(
        200,
        &json!({"data": data, "info": {"count": data.len(), "more_records": end < total}}),
    ))
}

/// The `select_query` of the body, or Zoho's error for a bad body.
fn select_query(body: &[u8]) -> Result<String, Response> {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
        return Err(api_error(
            400,
            "INVALID_DATA",
            "body",
            json!({"expected_data_type": "jsonobject"}),
        ));
    };
    match body.get("select_query") {
        None | Some(Value::Null) => Err(required_param("select_query")),
        Some(Value::String(s)) if s.trim().is_empty() => Err(required_param("select_query")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(api_error(
            400,
            "INVALID_DATA",
            "invalid data",
            json!({"api_name": "select_query", "json_path": "$.select_query",
                "expected_data_type": "string"}),
        )),
    }
}

/// A selected value as Zoho answers it: a lookup object shrinks to `{"id"}`.
fn output(v: Option<&Value>) -> Value {
    match v {
        None => Value::Null,
        Some(Value::Object(obj)) if obj.contains_key("id") => json!({"id": obj["id"]}),
        Some(v) => v.clone(),
    }
}

/// Orders two records by the first value at `path`, empty first.
fn sort_key(a: &Record, b: &Record, path: &[String]) -> Ordering {
    let first = |r: &Record| value::scalars_at(r, path).into_iter().next();
    match (first(a), first(b)) {
        (Some(x), Some(y)) => value::compare(&x, &y),
        (x, y) => x.is_some().cmp(&y.is_some()),
    }
}

/// The fields a module is known to have.
struct Columns {
    /// `None`: the module has no records, so any field is accepted.
    known: Option<Vec<String>>,
}

impl Columns {
    fn of(records: &[Record]) -> Self {
        if records.is_empty() {
            return Columns { known: None };
        }
        let mut known: Vec<String> = SYSTEM_FIELDS.iter().map(|s| (*s).to_owned()).collect();
        for r in records {
            for k in r.keys() {
                if !known.contains(k) {
                    known.push(k.clone());
                }
            }
        }
        Columns { known: Some(known) }
    }

    /// The path with its first segment spelled as the module spells it, or `INVALID_QUERY`.
    fn check(&self, path: &[String]) -> Result<Vec<String>, Response> {
        let mut path = path.to_vec();
        let Some(known) = &self.known else {
            return Ok(path);
        };
        let found = known
            .iter()
            .find(|k| **k == path[0])
            .or_else(|| known.iter().find(|k| k.eq_ignore_ascii_case(&path[0])));
        match found {
            Some(k) => {
                path[0] = k.clone();
                Ok(path)
            }
            None => Err(api_error(
                400,
                "INVALID_QUERY",
                "column given seems to be invalid",
                json!({ "column_name": path.join(".") }),
            )),
        }
    }
}

/// A parsed query.
#[derive(Debug)]
struct Query {
    select: Vec<Vec<String>>,
    module: String,
    cond: Option<Cond>,
    /// (path, descending)
    order: Vec<(Vec<String>, bool)>,
    limit: u64,
    offset: u64,
}

fn syntax_near(t: &Tok) -> Response {
    api_error(
        400,
        "SYNTAX_ERROR",
        "invalid query formed",
        json!({"line": t.line, "column": t.col, "near": t.raw}),
    )
}

fn syntax_clause(clause: &str) -> Response {
    api_error(
        400,
        "SYNTAX_ERROR",
        "invalid query formed",
        json!({ "clause": clause }),
    )
}

fn limit_exceeded(details: Value) -> Response {
    api_error(400, "LIMIT_EXCEEDED", "limit exceeded", details)
}

fn duplicate(clause: &str, column: &[String]) -> Response {
    api_error(
        400,
        "DUPLICATE_DATA",
        "duplicate data",
        json!({"clause": clause, "column_name": column.join(".")}),
    )
}

fn parse(text: &str) -> Result<Query, Response> {
    let toks = lex(text)?;
    let mut p = Parser {
        toks,
        pos: 0,
        clause: "select",
    };
    let q = p.query()?;

    if q.select.len() > MAX_FIELDS {
        return Err(limit_exceeded(
            json!({"clause": "select", "limit": MAX_FIELDS}),
        ));
    }
    if let Some(dup) = first_duplicate(q.select.iter()) {
        return Err(duplicate("select", dup));
    }
    if q.cond.as_ref().is_some_and(|c| c.count() > MAX_CONDITIONS) {
        return Err(limit_exceeded(
            json!({"clause": "where", "limit": MAX_CONDITIONS}),
        ));
    }
    if q.order.len() > MAX_ORDER_BY {
        return Err(limit_exceeded(
            json!({"clause": "order by", "limit": MAX_ORDER_BY}),
        ));
    }
    if let Some(dup) = first_duplicate(q.order.iter().map(|(p, _)| p)) {
        return Err(duplicate("order by", dup));
    }
    if q.limit > MAX_LIMIT {
        return Err(limit_exceeded(
            json!({"clause": "limit", "limit": MAX_LIMIT}),
        ));
    }
    if q.offset.saturating_add(q.limit) > MAX_REACH {
        return Err(limit_exceeded(
            json!({"clause": "offset", "limit": MAX_REACH}),
        ));
    }
    Ok(q)
}

fn first_duplicate<'a>(paths: impl Iterator<Item = &'a Vec<String>>) -> Option<&'a [String]> {
    let mut seen: Vec<String> = Vec::new();
    for p in paths {
        let key = p.join(".").to_lowercase();
        if seen.contains(&key) {
            return Some(p);
        }
        seen.push(key);
    }
    None
}

// ---- lexer ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A bare word, dots included (`Owner.name`).
    Word,
    /// A quoted text, quotes removed and doubled quotes resolved.
    Quoted,
    Num,
    Sym,
}

#[derive(Debug, Clone)]
struct Tok {
    kind: Kind,
    /// The value: the word, the unquoted text, the number, the symbol.
    text: String,
    /// As written, for `near`.
    raw: String,
    line: usize,
    col: usize,
}

impl Tok {
    fn is_kw(&self, kw: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(kw)
    }

    fn is_sym(&self, s: &str) -> bool {
        self.kind == Kind::Sym && self.text == s
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || c == '.'
}

fn lex(text: &str) -> Result<Vec<Tok>, Response> {
    let chars: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let (mut i, mut line, mut col) = (0, 1, 1);
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let (kind, value) = if c == '\n' {
            i += 1;
            line += 1;
            col = 1;
            continue;
        } else if c.is_whitespace() {
            i += 1;
            col += 1;
            continue;
        } else if c == '\'' || c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        let raw: String = chars[start..].iter().take(30).collect();
                        return Err(api_error(
                            400,
                            "SYNTAX_ERROR",
                            "invalid query formed",
                            json!({"line": line, "column": col, "near": raw}),
                        ));
                    }
                    Some(&q) if q == c => {
                        if chars.get(i + 1) == Some(&c) {
                            s.push(c);
                            i += 2;
                        } else {
                            i += 1;
                            break;
                        }
                    }
                    Some(&other) => {
                        s.push(other);
                        i += 1;
                    }
                }
            }
            (Kind::Quoted, s)
        } else if c.is_ascii_digit()
            || (matches!(c, '-' | '.') && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            i += 1;
            while let Some(&d) = chars.get(i) {
                let exponent_sign = matches!(d, '-' | '+') && matches!(chars[i - 1], 'e' | 'E');
                if d.is_ascii_digit() || matches!(d, '.' | 'e' | 'E') || exponent_sign {
                    i += 1;
                } else {
                    break;
                }
            }
            (Kind::Num, chars[start..i].iter().collect())
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            while chars.get(i).is_some_and(|c| is_word_char(*c)) {
                i += 1;
            }
            (Kind::Word, chars[start..i].iter().collect())
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let sym = if matches!(two.as_str(), "!=" | "<>" | "<=" | ">=") {
                two
            } else if matches!(c, '(' | ')' | ',' | '=' | '<' | '>' | '*') {
                c.to_string()
            } else {
                return Err(api_error(
                    400,
                    "SYNTAX_ERROR",
                    "invalid query formed",
                    json!({"line": line, "column": col, "near": c.to_string()}),
                ));
            };
            i += sym.chars().count();
            (Kind::Sym, sym)
        };
        let raw: String = chars[start..i].iter().collect();
        toks.push(Tok {
            kind,
            text: value,
            line,
            col,
            raw: raw.clone(),
        });
        // Quoted text may span lines.
        for ch in raw.chars() {
            if ch == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
        }
    }
    Ok(toks)
}

// ---- parser ----

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    /// The clause being read, for errors at the end of the text.
    clause: &'static str,
}

type Parsed<T> = Result<T, Response>;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    /// A syntax error at the current token, or in the current clause at the end of the text.
    fn error(&self) -> Response {
        match self.peek() {
            Some(t) => syntax_near(t),
            None => syntax_clause(self.clause),
        }
    }

    fn peek_kw(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.is_kw(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = self.peek_kw(kw);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expect_kw(&mut self, kw: &str) -> Parsed<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn eat_sym(&mut self, s: &str) -> bool {
        let hit = self.peek().is_some_and(|t| t.is_sym(s));
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expect_sym(&mut self, s: &str) -> Parsed<()> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn query(&mut self) -> Parsed<Query> {
        self.expect_kw("select")?;
        let mut select = vec![self.field()?];
        while self.eat_sym(",") {
            select.push(self.field()?);
        }
        self.clause = "from";
        self.expect_kw("from")?;
        let module = self.name()?;
        let mut cond = None;
        if self.eat_kw("where") {
            self.clause = "where";
            cond = Some(self.cond()?);
        }
        let mut order = Vec::new();
        if self.eat_kw("order") {
            self.clause = "order by";
            self.expect_kw("by")?;
            loop {
                let path = self.field()?;
                let desc = if self.eat_kw("desc") {
                    true
                } else {
                    self.eat_kw("asc");
                    false
                };
                order.push((path, desc));
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let (mut limit, mut offset) = (DEFAULT_LIMIT, 0);
        if self.eat_kw("limit") {
            self.clause = "limit";
            let first = self.integer()?;
            if self.eat_sym(",") {
                offset = first;
                limit = self.integer()?;
            } else {
                limit = first;
                if self.eat_kw("offset") {
                    self.clause = "offset";
                    offset = self.integer()?;
                }
            }
            if limit == 0 {
                return Err(syntax_clause("limit"));
            }
        }
        if self.peek().is_some() {
            return Err(self.error());
        }
        Ok(Query {
            select,
            module,
            cond,
            order,
            limit,
            offset,
        })
    }

    /// A module name: a bare word without dots, or quoted.
    fn name(&mut self) -> Parsed<String> {
        match self.peek() {
            Some(t)
                if (t.kind == Kind::Word && !t.text.contains('.') && !reserved(&t.text))
                    || (t.kind == Kind::Quoted && !t.text.is_empty()) =>
            {
                let name = t.text.clone();
                self.pos += 1;
                Ok(name)
            }
            _ => Err(self.error()),
        }
    }

    /// A field path: `Last_Name`, `Owner.name`, `'External'`, `"Account_Name.Account_Name"`.
    fn field(&mut self) -> Parsed<Vec<String>> {
        let Some(t) = self.peek() else {
            return Err(self.error());
        };
        let ok = match t.kind {
            Kind::Word => !reserved(&t.text),
            Kind::Quoted => true,
            Kind::Num | Kind::Sym => false,
        };
        let path: Vec<String> = t.text.split('.').map(str::to_owned).collect();
        if !ok || path.iter().any(|s| s.trim().is_empty()) {
            return Err(self.error());
        }
        self.pos += 1;
        Ok(path)
    }

    fn integer(&mut self) -> Parsed<u64> {
        match self.peek() {
            Some(t) if t.kind == Kind::Num => match t.text.parse() {
                Ok(n) => {
                    self.pos += 1;
                    Ok(n)
                }
                Err(_) => Err(self.error()),
            },
            _ => Err(self.error()),
        }
    }

    /// `operand [and|or operand]`: a third operand at the same level is an error.
    fn cond(&mut self) -> Parsed<Cond> {
        let left = self.operand()?;
        let and = if self.eat_kw("and") {
            true
        } else if self.eat_kw("or") {
            false
        } else {
            return Ok(left);
        };
        let right = self.operand()?;
        if self.peek_kw("and") || self.peek_kw("or") {
            return Err(self.error());
        }
        let (l, r) = (Box::new(left), Box::new(right));
        Ok(if and { Cond::And(l, r) } else { Cond::Or(l, r) })
    }

    fn operand(&mut self) -> Parsed<Cond> {
        if self.eat_sym("(") {
            let c = self.cond()?;
            self.expect_sym(")")?;
            Ok(c)
        } else {
            self.test()
        }
    }

    /// A literal: `Some` value, or `None` for `null`.
    fn literal(&mut self) -> Parsed<Option<Scalar>> {
        let Some(t) = self.peek() else {
            return Err(self.error());
        };
        let v = match t.kind {
            Kind::Quoted => Some(Scalar::Str(t.text.clone())),
            Kind::Num if value_is_number(&t.text) => Some(Scalar::Num(t.text.clone())),
            Kind::Word if t.is_kw("true") => Some(Scalar::Bool(true)),
            Kind::Word if t.is_kw("false") => Some(Scalar::Bool(false)),
            Kind::Word if t.is_kw("null") => None,
            _ => return Err(self.error()),
        };
        self.pos += 1;
        Ok(v)
    }

    /// A literal that is not `null`.
    fn value(&mut self) -> Parsed<Scalar> {
        let at = self.pos;
        match self.literal()? {
            Some(v) => Ok(v),
            None => Err(syntax_near(&self.toks[at])),
        }
    }

    fn test(&mut self) -> Parsed<Cond> {
        let path = self.field()?;
        let test = |op, negated| {
            Ok(Cond::Test(Test {
                path: path.clone(),
                op,
                negated,
                lookup_by_name: false,
            }))
        };
        let Some(t) = self.peek().cloned() else {
            return Err(self.error());
        };
        self.pos += 1;
        match (t.kind, t.text.to_ascii_lowercase().as_str()) {
            (Kind::Sym, "=") => match self.literal()? {
                Some(v) => test(Op::In(vec![v]), false),
                None => test(Op::IsNull, false),
            },
            (Kind::Sym, "!=" | "<>") => match self.literal()? {
                Some(v) => test(Op::In(vec![v]), true),
                None => test(Op::IsNull, true),
            },
            (Kind::Sym, ">") => test(Op::Greater(self.value()?), false),
            (Kind::Sym, ">=") => test(Op::GreaterEq(self.value()?), false),
            (Kind::Sym, "<") => test(Op::Less(self.value()?), false),
            (Kind::Sym, "<=") => test(Op::LessEq(self.value()?), false),
            (Kind::Word, "is") => {
                let negated = self.eat_kw("not");
                self.expect_kw("null")?;
                test(Op::IsNull, negated)
            }
            (Kind::Word, "not") => {
                let Some(t) = self.peek().cloned() else {
                    return Err(self.error());
                };
                self.pos += 1;
                let op = self.negatable(&t)?;
                test(op, true)
            }
            (Kind::Word, _) => {
                let op = self.negatable(&t)?;
                test(op, false)
            }
            _ => Err(syntax_near(&t)),
        }
    }

    /// The rest of `like`, `in` or `between` (`t` already read).
    fn negatable(&mut self, t: &Tok) -> Parsed<Op> {
        if t.is_kw("like") {
            match self.peek() {
                Some(p) if p.kind == Kind::Quoted => {
                    let pattern = p.text.clone();
                    self.pos += 1;
                    Ok(Op::Like(pattern))
                }
                _ => Err(self.error()),
            }
        } else if t.is_kw("in") {
            self.expect_sym("(")?;
            let mut values = vec![self.value()?];
            while self.eat_sym(",") {
                values.push(self.value()?);
            }
            self.expect_sym(")")?;
            if values.len() > MAX_IN_VALUES {
                return Err(limit_exceeded(
                    json!({"clause": "where", "operator": "in", "limit": MAX_IN_VALUES}),
                ));
            }
            Ok(Op::In(values))
        } else if t.is_kw("between") {
            let lo = self.value()?;
            self.expect_kw("and")?;
            let hi = self.value()?;
            Ok(Op::Between(lo, hi))
        } else {
            Err(syntax_near(t))
        }
    }
}

fn reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

fn value_is_number(s: &str) -> bool {
    s.parse::<f64>().is_ok_and(f64::is_finite)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Contacts: ids 1..=5, plus an empty module and a module of 250 records.
    fn records_of(module: &str) -> Option<Vec<Record>> {
        let rows = match module {
            "Contacts" => json!([
                {"id": "1", "Last_Name": "Burns", "First_Name": "Mary", "Age": 30,
                 "Owner": {"id": "900", "name": "Pat"}, "Tags": ["vip", "east"],
                 "Account_Name": {"id": "70", "name": "Acme", "Account_Name": "Acme"},
                 "Created_Time": "2025-01-15T10:00:00+00:00", "Opt_Out": true, "External": "e1"},
                {"id": "2", "Last_Name": "O'Brien", "First_Name": "Matt", "Age": 4,
                 "Owner": {"id": "901", "name": "Sam"}, "Tags": ["west"],
                 "Created_Time": "2025-01-15T12:00:00+05:30", "Opt_Out": false},
                {"id": "3", "Last_Name": "x' or 1=1 --", "First_Name": null, "Age": 100,
                 "Tags": [], "Created_Time": "2025-02-01T00:00:00+00:00"},
                {"id": "4", "Last_Name": "back\\slash", "First_Name": "Zoe", "Age": 30},
                {"id": "5", "Last_Name": "Smith", "First_Name": "adam", "Age": 55.5}
            ]),
            "Empty" => json!([]),
            "Big" => Value::Array(
                (1..=250)
                    .map(|i| json!({"id": format!("{i:03}"), "N": i}))
                    .collect(),
            ),
            _ => return None,
        };
        Some(
            rows.as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_object().unwrap().clone())
                .collect(),
        )
    }

    fn query(q: &str) -> Response {
        let body = serde_json::to_vec(&json!({ "select_query": q })).unwrap();
        handle(&body, &records_of)
    }

    fn ok(q: &str) -> Value {
        let r = query(q);
        assert_eq!(r.status, 200, "{q}: {}", String::from_utf8_lossy(&r.body));
        serde_json::from_slice(&r.body).unwrap()
    }

    /// The ids a query answers, in order (none for 204).
    fn ids(q: &str) -> Vec<String> {
        let r = query(q);
        if r.status == 204 {
            assert!(r.body.is_empty());
            return Vec::new();
        }
        ok(q)["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["id"].as_str().unwrap().to_owned())
            .collect()
    }

    fn where_ids(cond: &str) -> Vec<String> {
        ids(&format!("select Last_Name from Contacts where {cond}"))
    }

    fn err(q: &str) -> Value {
        let r = query(q);
        assert_eq!(r.status, 400, "{q}: {}", String::from_utf8_lossy(&r.body));
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["status"], "error");
        v
    }

    #[test]
    fn selects_fields_lookups_and_id() {
        let v = ok(
            "SELECT Last_Name, Owner, Account_Name.Account_Name, Tags FROM Contacts \
                    WHERE id = '1'",
        );
        assert_eq!(
            v,
            json!({"data": [{"Last_Name": "Burns", "Owner": {"id": "900"},
                "Account_Name.Account_Name": "Acme", "Tags": ["vip", "east"], "id": "1"}],
                "info": {"count": 1, "more_records": false}})
        );
        // Case-insensitive field names come back spelled as the module spells them.
        let v = ok("select last_name, owner.name from Contacts where id = 2");
        assert_eq!(v["data"][0]["Last_Name"], "O'Brien");
        assert_eq!(v["data"][0]["Owner.name"], "Sam");
        // A lookup path through a record without the lookup is null.
        let v = ok("select Account_Name.Account_Name from Contacts where id = '2'");
        assert_eq!(v["data"][0]["Account_Name.Account_Name"], Value::Null);
    }

    #[test]
    fn comparison_operators() {
        assert_eq!(where_ids("Last_Name = 'burns'"), ["1"]);
        assert_eq!(where_ids("Last_Name != 'Burns'"), ["2", "3", "4", "5"]);
        assert_eq!(where_ids("Last_Name <> 'Burns'"), ["2", "3", "4", "5"]);
        assert_eq!(where_ids("Age > 30"), ["3", "5"]);
        assert_eq!(where_ids("Age >= 30"), ["1", "3", "4", "5"]);
        assert_eq!(where_ids("Age < 30"), ["2"]);
        assert_eq!(where_ids("Age <= 30"), ["1", "2", "4"]);
        assert_eq!(where_ids("Age = 55.5"), ["5"]);
        assert_eq!(where_ids("Opt_Out = true"), ["1"]);
        assert_eq!(where_ids("Opt_Out = false"), ["2"]);
        assert_eq!(
            where_ids("Created_Time < '2025-01-15T08:00:00+00:00'"),
            ["2"]
        );
    }

    #[test]
    fn like_in_null_between() {
        assert_eq!(where_ids("Last_Name like 'b%'"), ["1", "4"]);
        assert_eq!(where_ids("Last_Name like '%ITH'"), ["5"]);
        assert_eq!(where_ids("Last_Name like '%r%'"), ["1", "2", "3"]);
        assert_eq!(where_ids("Last_Name not like '%r%'"), ["4", "5"]);
        assert_eq!(where_ids("First_Name in ('mary', 'Zoe')"), ["1", "4"]);
        assert_eq!(
            where_ids("First_Name not in ('mary', 'Zoe')"),
            ["2", "3", "5"]
        );
        assert_eq!(where_ids("First_Name is null"), ["3"]);
        assert_eq!(where_ids("First_Name IS NOT NULL"), ["1", "2", "4", "5"]);
        assert_eq!(where_ids("First_Name = null"), ["3"]);
        assert_eq!(where_ids("Age between 4 and 30"), ["1", "2", "4"]);
        assert_eq!(where_ids("Age not between 4 and 30"), ["3", "5"]);
        assert_eq!(
            where_ids("Created_Time between '2025-01-15T09:00:00Z' and '2025-12-31T00:00:00Z'"),
            ["1", "3"]
        );
    }

    #[test]
    fn lookups_compare_by_id_and_walk_paths() {
        assert_eq!(where_ids("Owner = '900'"), ["1"]);
        assert_eq!(where_ids("Owner = 900"), ["1"]);
        assert!(where_ids("Owner = 'Pat'").is_empty());
        assert_eq!(where_ids("Owner.name = 'pat'"), ["1"]);
        assert_eq!(where_ids("Owner.id in ('901', '902')"), ["2"]);
        assert_eq!(where_ids("Owner is null"), ["3", "4", "5"]);
        assert_eq!(where_ids("Owner != '900'"), ["2", "3", "4", "5"]);
    }

    #[test]
    fn multi_selects_match_any_element() {
        assert_eq!(where_ids("Tags = 'east'"), ["1"]);
        assert_eq!(where_ids("Tags in ('west', 'east')"), ["1", "2"]);
        assert_eq!(where_ids("Tags not in ('east')"), ["2", "3", "4", "5"]);
        assert_eq!(where_ids("Tags is null"), ["3", "4", "5"]);
    }

    #[test]
    fn doubled_quotes_and_injection_are_one_literal() {
        assert_eq!(where_ids("Last_Name = 'O''Brien'"), ["2"]);
        assert_eq!(where_ids("Last_Name = \"O'Brien\""), ["2"]);
        assert_eq!(where_ids("Last_Name = 'x'' or 1=1 --'"), ["3"]);
        assert_eq!(
            where_ids("Last_Name = 'y'' or 1=1 --'"),
            Vec::<String>::new()
        );
        assert_eq!(where_ids("Last_Name in ('x'' or 1=1 --')"), ["3"]);
        // Backslash is an ordinary character.
        assert_eq!(where_ids("Last_Name = 'back\\slash'"), ["4"]);
        // The unescaped form is a syntax error, not a wider match.
        assert_eq!(
            err("select Last_Name from Contacts where Last_Name = 'x' or 1=1 --'")["code"],
            "SYNTAX_ERROR"
        );
        assert_eq!(
            err("select Last_Name from Contacts where Last_Name = 'it''s")["code"],
            "SYNTAX_ERROR"
        );
    }

    #[test]
    fn nesting_and_the_parenthesis_rule() {
        assert_eq!(where_ids("Age = 30 and First_Name = 'Zoe'"), ["4"]);
        assert_eq!(where_ids("(Age = 30 or Age = 4)"), ["1", "2", "4"]);
        assert_eq!(
            where_ids("((Age = 30 or Age = 4) and First_Name like 'ma%')"),
            ["1", "2"]
        );
        assert_eq!(
            where_ids("(Age = 100 or (Age = 30 and (First_Name = 'Zoe')))"),
            ["3", "4"]
        );
        assert_eq!(
            where_ids("(Age = 30 and First_Name = 'Zoe') or Age = 100"),
            ["3", "4"]
        );
        let e = err("select Last_Name from Contacts where Age = 30 and Age = 4 or Age = 100");
        assert_eq!(e["code"], "SYNTAX_ERROR");
        assert_eq!(e["details"], json!({"line": 1, "column": 59, "near": "or"}));
        let e = err("select id from Contacts where (Age = 1 and Age = 2 and Age = 3)");
        assert_eq!(e["code"], "SYNTAX_ERROR");
        assert_eq!(e["details"]["near"], "and");
    }

    #[test]
    fn order_by() {
        assert_eq!(
            ids("select Age from Contacts order by Age desc, Last_Name"),
            ["3", "5", "4", "1", "2"]
        );
        assert_eq!(
            ids("select Age from Contacts order by Age asc, Last_Name desc"),
            ["2", "1", "4", "5", "3"]
        );
        // Empty values first ascending; ties keep id order.
        assert_eq!(
            ids("select First_Name from Contacts order by First_Name"),
            ["3", "5", "1", "2", "4"]
        );
        assert_eq!(
            ids("select N from Big order by N desc limit 2"),
            ["250", "249"]
        );
        assert_eq!(
            err("select id from Contacts order by Age, age")["code"],
            "DUPLICATE_DATA"
        );
        let many = ["Age"; 11].join(", ");
        assert_eq!(
            err(&format!("select id from Contacts order by {many}"))["code"],
            "LIMIT_EXCEEDED"
        );
    }

    #[test]
    fn paging() {
        let v = ok("select N from Big");
        assert_eq!(v["info"], json!({"count": 200, "more_records": true}));
        assert_eq!(v["data"][0]["id"], "001");
        let v = ok("select N from Big limit 200, 200");
        assert_eq!(v["info"], json!({"count": 50, "more_records": false}));
        assert_eq!(v["data"][0]["N"], 201);
        let v = ok("select N from Big limit 10 offset 240");
        assert_eq!(v["info"], json!({"count": 10, "more_records": false}));
        let v = ok("select N from Big LIMIT 5 OFFSET 5");
        assert_eq!(v["info"], json!({"count": 5, "more_records": true}));
        assert_eq!(v["data"][0]["N"], 6);
        assert_eq!(ok("select N from Big limit 2000")["info"]["count"], 250);
        assert_eq!(query("select N from Big limit 250, 10").status, 204);
        let e = err("select N from Big limit 2001");
        assert_eq!(e["code"], "LIMIT_EXCEEDED");
        assert_eq!(e["details"]["limit"], 2000);
        assert_eq!(
            err("select N from Big limit 99000, 2000")["code"],
            "LIMIT_EXCEEDED"
        );
        assert_eq!(
            ids("select N from Big limit 98000, 2000"),
            Vec::<String>::new()
        );
        assert_eq!(err("select N from Big limit 0")["code"], "SYNTAX_ERROR");
        assert_eq!(err("select N from Big limit -1")["code"], "SYNTAX_ERROR");
    }

    #[test]
    fn no_rows_is_204() {
        let r = query("select Last_Name from Contacts where Last_Name = 'nobody'");
        assert_eq!(r, Response::no_content());
        // Any field is accepted in a module without records.
        assert_eq!(query("select Whatever from Empty").status, 204);
    }

    #[test]
    fn unknown_module_and_column() {
        let e = err("select Last_Name from Nope");
        assert_eq!(
            e,
            json!({"code": "INVALID_QUERY", "details": {"module": "Nope"},
                "message": "invalid module given", "status": "error"})
        );
        for (q, col) in [
            ("select Bogus from Contacts", "Bogus"),
            ("select id from Contacts where Bogus.x = 1", "Bogus.x"),
            ("select id from Contacts order by Bogus", "Bogus"),
        ] {
            let e = err(q);
            assert_eq!(e["code"], "INVALID_QUERY", "{q}");
            assert_eq!(e["message"], "column given seems to be invalid");
            assert_eq!(e["details"], json!({ "column_name": col }));
        }
        // System fields are always known.
        assert_eq!(
            query("select Modified_By from Contacts limit 1").status,
            200
        );
    }

    #[test]
    fn limits() {
        let fields: Vec<String> = (0..51).map(|i| format!("F{i}")).collect();
        let e = err(&format!("select {} from Contacts", fields.join(", ")));
        assert_eq!(e["code"], "LIMIT_EXCEEDED");
        assert_eq!(e["details"]["clause"], "select");
        let values: Vec<String> = (0..51).map(|i| format!("'{i}'")).collect();
        let e = err(&format!(
            "select id from Contacts where Last_Name in ({})",
            values.join(", ")
        ));
        assert_eq!(e["code"], "LIMIT_EXCEEDED");
        assert_eq!(e["details"]["operator"], "in");
        let fifty: Vec<String> = (0..50).map(|i| format!("'{i}'")).collect();
        assert_eq!(
            query(&format!(
                "select id from Contacts where Last_Name in ({})",
                fifty.join(",")
            ))
            .status,
            204
        );
        // 26 conditions, properly nested.
        let mut cond = "Age > 0".to_owned();
        for _ in 0..25 {
            cond = format!("({cond} and Age > 0)");
        }
        let e = err(&format!("select id from Contacts where {cond}"));
        assert_eq!(e["code"], "LIMIT_EXCEEDED");
        assert_eq!(e["details"]["limit"], 25);
        let mut cond = "Age > 0".to_owned();
        for _ in 0..24 {
            cond = format!("({cond} and Age > 0)");
        }
        assert_eq!(where_ids(&cond), ["1", "2", "3", "4", "5"]);
        assert_eq!(
            err("select Last_Name, last_name from Contacts")["code"],
            "DUPLICATE_DATA"
        );
    }

    #[test]
    fn syntax_errors() {
        for (q, details) in [
            (
                "select from Contacts",
                json!({"line": 1, "column": 8, "near": "from"}),
            ),
            ("select Last_Name from", json!({"clause": "from"})),
            (
                "select Last_Name\nfrom Contacts\nwhere",
                json!({"clause": "where"}),
            ),
            (
                "select Last_Name\nfrom Contacts\nwhere Last_Name = Burns",
                json!({"line": 3, "column": 19, "near": "Burns"}),
            ),
            (
                "select * from Contacts",
                json!({"line": 1, "column": 8, "near": "*"}),
            ),
            (
                "select External from Contacts",
                json!({"line": 1, "column": 8, "near": "External"}),
            ),
            (
                "select id from Contacts group by Age",
                json!({"line": 1, "column": 25, "near": "group"}),
            ),
            (
                "select id from Contacts where Age ~ 1",
                json!({"line": 1, "column": 35, "near": "~"}),
            ),
            (
                "select id from Contacts where (Age = 1",
                json!({"clause": "where"}),
            ),
            (
                "select id from Contacts where Age between 1",
                json!({"clause": "where"}),
            ),
            (
                "select id from Contacts where Age like 1",
                json!({"line": 1, "column": 40, "near": "1"}),
            ),
            (
                "delete from Contacts",
                json!({"line": 1, "column": 1, "near": "delete"}),
            ),
        ] {
            let e = err(q);
            assert_eq!(e["code"], "SYNTAX_ERROR", "{q}");
            assert_eq!(e["message"], "invalid query formed");
            assert_eq!(e["details"], details, "{q}");
        }
        // Quoting makes reserved words usable.
        assert_eq!(
            ok("select 'External' from Contacts where \"External\" = 'e1'")["data"][0]["External"],
            "e1"
        );
    }

    #[test]
    fn bad_bodies() {
        let r = handle(b"not json", &records_of);
        assert_eq!(r.status, 400);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["code"], "INVALID_DATA");
        for body in [
            json!({}),
            json!({"select_query": null}),
            json!({"select_query": " "}),
        ] {
            let r = handle(&serde_json::to_vec(&body).unwrap(), &records_of);
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(
                (r.status, v["code"].as_str()),
                (400, Some("REQUIRED_PARAM_MISSING"))
            );
        }
        let r = handle(br#"{"select_query": 5}"#, &records_of);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!((r.status, v["code"].as_str()), (400, Some("INVALID_DATA")));
    }
}
