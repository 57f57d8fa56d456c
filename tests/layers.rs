//! The module graph runs one way. Every top-level module of `src/` has a row below naming the
//! modules it may `use`; a `crate::…` path (or a `super::` that climbs out of the module) to any
//! other module fails this test with its file and line. The table itself must have no cycle, so an
//! arrow that runs back up cannot be allowed by adding it to the table either.
//!
//! Bottom to top: the leaves (clock, digests, problems, the database, the live store) know nothing
//! of pufa; the domain modules use the leaves and each other downwards only; `api` turns HTTP
//! into domain calls and is the only one that knows `error` (the HTTP error body); `lib.rs`,
//! `main.rs` and the load generator wire everything and are not in the table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Who may use whom. Keep it short: a module's row lists exactly what it needs.
const ALLOWED: &[(&str, &[&str])] = &[
    // Leaves.
    ("clock", &[]),
    ("digest", &[]),
    ("problems", &[]),
    ("db", &[]),
    ("store", &[]),
    ("metrics", &[]),
    ("plausibility", &[]),
    // The domain, lowest first.
    ("sms", &["clock", "db", "digest"]),
    ("accounts", &["clock", "db", "digest", "problems", "sms", "store"]),
    ("bank", &["clock", "db", "digest", "problems"]),
    ("scores", &["accounts", "clock", "db", "plausibility", "store"]),
    ("prize", &["accounts", "clock", "db", "digest", "scores"]),
    ("lessons", &["clock", "db", "digest", "problems"]),
    (
        "quiz",
        &[
            "accounts",
            "bank",
            "clock",
            "db",
            "digest",
            "lessons",
            "plausibility",
            "prize",
            "problems",
            "scores",
            "store",
        ],
    ),
    (
        "admin",
        &[
            "accounts",
            "bank",
            "clock",
            "db",
            "digest",
            "lessons",
            "plausibility",
            "prize",
            "problems",
            "quiz",
            "scores",
            "store",
        ],
    ),
    ("privacy", &["accounts", "clock", "db", "quiz", "scores"]),
    // Edges: settings, the HTTP error type, the HTTP routes.
    ("config", &["accounts", "sms", "store"]),
    ("error", &["db", "problems"]),
    (
        "api",
        &[
            "accounts",
            "admin",
            "bank",
            "clock",
            "config",
            "db",
            "digest",
            "error",
            "lessons",
            "metrics",
            "plausibility",
            "prize",
            "privacy",
            "problems",
            "quiz",
            "scores",
            "sms",
            "store",
        ],
    ),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level modules of the library: `src/x.rs` and `src/x/`, but for `bin/`.
fn top_level_modules() -> BTreeSet<String> {
    std::fs::read_dir(src())
        .expect("src/")
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = e.path();
            if path.is_dir() {
                (name != "bin").then_some(name)
            } else {
                let stem = name.strip_suffix(".rs")?;
                (!matches!(stem, "lib" | "main")).then(|| stem.to_owned())
            }
        })
        .collect()
}

/// Every `.rs` file of a top-level module, with its module path (`["scores", "board"]`).
fn files_of(module: &str) -> Vec<(PathBuf, Vec<String>)> {
    fn walk(dir: &Path, path: Vec<String>, out: &mut Vec<(PathBuf, Vec<String>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).expect("dir").flatten().map(|e| e.path()).collect();
        entries.sort();
        for entry in entries {
            let name = entry.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            if entry.is_dir() {
                let mut sub = path.clone();
                sub.push(name);
                walk(&entry, sub, out);
            } else if entry.extension().is_some_and(|e| e == "rs") {
                let mut module = path.clone();
                if name != "mod" {
                    module.push(name);
                }
                out.push((entry, module));
            }
        }
    }
    let mut out = Vec::new();
    let file = src().join(format!("{module}.rs"));
    if file.exists() {
        out.push((file, vec![module.to_owned()]));
    }
    let dir = src().join(module);
    if dir.is_dir() {
        walk(&dir, vec![module.to_owned()], &mut out);
    }
    out
}

