//! `cargo xtask api [--write|--check]`: the public API of every publishable library crate, one
//! committed listing per crate under `public-api/`, so that a breaking change is a decision made
//! in review rather than an accident.
//!
//! ```text
//! cargo xtask api            print what changed against the committed listings
//! cargo xtask api --check    the same, failing when any listing differs (CI)
//! cargo xtask api --write    regenerate public-api/*.txt (review the diff, then commit it)
//! ```
//!
//! The listing is rendered by the `public-api` library (the engine of `cargo public-api`) from
//! rustdoc's JSON output: every public item with its full signature, trait impls (auto traits
//! such as `Send` included; blanket impls and the compiler's unstable markers left out), with every
//! feature enabled (opt-in features such as `registry` are public API too). No published
//! baseline exists yet for `cargo-semver-checks`; this is the stand-in until one does.
//!
//! rustdoc's JSON output is unstable and its format changes between Rust releases, and so do the
//! listed auto traits, so the listing is made with one pinned toolchain ([`TOOLCHAIN`]) and
//! `RUSTC_BOOTSTRAP=1` (the stable compiler's unstable flag, as cargo-semver-checks uses it).
//! When that toolchain is neither installed nor installable with rustup, the check says so and
//! is skipped rather than compared against a listing another rustdoc rendered.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::workspace_root;

/// The toolchain whose rustdoc JSON (format 57) the committed listings come from. Moving it
/// means regenerating every listing in the same commit (`cargo xtask api --write`).
pub const TOOLCHAIN: &str = "1.95.0";

/// Where the listings live, relative to the workspace root.
const DIR: &str = "public-api";

/// One publishable library crate: package name and library target name.
struct LibCrate {
    package: String,
    lib: String,
}

/// `cargo xtask api [--write|--check]`.
pub fn run(args: &[String]) -> Result<bool, String> {
    let write = args.iter().any(|a| a == "--write");
    let check = args.iter().any(|a| a == "--check");
    let Some(toolchain) = toolchain()? else {
        eprintln!(
            "public API check skipped: Rust {TOOLCHAIN} is not installed and rustup could not install it \
             (the listings are rustdoc JSON of exactly that release)"
        );
        return Ok(true);
    };
    let root = workspace_root();
    let crates = publishable_libs(&root)?;
    let mut stale = Vec::new();
    for krate in &crates {
        let listing = render(&root, &toolchain, krate)?;
        let path = root.join(DIR).join(format!("{}.txt", krate.package));
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed == listing {
            println!(
                "{:<20} unchanged ({} lines)",
                krate.package,
                listing.lines().count()
            );
            continue;
        }
        if write {
            std::fs::create_dir_all(path.parent().expect("a file in public-api/"))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            std::fs::write(&path, &listing).map_err(|e| format!("{}: {e}", path.display()))?;
            println!("{:<20} written: {}", krate.package, path.display());
        } else {
            print_changes(&krate.package, &committed, &listing);
            stale.push(krate.package.clone());
        }
    }
    let expected: Vec<String> = crates
        .iter()
        .map(|c| format!("{}.txt", c.package))
        .collect();
    let orphans = orphan_listings(&root.join(DIR), &expected)?;
    for orphan in &orphans {
        eprintln!("{DIR}/{orphan}: no publishable library crate has this name any more; delete it");
    }
    if stale.is_empty() && orphans.is_empty() {
        return Ok(true);
    }
    if !stale.is_empty() {
        eprintln!(
            "the public API of {} changed. If that is intended, run `cargo xtask api --write` and commit \
             {DIR}/; a removed or changed line is a breaking change (bump the version and say so in \
             CHANGELOG.md), an added line is a feature",
            stale.join(", ")
        );
    }
    Ok(!check)
}

