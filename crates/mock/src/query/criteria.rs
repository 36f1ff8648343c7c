//! Zoho search's `criteria` parameter: `(Field:operator:value)` groups joined by `and` / `or`
//! inside parentheses, e.g. `((Last_Name:equals:Burns\,B)and(First_Name:starts_with:M))`.
//!
//! - operators: `equals`, `not_equal`, `in`, `not_in`, `starts_with`, `greater_than`,
//!   `greater_equal`, `less_than`, `less_equal`, `between` (two values); case-insensitive;
//! - values: `\,` `\(` `\)` `\\` stand for `,` `(` `)` `\`; an unescaped comma separates values
//!   (`equals`, `not_equal` and `starts_with` then match any of them, like `in`);
//!   `${EMPTY}` with `equals` / `not_equal` tests for an empty field;
//! - one level may chain several groups with the same joiner (`(A)and(B)and(C)`); mixing `and`
//!   and `or` at one level needs parentheses; the outermost parentheses are optional;
//! - at most 10 criteria (`LIMIT_EXCEEDED`); every other fault is `INVALID_QUERY`.

use serde_json::json;

use super::value::Scalar;
use super::{Cond, Op, Test};
use crate::util::{api_error, Response};

/// Zoho's maximum number of criteria in one search.
const MAX_CRITERIA: usize = 10;

fn invalid(reason: &str) -> Response {
    api_error(
        400,
        "INVALID_QUERY",
        "invalid query formed",
        json!({ "reason": reason }),
    )
}

pub(super) fn parse(s: &str) -> Result<Cond, Response> {
    let mut p = Parser {
        chars: s.chars().collect(),
        pos: 0,
    };
    p.skip_ws();
    if p.peek().is_none() {
        return Err(invalid("criteria is empty"));
    }
    let cond = p.expr()?;
    p.skip_ws();
    if p.peek().is_some() {
        return Err(invalid("unexpected text after criteria"));
    }
    if cond.count() > MAX_CRITERIA {
        return Err(api_error(
            400,
            "LIMIT_EXCEEDED",
            "limit exceeded",
            json!({"param_name": "criteria", "limit": MAX_CRITERIA}),
        ));
    }
    Ok(cond)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// `and` / `or` in any case, not followed by more of a word.
    fn eat_word(&mut self, word: &str) -> bool {
        let n = word.chars().count();
        let end = self.pos + n;
        if end > self.chars.len() {
            return false;
        }
        let candidate: String = self.chars[self.pos..end].iter().collect();
        let follows_word = self
            .chars
            .get(end)
            .is_some_and(|c| c.is_alphanumeric() || *c == '_');
        if candidate.eq_ignore_ascii_case(word) && !follows_word {
            self.pos = end;
            true
        } else {
            false
        }
    }

    /// `group (joiner group)*`, one joiner per level.
    fn expr(&mut self) -> Result<Cond, Response> {
        let mut left = self.group()?;
        let mut joiner = None;
        loop {
            self.skip_ws();
            let and = if self.eat_word("and") {
                true
            } else if self.eat_word("or") {
                false
            } else {
                return Ok(left);
            };
            if joiner.is_some_and(|j| j != and) {
                return Err(invalid("and/or mixed without parentheses"));
            }
            joiner = Some(and);
            self.skip_ws();
            let right = self.group()?;
            left = if and {
                Cond::And(Box::new(left), Box::new(right))
            } else {
                Cond::Or(Box::new(left), Box::new(right))
            };
        }
    }

    /// `( expr )` or `( Field:operator:value )`.
    fn group(&mut self) -> Result<Cond, Response> {
        if !self.eat('(') {
            return Err(invalid("( expected"));
        }
        self.skip_ws();
        let cond = if self.peek() == Some('(') {
            self.expr()?
        } else {
            self.test()?
        };
        self.skip_ws();
        if !self.eat(')') {
            return Err(invalid(") expected"));
        }
        Ok(cond)
    }

    /// The raw `Field:operator:value` up to the first unescaped `)`.
    fn test(&mut self) -> Result<Cond, Response> {
        let start = self.pos;
        loop {
            match self.peek() {
                None => return Err(invalid(") expected")),
                Some(')') => break,
                Some('(') => return Err(invalid("unescaped ( in a value")),
                Some('\\') if self.pos + 1 >= self.chars.len() => {
                    return Err(invalid("dangling \\ in a value"))
                }
                Some('\\') => self.pos += 2,
                Some(_) => self.pos += 1,
            }
        }
        let raw: String = self.chars[start..self.pos].iter().collect();
        parse_test(&raw)
    }
}

