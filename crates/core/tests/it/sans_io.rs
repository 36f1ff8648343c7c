//! The core is sans-IO: no module outside `src/files/` (the driver-side local files: the file
//! token store and the temporary files of bulk transfers) touches the file system or the
//! network, reads a clock or sleeps. Scanned as text, test modules and comments aside.

use std::path::{Path, PathBuf};

/// What no core module may use.
const FORBIDDEN: &[&str] = &[
    "std::fs",
    "fs4::",
    "File::open",
    "File::create",
    "File::options",
    "OpenOptions",
    "remove_file",
    "read_dir",
    "TcpStream",
    "TcpListener",
    "UdpSocket",
    "ToSocketAddrs",
    "Instant::now",
    "SystemTime::now",
    "thread::sleep",
    "tokio",
    "process::Command",
];

/// Whether `line` holds `word` not preceded by a letter, digit or `_` (`TempFile::create` is
/// not `File::create`).
fn uses(line: &str, word: &str) -> bool {
    line.match_indices(word).any(|(at, _)| {
        !line[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// Whether a grouped import brings in `std::fs` or `std::net` (`use std::{fs, io};`).
fn grouped_import(line: &str) -> bool {
    let Some(group) = line.trim().strip_prefix("use std::{") else {
        return false;
    };
    group
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|word| word == "fs" || word == "net")
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The lines of code of a source file before its test module, comments left out.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
}

#[test]
fn no_core_module_outside_files_does_io() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed = src.join("files");
    let mut files = Vec::new();
    sources(&src, &mut files);
    assert!(files.len() > 20, "the scan sees the sources");
    let mut found = Vec::new();
    for file in files.iter().filter(|f| !f.starts_with(&allowed)) {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in code_lines(&text) {
            for word in FORBIDDEN.iter().filter(|w| uses(line, w)) {
                found.push(format!(
                    "{}:{}: {word}: {}",
                    file.display(),
                    n + 1,
                    line.trim()
                ));
            }
            if grouped_import(line) {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "IO in the sans-IO core:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_finds_io_where_it_is() {
    // The allowed module does use the file system: the scan would see it.
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/files/token_file.rs");
    let text = std::fs::read_to_string(file).unwrap();
    assert!(code_lines(&text).any(|(_, l)| FORBIDDEN.iter().any(|w| uses(l, w))));
    assert!(uses("let f = File::create(p)?;", "File::create"));
    assert!(!uses("let f = TempFile::create(p)?;", "File::create"));
    assert!(grouped_import("use std::{fs, io};"));
    assert!(!grouped_import("use std::{fmt, io};"));
}