/// The toolchain to run rustdoc with (`None` when it cannot be had): [`TOOLCHAIN`] as installed
/// by rustup, installed when missing.
fn toolchain() -> Result<Option<String>, String> {
    let installed = |name: &str| {
        Command::new("rustup")
            .args(["run", name, "rustdoc", "--version"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if installed(TOOLCHAIN) {
        return Ok(Some(TOOLCHAIN.to_string()));
    }
    // The default toolchain may be that release under another name (`stable`).
    let default = Command::new("rustup")
        .args(["run", "stable", "rustc", "--version"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if default.starts_with(&format!("rustc {TOOLCHAIN} ")) {
        return Ok(Some("stable".to_string()));
    }
    eprintln!("installing Rust {TOOLCHAIN} with rustup for the public API listings");
    let status = Command::new("rustup")
        .args(["toolchain", "install", TOOLCHAIN, "--profile", "minimal"])
        .status()
        .map_err(|e| format!("rustup: {e}"))?;
    Ok((status.success() && installed(TOOLCHAIN)).then(|| TOOLCHAIN.to_string()))
}

/// The workspace's library crates that may be published (`publish` not `false`), by name.
fn publishable_libs(root: &Path) -> Result<Vec<LibCrate>, String> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let meta: Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    let mut crates = Vec::new();
    for package in meta["packages"].as_array().into_iter().flatten() {
        // `publish = false` is an empty registry list; absent (`null`) means any registry.
        if package["publish"].as_array().is_some_and(Vec::is_empty) {
            continue;
        }
        let lib = package["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "lib"))
            });
        if let (Some(name), Some(lib)) = (package["name"].as_str(), lib) {
            crates.push(LibCrate {
                package: name.to_string(),
                lib: lib["name"].as_str().unwrap_or(name).replace('-', "_"),
            });
        }
    }
    crates.sort_by(|a, b| a.package.cmp(&b.package));
    Ok(crates)
}

/// Runs rustdoc's JSON backend on one crate and renders its public API, one item per line.
fn render(root: &Path, toolchain: &str, krate: &LibCrate) -> Result<String, String> {
    // A target directory of its own: RUSTC_BOOTSTRAP changes every fingerprint, and sharing
    // target/ would rebuild the normal build's dependencies after each listing and back.
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("public-api");
    let status = Command::new("rustup")
        .args([
            "run",
            toolchain,
            "cargo",
            "rustdoc",
            "--quiet",
            "--lib",
            "--all-features",
            "-p",
        ])
        .arg(&krate.package)
        .arg("--target-dir")
        .arg(&target_dir)
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        // Doc lints are `cargo doc`'s job in CI; here they would only repeat.
        .args(["--cap-lints", "allow"])
        .current_dir(root)
        .env("RUSTC_BOOTSTRAP", "1")
        // The outer cargo's settings belong to the outer toolchain.
        .env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTDOCFLAGS")
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO")
        .status()
        .map_err(|e| format!("rustup run {toolchain} cargo rustdoc: {e}"))?;
    if !status.success() {
        return Err(format!(
            "rustdoc JSON of {} failed ({status})",
            krate.package
        ));
    }
    let json = target_dir.join("doc").join(format!("{}.json", krate.lib));
    let api = public_api::Builder::from_rustdoc_json(&json)
        .omit_blanket_impls(true)
        .build()
        .map_err(|e| format!("{}: {e}", json.display()))?;
    let mut out = format!(
        "# The public API of {} (every feature), rendered from the rustdoc JSON of Rust {TOOLCHAIN}\n\
         # by `cargo xtask api --write`. Removed or changed lines are breaking changes.\n",
        krate.package
    );
    for item in api.items().map(ToString::to_string) {
        if !names_unstable_marker(&item) && !is_generated(&item) {
            out.push_str(&item);
            out.push('\n');
        }
    }
    Ok(out)
}

/// Items of `zohocrm_core::generated` (the operations and models generated from Zoho's OpenAPI
/// files): left out, because they follow the spec and `cargo xtask codegen --check` already
/// guards them; listing 640 models with their impls would bury the hand-written API.
fn is_generated(item: &str) -> bool {
    let subject = match item.strip_prefix("impl") {
        Some(rest) => rest.rsplit(" for ").next().unwrap_or(rest).trim_start(),
        None => item
            .split_whitespace()
            .find(|t| t.contains("::"))
            .unwrap_or(""),
    };
    let subject = subject.trim_start_matches(|c: char| c == '<' || c.is_ascii_whitespace());
    subject.starts_with("zohocrm_core::generated::")
}

/// Impls of marker traits no stable user can name (the compiler's own bookkeeping, and the set
/// differs between releases): left out of the listing. `Send`, `Sync`, `Unpin` and the unwind
/// safety traits stay; losing one of them breaks users.
fn names_unstable_marker(item: &str) -> bool {
    const UNSTABLE: [&str; 3] = [
        "core::marker::Freeze for ",
        "core::marker::UnsafeUnpin for ",
        "core::marker::StructuralPartialEq for ",
    ];
    item.starts_with("impl") && UNSTABLE.iter().any(|t| item.contains(t))
}

/// Prints the lines only in the committed listing (`-`) and only in the new one (`+`).
fn print_changes(package: &str, committed: &str, listing: &str) {
    let removed = multiset_minus(committed, listing);
    let added = multiset_minus(listing, committed);
    eprintln!(
        "{package}: {} line(s) removed or changed, {} added against {DIR}/{package}.txt",
        removed.len(),
        added.len()
    );
    for line in &removed {
        eprintln!("  - {line}");
    }
    for line in &added {
        eprintln!("  + {line}");
    }
}

/// The lines of `a` not matched by a line of `b`, in `a`'s order (a multiset difference).
fn multiset_minus<'a>(a: &'a str, b: &str) -> Vec<&'a str> {
    let mut left: HashMap<&str, usize> = HashMap::new();
    for line in b.lines() {
        *left.entry(line).or_default() += 1;
    }
    a.lines()
        .filter(|line| match left.get_mut(line) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .collect()
}

/// Listing files under `dir` that no crate produces.
fn orphan_listings(dir: &Path, expected: &[String]) -> Result<Vec<String>, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut orphans = Vec::new();
    for entry in entries {
        let path: PathBuf = entry.map_err(|e| e.to_string())?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".txt") && !expected.contains(&name) {
            orphans.push(name);
        }
    }
    orphans.sort();
    Ok(orphans)
}