fn parse_test(raw: &str) -> Result<Cond, Response> {
    let mut parts = raw.splitn(3, ':');
    let field = parts.next().unwrap_or_default().trim();
    let (Some(op), Some(value)) = (parts.next(), parts.next()) else {
        return Err(invalid("criteria must be (field:operator:value)"));
    };
    let path: Vec<String> = field.split('.').map(str::to_owned).collect();
    let valid_segment = |s: &String| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
    };
    if !path.iter().all(valid_segment) {
        return Err(invalid("invalid field name"));
    }
    let values = split_values(value.trim());
    if values.iter().any(String::is_empty) {
        return Err(invalid("empty value"));
    }
    let op = op.trim().to_ascii_lowercase();
    let single = |values: &[String]| match values {
        [v] => Ok(Scalar::Str(v.clone())),
        _ => Err(invalid("operator takes one value")),
    };
    let strs = |values: &[String]| values.iter().cloned().map(Scalar::Str).collect();
    let empty = values.len() == 1 && values[0] == "${EMPTY}";
    let (op, negated) = match op.as_str() {
        "equals" | "not_equal" if empty => (Op::IsNull, op == "not_equal"),
        "equals" | "in" => (Op::In(strs(&values)), false),
        "not_equal" | "not_in" => (Op::In(strs(&values)), true),
        "starts_with" => (Op::StartsWith(values), false),
        "greater_than" => (Op::Greater(single(&values)?), false),
        "greater_equal" => (Op::GreaterEq(single(&values)?), false),
        "less_than" => (Op::Less(single(&values)?), false),
        "less_equal" => (Op::LessEq(single(&values)?), false),
        "between" => match values.as_slice() {
            [lo, hi] => (
                Op::Between(Scalar::Str(lo.clone()), Scalar::Str(hi.clone())),
                false,
            ),
            _ => return Err(invalid("between takes two values")),
        },
        _ => return Err(invalid("invalid operator")),
    };
    Ok(Cond::Test(Test {
        path,
        op,
        negated,
        lookup_by_name: true,
    }))
}

