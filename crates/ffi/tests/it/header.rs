//! `include/zohocrm.h` declares exactly the `#[no_mangle]` functions of `src/lib.rs`, with the
//! C types of their Rust signatures, and the constants with the same values.

use std::collections::BTreeMap;
use std::path::PathBuf;

fn read(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The C spelling of a Rust FFI type.
fn c_type(rust: &str) -> String {
    let rust = rust.trim();
    if let Some(inner) = rust.strip_prefix("*const ") {
        return format!("const {} *", c_type(inner).trim_end());
    }
    if let Some(inner) = rust.strip_prefix("*mut ") {
        let inner = c_type(inner);
        return if inner.ends_with('*') {
            format!("{inner}*")
        } else {
            format!("{inner} *")
        };
    }
    match rust {
        "c_char" => "char",
        "u8" => "uint8_t",
        "u16" => "uint16_t",
        "i32" => "int32_t",
        "u32" => "uint32_t",
        "i64" => "int64_t",
        "u64" => "uint64_t",
        "usize" => "size_t",
        "ZcrmSession" => "zcrm_session",
        "ZcrmExchange" => "zcrm_exchange",
        other => panic!("no C type known for the Rust type `{other}`: extend header.rs"),
    }
    .to_owned()
}

fn squash(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" ,", ",")
}

/// `name -> prototype` from the Rust source, e.g. `int32_t zcrm_x(const char *a, char **out);`.
fn rust_prototypes(src: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = src;
    while let Some(at) = rest.find("#[no_mangle]") {
        rest = &rest[at + "#[no_mangle]".len()..];
        let fn_at = rest.find("fn ").expect("fn after #[no_mangle]");
        let before = &rest[..fn_at];
        assert!(
            before.contains("extern \"C\""),
            "a #[no_mangle] function is not extern \"C\": {before}"
        );
        let sig = &rest[fn_at + 3..];
        let open = sig.find('(').unwrap();
        let name = sig[..open].trim().to_owned();
        let close = sig.find(')').unwrap();
        let args = &sig[open + 1..close];
        let body = sig.find('{').unwrap();
        let ret = sig[close + 1..body].trim();
        let ret = match ret.strip_prefix("->") {
            Some(r) => c_type(r),
            None => "void".into(),
        };
        let params: Vec<String> = args
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| {
                let (pname, ty) = a.split_once(':').expect("name: type");
                let ty = c_type(ty);
                if ty.ends_with('*') {
                    format!("{ty}{}", pname.trim())
                } else {
                    format!("{ty} {}", pname.trim())
                }
            })
            .collect();
        let params = if params.is_empty() {
            "void".to_owned()
        } else {
            params.join(", ")
        };
        out.insert(name.clone(), squash(&format!("{ret} {name}({params});")));
    }
    out
}

/// `name -> prototype` of every `zcrm_` function declared in the header.
fn header_prototypes(header: &str) -> BTreeMap<String, String> {
    // Drop comments, then read declarations statement by statement.
    let mut text = String::new();
    let mut rest = header;
    while let Some(start) = rest.find("/*") {
        text.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("closed comment") + start + 2;
        rest = &rest[end..];
    }
    text.push_str(rest);
    let text: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = BTreeMap::new();
    for stmt in text.split(';') {
        let stmt = squash(stmt);
        if stmt.starts_with("typedef") || !stmt.contains('(') {
            continue;
        }
        let open = stmt.find('(').unwrap();
        let name = stmt[..open].rsplit([' ', '*']).next().unwrap().to_owned();
        if name.starts_with("zcrm_") {
            let prev = out.insert(name.clone(), format!("{stmt};"));
            assert!(prev.is_none(), "`{name}` declared twice in the header");
        }
    }
    out
}

#[test]
fn header_declares_every_exported_function_with_its_signature() {
    let rust = rust_prototypes(&read("src/lib.rs"));
    let header = header_prototypes(&read("include/zohocrm.h"));
    assert!(
        rust.len() >= 12,
        "only {} exported functions found",
        rust.len()
    );
    for (name, proto) in &rust {
        match header.get(name) {
            Some(h) => assert_eq!(h, proto, "the header's `{name}` differs from src/lib.rs"),
            None => panic!("include/zohocrm.h lacks `{proto}`"),
        }
    }
    for name in header.keys() {
        assert!(
            rust.contains_key(name),
            "the header declares `{name}`, which src/lib.rs does not export"
        );
    }
}

#[test]
fn header_constants_match_the_rust_ones() {
    let header = read("include/zohocrm.h");
    for (name, value) in [
        ("ZCRM_OK", zohocrm_ffi::ZCRM_OK.to_string()),
        ("ZCRM_ERROR", zohocrm_ffi::ZCRM_ERROR.to_string()),
        (
            "ZCRM_ABI_VERSION",
            zohocrm_ffi::ZCRM_ABI_VERSION.to_string(),
        ),
    ] {
        let line = format!("#define {name} {value}");
        assert!(
            header.lines().any(|l| l.trim() == line),
            "include/zohocrm.h lacks `{line}`"
        );
    }
    // Every opaque handle type used in a signature is declared.
    for t in ["zcrm_session", "zcrm_exchange"] {
        assert!(header.contains(&format!("typedef struct {t} {t};")), "{t}");
    }
}

#[test]
fn the_parsers_see_what_they_should() {
    let rust = rust_prototypes(
        "#[no_mangle]\npub unsafe extern \"C\" fn zcrm_a(\n    x: *const c_char,\n    out: *mut *mut ZcrmSession,\n) -> i32 {}\n\
         #[no_mangle]\npub extern \"C\" fn zcrm_b() {}",
    );
    assert_eq!(
        rust["zcrm_a"],
        "int32_t zcrm_a(const char *x, zcrm_session **out);"
    );
    assert_eq!(rust["zcrm_b"], "void zcrm_b(void);");
    let header = header_prototypes(
        "/* zcrm_c(int x); */\n#define X 1\nint32_t zcrm_a(const char *x,\n  zcrm_session **out);\nvoid zcrm_b(void);",
    );
    assert_eq!(header.len(), 2);
    assert_eq!(header["zcrm_a"], rust["zcrm_a"]);
}