#[cfg(test)]
mod tests {
    use super::multiset_minus;

    #[test]
    fn changes_are_a_multiset_difference() {
        let old = "pub fn a()\nimpl Send for X\nimpl Send for X\npub fn b(u8)\n";
        let new = "pub fn a()\nimpl Send for X\npub fn b(u16)\npub fn c()\n";
        assert_eq!(
            multiset_minus(old, new),
            ["impl Send for X", "pub fn b(u8)"]
        );
        assert_eq!(multiset_minus(new, old), ["pub fn b(u16)", "pub fn c()"]);
        assert!(multiset_minus(old, old).is_empty());
    }

    #[test]
    fn only_unstable_marker_impls_are_left_out() {
        use super::names_unstable_marker;
        assert!(names_unstable_marker(
            "impl core::marker::Freeze for zohocrm_core::Record"
        ));
        assert!(names_unstable_marker(
            "impl<T> core::marker::UnsafeUnpin for a::B<T>"
        ));
        assert!(names_unstable_marker(
            "impl core::marker::StructuralPartialEq for a::B"
        ));
        assert!(!names_unstable_marker(
            "impl core::marker::Send for zohocrm_core::Record"
        ));
        assert!(!names_unstable_marker(
            "pub fn a::Freeze::new() -> a::Freeze"
        ));
    }
}

#[cfg(test)]
mod generated_tests {
    use super::is_generated;

    #[test]
    fn generated_items_are_left_out_and_hand_written_ones_kept() {
        for generated in [
            "pub struct zohocrm_core::generated::users::GetUsers(_)",
            "pub fn zohocrm_core::generated::users::GetUsers::new() -> Self",
            "impl zohocrm_core::endpoint::Endpoint for zohocrm_core::generated::users::GetUsers",
            "impl core::clone::Clone for zohocrm_core::generated::users::Users",
            "impl zohocrm_core::generated::users::GetUsers",
            "pub zohocrm_core::generated::users::Users::id: core::option::Option<alloc::string::String>",
        ] {
            assert!(is_generated(generated), "{generated}");
        }
        for hand_written in [
            "pub fn zohocrm_core::Record::new() -> Self",
            "impl core::clone::Clone for zohocrm_core::Record",
            "pub fn zohocrm_core::records::x(zohocrm_core::generated::record::GetRecords) -> u8",
        ] {
            assert!(!is_generated(hand_written), "{hand_written}");
        }
    }
}
