//! Identifier normalisation: operationIds such as `"Get Territories"`, `"GETCVUpdate"` or
//! `"email_available"` become `get_territories` / `GetTerritories` (heck-compatible word splitting).

/// Splits `s` into words: at non-alphanumeric characters, at lower→upper transitions, and before
/// the last capital of an acronym followed by a lowercase letter (`GETCVUpdate` → `GETCV`, `Update`).
pub fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in s.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<char> = chunk.chars().collect();
        let mut cur = String::new();
        for i in 0..chars.len() {
            let c = chars[i];
            if !cur.is_empty() {
                let prev = chars[i - 1];
                let next = chars.get(i + 1).copied();
                let boundary = (c.is_ascii_uppercase()
                    && (prev.is_ascii_lowercase() || prev.is_ascii_digit()))
                    || (c.is_ascii_uppercase()
                        && prev.is_ascii_uppercase()
                        && next.is_some_and(|n| n.is_ascii_lowercase()));
                if boundary {
                    out.push(std::mem::take(&mut cur));
                }
            }
            cur.push(c);
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

/// `snake_case`.
pub fn snake(s: &str) -> String {
    words(s)
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_")
}

/// `UpperCamelCase`.
pub fn camel(s: &str) -> String {
    words(s)
        .iter()
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut cs = lower.chars();
            match cs.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// A Rust identifier for an API name: snake_case, `r#`-escaped when it is a keyword, `_`-prefixed
/// when it starts with a digit.
pub fn rust_ident(api_name: &str) -> String {
    let s = snake(api_name);
    let s = if s.is_empty() { "param".to_owned() } else { s };
    if KEYWORDS.contains(&s.as_str()) {
        format!("r#{s}")
    } else if s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_operation_ids() {
        assert_eq!(snake("Get User Licences Count"), "get_user_licences_count");
        assert_eq!(camel("Get Territories"), "GetTerritories");
        assert_eq!(snake("GETCVUpdate"), "getcv_update");
        assert_eq!(snake("IDSUpdate"), "ids_update");
        assert_eq!(snake("GetAssignedGroups"), "get_assigned_groups");
        assert_eq!(snake("Get territory User"), "get_territory_user");
        assert_eq!(snake("X-EXTERNAL"), "x_external");
        assert_eq!(snake("If-Modified-Since"), "if_modified_since");
        assert_eq!(snake("startDateTime"), "start_date_time");
        assert_eq!(rust_ident("type"), "r#type");
        assert_eq!(camel("email_available"), "EmailAvailable");
    }
}
