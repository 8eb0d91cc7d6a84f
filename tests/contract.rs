//! The guest's names and defaults checked against the contract itself (`wit/provider.wit`, read
//! with the wit-parser that wit-bindgen uses): a case renamed or added in the WIT, or a default
//! documented there and changed in `config.rs` (or the other way), fails here. The WIT's
//! documentation is the contract's promise; `config.rs` holds the values the code uses. The WASI
//! 0.3 world (`wit/async/provider.wit`) is checked against the 0.2 one: the same client functions,
//! async exactly where they wait, every item documented.

use litellm_provider::config;
use litellm_provider::domain::Profile;
use litellm_provider::domain::{ApiError, Error, Failure};
use std::path::Path;
use wit_parser::{Resolve, TypeDefKind};

fn contract() -> Resolve {
    let mut resolve = Resolve::default();
    resolve.push_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("wit")).expect("the contract parses");
    resolve
}

fn kind<'a>(resolve: &'a Resolve, name: &str) -> &'a TypeDefKind {
    let (_, ty) = resolve.types.iter().find(|(_, t)| t.name.as_deref() == Some(name)).expect("a contract type");
    &ty.kind
}

/// The case names of an enum or variant of the contract.
fn cases(resolve: &Resolve, name: &str) -> Vec<String> {
    match kind(resolve, name) {
        TypeDefKind::Enum(e) => e.cases.iter().map(|c| c.name.clone()).collect(),
        TypeDefKind::Variant(v) => v.cases.iter().map(|c| c.name.clone()).collect(),
        other => panic!("{name} is a {other:?}"),
    }
}

/// One error of every case, in the contract's order; the match makes a new case a compile error.
fn every_error() -> Vec<Error> {
    let api = || ApiError { status: 400, message: String::new(), code: None, retry_after_ms: None, attempts: 1 };
    let failure = || Failure { message: String::new(), attempts: 1, retryable: false };
    let all = vec![
        Error::InvalidRequest(String::new()),
        Error::Unauthorized(api()),
        Error::RateLimited(api()),
        Error::ContextLengthExceeded(api()),
        Error::ContentFiltered(api()),
        Error::QuotaExceeded(api()),
        Error::BadRequest(api()),
        Error::Upstream(api()),
        Error::Timeout(failure()),
        Error::Transport(failure()),
        Error::MalformedResponse(String::new()),
    ];
    for error in &all {
        match error {
            Error::InvalidRequest(_)
            | Error::Unauthorized(_)
            | Error::RateLimited(_)
            | Error::ContextLengthExceeded(_)
            | Error::ContentFiltered(_)
            | Error::QuotaExceeded(_)
            | Error::BadRequest(_)
            | Error::Upstream(_)
            | Error::Timeout(_)
            | Error::Transport(_)
            | Error::MalformedResponse(_) => {}
        }
    }
    all
}

#[test]
fn the_error_kinds_are_the_contracts_cases() {
    let kinds: Vec<String> = every_error().iter().map(|e| e.kind().to_string()).collect();
    assert_eq!(kinds, cases(&contract(), "error"));
}

#[test]
fn every_profile_name_of_the_contract_is_read_and_no_other() {
    let names = cases(&contract(), "profile");
    let profiles: Vec<Profile> = names.iter().map(|n| Profile::from_name(n).unwrap_or_else(|| panic!("{n}"))).collect();
    for (i, a) in profiles.iter().enumerate() {
        assert!(profiles[i + 1..].iter().all(|b| b != a), "two names for one profile");
    }
    assert_eq!(Profile::from_name("OpenAI"), None, "names are the contract's, exactly");
}

/// The documentation of a field of the contract's `config` record.
fn config_doc(resolve: &Resolve, field: &str) -> String {
    let TypeDefKind::Record(record) = kind(resolve, "config") else { panic!("config is a record") };
    let field = record.fields.iter().find(|f| f.name == field).unwrap_or_else(|| panic!("config has {field}"));
    field.docs.contents.clone().unwrap_or_default().replace('\n', " ")
}

/// The number after "Default " in a field's documentation (`8 MiB` read as bytes).
fn documented_default(doc: &str) -> u64 {
    let after = &doc[doc.find("Default ").unwrap_or_else(|| panic!("no default in {doc:?}")) + 8..];
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    let number: u64 = digits.parse().unwrap_or_else(|_| panic!("no number in {after:?}"));
    if after[digits.len()..].starts_with(" MiB") {
        number << 20
    } else {
        number
    }
}