/// The top-level modules one line of code names: `crate::x`, `crate::{x, y::z}`, and `super::`
/// chains that climb out of the file's top-level module.
fn modules_named(line: &str, module_path: &[String]) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    let mut found = Vec::new();
    let ident = |s: &str| -> String { s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect() };
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            // `crate::{a, b::c, d}`: the first segment of every item (nested braces belong to items).
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        found.push(ident(&group[i..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(ident(after));
        }
        rest = after;
    }
    // `super::super::x` from `["quiz", "session", "start"]` climbs to `["quiz"]`: still inside.
    let mut rest = code;
    while let Some(at) = rest.find("super::") {
        if at > 0 && rest[..at].ends_with("::") {
            rest = &rest[at + 7..];
            continue;
        }
        let mut after = &rest[at..];
        let mut climbs = 0;
        while let Some(next) = after.strip_prefix("super::") {
            climbs += 1;
            after = next;
        }
        if climbs >= module_path.len() {
            found.push(ident(after));
        }
        rest = after;
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

#[test]
fn every_top_level_module_has_a_row_and_the_rows_form_no_cycle() {
    let table: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let modules = top_level_modules();
    for module in &modules {
        assert!(table.contains_key(module.as_str()), "src/{module}: a new module needs its row in ALLOWED");
    }
    for (module, uses) in &table {
        assert!(modules.contains(*module), "ALLOWED names `{module}`, which src/ does not have");
        for used in *uses {
            assert!(table.contains_key(used), "`{module}` may use `{used}`, which has no row");
        }
    }
    // Kahn's algorithm: a module is placed once everything it uses is placed.
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    while placed.len() < table.len() {
        let ready: Vec<&str> = table
            .iter()
            .filter(|(m, uses)| !placed.contains(*m) && uses.iter().all(|u| placed.contains(u)))
            .map(|(m, _)| *m)
            .collect();
        assert!(
            !ready.is_empty(),
            "the allowed imports form a cycle among: {:?}",
            table.keys().filter(|m| !placed.contains(*m)).collect::<Vec<_>>()
        );
        placed.extend(ready);
    }
}

#[test]
fn no_module_uses_one_its_row_does_not_allow() {
    let table: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let modules = top_level_modules();
    let mut wrong = Vec::new();
    for module in &modules {
        let allowed: BTreeSet<&str> =
            table.get(module.as_str()).map(|u| u.iter().copied().collect()).unwrap_or_default();
        for (file, module_path) in files_of(module) {
            let text = std::fs::read_to_string(&file).expect("source");
            for (number, line) in text.lines().enumerate() {
                for used in modules_named(line, &module_path) {
                    if used != *module && modules.contains(&used) && !allowed.contains(used.as_str()) {
                        let shown = file.strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap_or(&file);
                        wrong.push(format!(
                            "{}:{}: `{module}` may not use `{used}` (allowed: {:?})",
                            shown.display(),
                            number + 1,
                            allowed
                        ));
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layers:\n{}", wrong.join("\n"));
}

#[test]
fn the_scanner_sees_every_form_of_path() {
    let at = |path: &[&str]| path.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(modules_named("use crate::quiz::Campaign;", &at(&["scores"])), ["quiz"]);
    assert_eq!(modules_named("use crate::{api::x, clock::{a, b}, db};", &at(&["scores"])), ["api", "clock", "db"]);
    assert_eq!(modules_named("    let x = crate::admin::draw::f(); // crate::api", &at(&["quiz"])), ["admin"]);
    assert_eq!(modules_named("use super::Thing;", &at(&["clock"])), ["Thing"], "a top-level file's super is the crate");
    assert!(modules_named("use super::super::grading::G;", &at(&["quiz", "session", "start"])).is_empty());
    assert_eq!(modules_named("use super::super::api::X;", &at(&["quiz", "session"])), ["api"]);
}
