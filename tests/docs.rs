//! The docs name files that exist: every repository path a page writes in backticks or links to
//! (README.md, BENCHMARKS.md, docs/, every crate's README) is checked against the tree, so that a
//! moved or deleted file cannot leave a page pointing at nothing.

use std::path::{Path, PathBuf};

/// The repository's root (this package's manifest directory).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The pages: the top-level ones, docs/, and each crate's README.
fn pages() -> Vec<PathBuf> {
    let root = root();
    let mut pages = vec![root.join("README.md"), root.join("BENCHMARKS.md")];
    for dir in ["docs", "."] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if dir == "docs" && path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            } else if dir == "." && path.is_dir() && path.join("README.md").is_file() {
                pages.push(path.join("README.md"));
            }
        }
    }
    pages
}

/// Directories the build or the peers' set-up make: named by the docs, absent from a clone.
const MADE_LATER: &[&str] = &[
    "target/",
    "peers/.venv",
    "peers/.lattice",
    "peers/.models",
    "peers/jco/node_modules",
    "peers/jco/out",
    "peers/agents/node_modules",
];

/// Files of other projects that a page names (a dependency's source, where a bug lives).
const ELSEWHERE: &[&str] = &["wasmbus/ctl.rs", "tests/json_body_serializer.py"];

/// The endings that make a mention a file (a model id like `kimi-k2.6-…` has a dot too).
const ENDINGS: &[&str] = &[
    "rs", "md", "toml", "json", "py", "sh", "wit", "wasm", "yaml", "yml", "js", "mjs", "txt", "lock", "gguf", "pem",
    "cfg",
];

/// The spans of `text` in backticks, and the targets of its Markdown links.
fn mentions(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find('`') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('`') else { break };
            found.push(after[..end].to_string());
            rest = &after[end + 1..];
        }
        let mut rest = line;
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            found.push(after[..end].to_string());
            rest = &after[end + 1..];
        }
    }
    found
}

/// A mention that names a file or directory of the repository: a relative path with a `/`, made
/// of path characters only, ending in a file name with an extension or in `/`.
fn as_path(mention: &str) -> Option<&str> {
    let path = mention.split('#').next()?.trim_end_matches(':');
    let is_path_char = |c: char| c.is_ascii_alphanumeric() || "/._-".contains(c);
    let last = path.rsplit('/').next()?;
    let ending = last.rsplit_once('.').map(|(_, ending)| ending);
    let looks_like_file = ending.is_some_and(|e| ENDINGS.contains(&e)) || path.ends_with('/');
    let relative = !path.starts_with('/') && !path.starts_with('.') && !path.starts_with('~');
    (path.contains('/') && path.chars().all(is_path_char) && looks_like_file && relative && !path.contains("//"))
        .then_some(path)
}

/// Where a path may start: beside the page (a link), the root, or, as a page that describes a
/// crate writes them, a crate's directory or its `src/`.
fn bases(root: &Path, page: &Path) -> Vec<PathBuf> {
    let mut bases = vec![page.parent().unwrap_or(Path::new(".")).to_path_buf(), root.to_path_buf()];
    for entry in std::fs::read_dir(root).unwrap().flatten() {
        let dir = entry.path();
        if dir.join("Cargo.toml").is_file() {
            bases.push(dir.join("src"));
            bases.push(dir);
        }
    }
    bases.push(root.join("src"));
    bases
}

#[test]
fn every_path_the_docs_name_exists() {
    let root = root();
    let mut missing = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for mention in mentions(&text) {
            let Some(path) = as_path(&mention) else { continue };
            if MADE_LATER.iter().any(|made| path.starts_with(made)) || ELSEWHERE.contains(&path) {
                continue;
            }
            checked += 1;
            if !bases(&root, &page).iter().any(|base| base.join(path).exists()) {
                missing.push(format!("{}: {path}", page.strip_prefix(&root).unwrap_or(&page).display()));
            }
        }
    }
    assert!(checked > 100, "the pages name paths: {checked} checked");
    assert!(missing.is_empty(), "paths the docs name that do not exist:\n{}", missing.join("\n"));
}

#[test]
fn a_path_is_told_from_other_code_spans() {
    assert_eq!(as_path("host-test/src/quota.rs"), Some("host-test/src/quota.rs"));
    assert_eq!(as_path("docs/gateway.md#routes-and-limits"), Some("docs/gateway.md"));
    assert_eq!(as_path("tests/all/"), Some("tests/all/"));
    for not_a_path in
        ["cargo test --workspace", "https://api.openai.com/v1", "/etc/acme/ca.pem", "gen_ai.client.token.usage", "a/b"]
    {
        assert_eq!(as_path(not_a_path), None, "{not_a_path}");
    }
}
