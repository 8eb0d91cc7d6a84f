//! `mock/agent`: a coding agent's turn, scripted. While the conversation's last message is not a
//! tool's result, the answer calls the agent's shell tool with [`AGENT_COMMAND`]; once it is, the
//! answer is `The tool printed: ` and that result. So an agent run through a gateway completes a
//! tool-using turn only if the shell really ran: the command prints [`AGENT_OUTPUT`], which
//! appears nowhere in the request.

use serde_json::{json, Map, Value};

use super::call::Call;
use super::text;

/// The command the agent is asked to run: shell arithmetic, so that only a shell prints
/// [`AGENT_OUTPUT`].
pub const AGENT_COMMAND: &str = "echo agent-$((6*7))";
/// What [`AGENT_COMMAND`] prints.
pub const AGENT_OUTPUT: &str = "agent-42";
/// The prefix of the answer once the tool has run.
pub const AGENT_REPLY: &str = "The tool printed: ";

/// The names agents give their shell tool: Codex CLI's (`shell`, `shell_command`,
/// `exec_command`, `local_shell`) and Claude Code's (`Bash`).
const SHELL_TOOLS: &[&str] = &["shell", "shell_command", "exec_command", "local_shell", "Bash", "bash"];

/// What the agent scenario answers.
pub(super) enum Turn {
    /// A call of `name` with these JSON arguments.
    Call { name: String, arguments: String },
    /// The final text.
    Text(String),
}

/// The next turn of the scripted agent conversation.
pub(super) fn turn(call: &Call) -> Turn {
    let messages = call.messages();
    if let Some(last) = messages.last().filter(|m| m.get("role").and_then(Value::as_str) == Some("tool")) {
        let printed = text::content_text(&last["content"]);
        return Turn::Text(format!("{AGENT_REPLY}{}", printed.trim()));
    }
    let tools = call.body.get("tools").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let function = |tool: &Value| tool.get("function").cloned().unwrap_or(Value::Null);
    let shell = SHELL_TOOLS
        .iter()
        .find_map(|name| tools.iter().map(function).find(|f| f.get("name").and_then(Value::as_str) == Some(name)));
    match shell {
        Some(tool) => {
            let name = tool["name"].as_str().unwrap_or_default().to_owned();
            Turn::Call { name, arguments: arguments(&tool["parameters"]).to_string() }
        }
        None => Turn::Text(call.echo_text()),
    }
}

/// Arguments for a shell tool of this schema: the command under `command` or `cmd`, as an argv
/// array (`["bash", "-lc", …]`) when the schema asks for an array, else as a string; every other
/// required string gets a short description.
fn arguments(schema: &Value) -> Value {
    let properties = schema.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut arguments = Map::new();
    let key = if properties.contains_key("cmd") && !properties.contains_key("command") { "cmd" } else { "command" };
    let is_array = properties.get(key).and_then(|p| p.get("type")).and_then(Value::as_str) == Some("array");
    arguments
        .insert(key.to_owned(), if is_array { json!(["bash", "-lc", AGENT_COMMAND]) } else { json!(AGENT_COMMAND) });
    for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
        let Some(name) = required.as_str() else { continue };
        let is_string = properties.get(name).and_then(|p| p.get("type")).and_then(Value::as_str) == Some("string");
        if !arguments.contains_key(name) && is_string {
            arguments.insert(name.to_owned(), json!("print the answer"));
        }
    }
    Value::Object(arguments)
}
