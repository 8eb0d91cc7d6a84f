//! `litellm-compose [NAME]`: prints the path of a built file (`agent`, `gateway`, `gateway-config`,
//! `agent-alone`, `gateway-alone`, `provider`), or every name and path without an argument. For scripts:
//! `wasmtime serve -S cli -S keyvalue "$(cargo run -q -p litellm-compose -- gateway)"`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let wanted = std::env::args().nth(1);
    let files = litellm_compose::files();
    match wanted.as_deref() {
        None => {
            for (name, path) in &files {
                println!("{name}\t{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Some(name) => match files.iter().find(|(n, _)| *n == name) {
            Some((_, path)) => {
                println!("{}", path.display());
                ExitCode::SUCCESS
            }
            None => {
                let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
                eprintln!("unknown file {name:?}; one of: {}", names.join(", "));
                ExitCode::from(2)
            }
        },
    }
}
