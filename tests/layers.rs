//! The modules of each crate depend on each other one way: no module reaches, through
//! `crate::`/`super::` paths in its code (comments and test modules aside), a module that reaches
//! it back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The crates' source directories.
const CRATES: &[&str] = &["src", "host-test/src", "mock/src", "bench/src", "gateway/src", "devsper/src"];

/// Each top-level module of `dir` and the sibling modules its code names.
fn graph(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = vec![dir.to_path_buf()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().flatten().map(|e| e.path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path.strip_prefix(dir).unwrap();
        let module =
            relative.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if ["lib", "main", "mod", "bin"].contains(&module.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let names = graph.entry(module.clone()).or_default();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for prefix in ["crate::", "super::"] {
                for (at, _) in line.match_indices(prefix) {
                    let before = line[..at].chars().next_back();
                    if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        continue;
                    }
                    let name: String = line[at + prefix.len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                        .collect();
                    if !name.is_empty() && name != module {
                        names.insert(name);
                    }
                }
            }
        }
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    graph.values_mut().for_each(|names| names.retain(|n| modules.contains(n)));
    graph
}

/// Whether `to` is reachable from `from`.
fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let (mut seen, mut next) = (BTreeSet::new(), vec![from.to_string()]);
    while let Some(module) = next.pop() {
        for name in graph.get(&module).into_iter().flatten() {
            if name == to {
                return true;
            }
            if seen.insert(name.clone()) {
                next.push(name.clone());
            }
        }
    }
    false
}

#[test]
fn modules_depend_on_each_other_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut circles = Vec::new();
    for dir in CRATES {
        let graph = graph(&root.join(dir));
        assert!(!graph.is_empty(), "{dir} has modules");
        for (module, names) in &graph {
            for name in names.iter().filter(|name| reaches(&graph, name, module)) {
                circles.push(format!("{dir}: {module} -> {name} -> … -> {module}"));
            }
        }
    }
    assert!(circles.is_empty(), "modules that import each other in a circle:\n{}", circles.join("\n"));
}