/// Splits on unescaped commas and resolves `\,` `\(` `\)` `\\`; each value loses its
/// surrounding unescaped whitespace. Another `\x` stays as written.
fn split_values(s: &str) -> Vec<String> {
    // (character, escaped)
    fn finish(cur: &mut Vec<(char, bool)>, out: &mut Vec<String>) {
        let loose = |(c, escaped): &(char, bool)| !escaped && c.is_whitespace();
        let start = cur.iter().position(|x| !loose(x)).unwrap_or(cur.len());
        let end = cur.iter().rposition(|x| !loose(x)).map_or(start, |i| i + 1);
        out.push(cur[start..end].iter().map(|(c, _)| c).collect());
        cur.clear();
    }
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ (',' | '(' | ')' | '\\')) => cur.push((e, true)),
                Some(e) => cur.extend([('\\', false), (e, false)]),
                None => cur.push(('\\', false)),
            },
            ',' => finish(&mut cur, &mut out),
            c => cur.push((c, false)),
        }
    }
    finish(&mut cur, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    fn rec(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn people() -> Vec<Map<String, Value>> {
        vec![
            rec(
                json!({"id": "1", "Last_Name": "Burns,B", "First_Name": "Mary", "Age": 30,
                "Owner": {"id": "900", "name": "Patricia Boyle"}, "Tags": ["vip", "east"],
                "Created_Time": "2025-01-15T10:00:00+00:00", "Opt_Out": true}),
            ),
            rec(
                json!({"id": "2", "Last_Name": "Burns", "First_Name": "Matt", "Age": "4",
                "Owner": {"id": "901", "name": "Sam"}, "Tags": ["west"],
                "Created_Time": "2025-01-15T12:00:00+05:30", "Opt_Out": false}),
            ),
            rec(
                json!({"id": "3", "Last_Name": "O(k)", "First_Name": null, "Age": 100,
                "Tags": [], "Created_Time": "2025-02-01T00:00:00+00:00"}),
            ),
        ]
    }

    /// The ids of the records matching `criteria`.
    fn ids(criteria: &str) -> Vec<String> {
        let cond = parse(criteria)
            .unwrap_or_else(|e| panic!("{criteria}: {}", String::from_utf8_lossy(&e.body)));
        people()
            .iter()
            .filter(|r| cond.matches(r))
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    }

    fn err(criteria: &str) -> Value {
        let e = parse(criteria).expect_err(criteria);
        assert_eq!(e.status, 400);
        serde_json::from_slice(&e.body).unwrap()
    }

    #[test]
    fn equals_and_not_equal() {
        assert_eq!(ids("(Last_Name:equals:burns)"), ["2"]);
        assert_eq!(ids("(Last_Name:not_equal:Burns)"), ["1", "3"]);
        assert_eq!(ids("(Age:equals:30)"), ["1"]);
        assert_eq!(ids("(Opt_Out:equals:true)"), ["1"]);
        // An unescaped comma separates alternatives.
        assert_eq!(ids("(First_Name:equals:Mary,Matt)"), ["1", "2"]);
    }

    #[test]
    fn escapes_in_values() {
        assert_eq!(
            ids("((Last_Name:equals:Burns\\,B)and(First_Name:starts_with:M))"),
            ["1"]
        );
        assert_eq!(ids("(Last_Name:equals:O\\(k\\))"), ["3"]);
        assert_eq!(split_values("a\\\\b, c\\,d ,e\\ "), ["a\\b", "c,d", "e\\"]);
        assert_eq!(split_values("x\\, "), ["x,"]);
        assert_eq!(err("(Last_Name:equals:O(k))")["code"], "INVALID_QUERY");
    }

    #[test]
    fn starts_with_in_and_not_in() {
        assert_eq!(ids("(First_Name:starts_with:ma)"), ["1", "2"]);
        assert_eq!(ids("(First_Name:starts_with:Mar)"), ["1"]);
        assert_eq!(ids("(Last_Name:in:Burns,O\\(k\\))"), ["2", "3"]);
        assert_eq!(ids("(Last_Name:not_in:Burns,O\\(k\\))"), ["1"]);
    }

    #[test]
    fn comparisons_and_between() {
        assert_eq!(ids("(Age:greater_than:30)"), ["3"]);
        assert_eq!(ids("(Age:greater_equal:30)"), ["1", "3"]);
        assert_eq!(ids("(Age:less_than:30)"), ["2"]);
        assert_eq!(ids("(Age:less_equal:30)"), ["1", "2"]);
        assert_eq!(ids("(Age:between:4,30)"), ["1", "2"]);
        // 12:00+05:30 is 06:30 UTC, before 10:00 UTC.
        assert_eq!(
            ids("(Created_Time:less_than:2025-01-15T08:00:00+00:00)"),
            ["2"]
        );
        assert_eq!(
            ids("(Created_Time:between:2025-01-15T09:00:00Z,2025-01-31T00:00:00+00:00)"),
            ["1"]
        );
    }

    #[test]
    fn lookups_and_multi_selects() {
        assert_eq!(ids("(Owner:equals:900)"), ["1"]);
        assert_eq!(ids("(Owner:equals:patricia boyle)"), ["1"]);
        assert_eq!(ids("(Owner.id:equals:901)"), ["2"]);
        assert_eq!(ids("(Owner.name:starts_with:sa)"), ["2"]);
        assert_eq!(ids("(Owner:not_equal:900)"), ["2", "3"]);
        assert_eq!(ids("(Tags:equals:east)"), ["1"]);
        assert_eq!(ids("(Tags:in:west,east)"), ["1", "2"]);
        assert_eq!(ids("(Tags:equals:${EMPTY})"), ["3"]);
        assert_eq!(ids("(First_Name:not_equal:${EMPTY})"), ["1", "2"]);
    }

    #[test]
    fn nesting_and_joiners() {
        assert_eq!(
            ids("((Age:greater_than:50)or((First_Name:equals:Matt)and(Tags:equals:west)))"),
            ["2", "3"]
        );
        assert_eq!(
            ids("(Age:greater_than:1) AND (Age:less_than:100) and (Tags:equals:vip)"),
            ["1"]
        );
        assert_eq!(ids("((((Last_Name:equals:Burns))))"), ["2"]);
        let e = err("((Age:equals:1)and(Age:equals:2)or(Age:equals:3))");
        assert_eq!(e["code"], "INVALID_QUERY");
        assert_eq!(e["message"], "invalid query formed");
        assert!(e["details"]["reason"].is_string());
    }

    #[test]
    fn invalid_criteria() {
        for bad in [
            "",
            "Last_Name:equals:x",
            "(Last_Name:equals:x",
            "(Last_Name:equals)",
            "(Last_Name:contains_not:x)",
            "(Last Name:equals:x)",
            "(Age:greater_than:1,2)",
            "(Age:between:1)",
            "(Age:equals:)",
            "(A:equals:1)xor(B:equals:2)",
            "(A:equals:1)(B:equals:2)",
            "(A:equals:x\\",
        ] {
            let e = err(bad);
            assert_eq!(e["code"], "INVALID_QUERY", "{bad}");
            assert_eq!(e["status"], "error");
        }
    }

    #[test]
    fn at_most_ten_criteria() {
        let ten = ["(Age:greater_than:0)"; 10].join("and");
        assert_eq!(ids(&ten), ["1", "2", "3"]);
        let eleven = ["(Age:greater_than:0)"; 11].join("and");
        assert_eq!(err(&eleven)["code"], "LIMIT_EXCEEDED");
    }
}