#[test]
fn the_contracts_documented_defaults_are_the_codes() {
    let resolve = contract();
    for (field, value) in [
        ("connect-timeout-ms", config::DEFAULT_CONNECT_TIMEOUT_MS),
        ("first-byte-timeout-ms", config::DEFAULT_FIRST_BYTE_TIMEOUT_MS),
        ("between-bytes-timeout-ms", config::DEFAULT_BETWEEN_BYTES_TIMEOUT_MS),
        ("total-timeout-ms", config::DEFAULT_TOTAL_TIMEOUT_MS),
        ("max-retries", config::DEFAULT_MAX_RETRIES),
        ("max-response-bytes", config::DEFAULT_MAX_RESPONSE_BYTES),
    ] {
        assert_eq!(documented_default(&config_doc(&resolve, field)), u64::from(value), "{field}");
    }
    let api_version = config_doc(&resolve, "api-version");
    assert!(api_version.contains(&format!("Default `{}`", config::DEFAULT_AZURE_API_VERSION)), "{api_version}");
    // The profiles' base URLs, as the `profile` enum documents them.
    let TypeDefKind::Enum(profiles) = kind(&resolve, "profile") else { panic!("profile is an enum") };
    for case in &profiles.cases {
        let doc = case.docs.contents.clone().unwrap_or_default().replace('\n', " ");
        let profile = Profile::from_name(&case.name).unwrap();
        if let Some(at) = doc.find("base URL `") {
            let url = &doc[at + 10..];
            assert_eq!(&url[..url.find('`').unwrap()], profile.default_base_url(), "{}", case.name);
        }
    }
}

/// The WASI 0.3 world's package (`wit/async`, its `deps/` holding the 0.2 contract and WASI 0.3).
fn async_contract() -> (Resolve, wit_parser::PackageId) {
    let mut resolve = Resolve::default();
    let (package, _) =
        resolve.push_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("wit/async")).expect("the 0.3 contract parses");
    (resolve, package)
}

/// The functions of `interface` in `package`, by name, with whether each is `async`.
fn functions(resolve: &Resolve, package: wit_parser::PackageId, interface: &str) -> Vec<(String, bool)> {
    let id = resolve.packages[package].interfaces[interface];
    let mut all: Vec<(String, bool)> = resolve.interfaces[id]
        .functions
        .values()
        .map(|f| (f.name.clone(), matches!(f.kind, wit_parser::FunctionKind::AsyncMethod(_))))
        .collect();
    all.sort();
    all
}

#[test]
fn the_0_3_provider_has_the_0_2_clients_functions_async_where_they_wait_and_every_item_documented() {
    let (resolve, package) = async_contract();
    let v02 = resolve.package_names[&wit_parser::PackageName {
        namespace: "devsper".into(),
        name: "llm".into(),
        version: Some("0.3.0".parse().unwrap()),
    }];
    let client = |package| {
        let all = functions(&resolve, package, "provider");
        all.into_iter().filter(|(name, _)| name.contains("]client.")).collect::<Vec<_>>()
    };
    let (sync02, async03) = (client(v02), client(package));
    let names = |all: &[(String, bool)]| all.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&sync02), names(&async03), "the same client functions in both worlds");
    let waiting = ["generate", "stream", "embed", "list-models"];
    for (name, is_async) in &async03 {
        let waits = waiting.iter().any(|w| name.ends_with(&format!("client.{w}")));
        assert_eq!(*is_async, waits, "{name}: async exactly when it waits on the network");
    }
    // Every item of the 0.3 package is documented.
    let pkg = &resolve.packages[package];
    for (name, id) in &pkg.interfaces {
        let interface = &resolve.interfaces[*id];
        assert!(interface.docs.contents.is_some(), "interface {name} has no doc");
        for (f, func) in &interface.functions {
            assert!(func.docs.contents.is_some(), "{name}: {f} has no doc");
        }
        // Its own types (a `use` makes an alias, documented where it is defined).
        for (t, ty) in &interface.types {
            let ty = &resolve.types[*ty];
            assert!(matches!(ty.kind, TypeDefKind::Type(_)) || ty.docs.contents.is_some(), "{name}: {t} has no doc");
        }
    }
    for (name, id) in &pkg.worlds {
        assert!(resolve.worlds[*id].docs.contents.is_some(), "world {name} has no doc");
    }
}
