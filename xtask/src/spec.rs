//! Loading the OpenAPI files and resolving `$ref`s across them.
//!
//! Cross-file refs are absolute URLs (`https://raw.githubusercontent.com/.../v8.0/NAME.json#/...`);
//! only the last path segment matters: it names a sibling file of the spec folder. A ref is always
//! resolved against the file that contains it, so the resolver returns the target's file too.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

/// Every file of the spec folder, by file stem (`territories`, `common`, ...).
pub struct Spec {
    /// The parsed documents.
    pub docs: BTreeMap<String, Value>,
}

/// RFC 6901 pointer lookup.
pub fn pointer<'a>(root: &'a Value, ptr: &str) -> Option<&'a Value> {
    root.pointer(ptr)
}

impl Spec {
    /// Reads every `*.json` file of `dir`.
    pub fn load(dir: &Path) -> Result<Spec, String> {
        let mut docs = BTreeMap::new();
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.extension().is_some_and(|e| e == "json") {
                let stem = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .ok_or_else(|| format!("bad file name {}", path.display()))?
                    .to_owned();
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let doc: Value =
                    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
                docs.insert(stem, doc);
            }
        }
        if docs.is_empty() {
            return Err(format!("no JSON files in {}", dir.display()));
        }
        Ok(Spec { docs })
    }

    /// The target of a `$ref` string written in `file`: (target file, value).
    pub fn target<'a>(&'a self, file: &'a str, r: &str) -> Option<(&'a str, &'a Value)> {
        let (loc, ptr) = r.split_once('#')?;
        let file: &str = if loc.is_empty() {
            file
        } else {
            let stem = loc.rsplit('/').next()?.strip_suffix(".json")?;
            self.docs.get_key_value(stem)?.0.as_str()
        };
        let v = pointer(self.docs.get(file)?, ptr)?;
        Some((file, v))
    }

    /// Follows `$ref` chains starting at `v` (found in `file`). Unresolvable refs yield `None`.
    pub fn resolve<'a>(&'a self, file: &'a str, v: &'a Value) -> Option<(&'a str, &'a Value)> {
        let mut cur = (file, v);
        for _ in 0..32 {
            match cur.1.get("$ref").and_then(Value::as_str) {
                Some(r) => cur = self.target(cur.0, r)?,
                None => return Some(cur),
            }
        }
        None
    }
}
