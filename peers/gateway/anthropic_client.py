"""Drives the composed gateway's Messages route with the official Anthropic Python client.

    peers/.venv/bin/python peers/gateway/anthropic_client.py http://127.0.0.1:PORT CLIENT_KEY

Prints one JSON line per step, for host-test/tests/all/gateway_agents.rs to check:
  {"step": "create", ...}     messages.create, not streamed (the key as `x-api-key`)
  {"step": "stream", ...}     messages.stream: the event types, the text, the final message
  {"step": "loop", ...}       a tool loop against mock/agent with messages.stream: the model asks
                              for the `Bash` tool, this script runs it and sends a tool_result
  {"step": "count", ...}      messages.count_tokens
  {"step": "wrong-key", ...}  a client with another key: the SDK's AuthenticationError
Exits 0 when every step ran; 1 when a step raised something unexpected.
"""

import json
import subprocess
import sys

import anthropic

BASH = {
    "name": "Bash",
    "description": "Runs a bash command",
    "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]},
    "cache_control": {"type": "ephemeral"},
}


def emit(**fields):
    print(json.dumps(fields), flush=True)


def main(base_url, client_key):
    client = anthropic.Anthropic(base_url=base_url, api_key=client_key, max_retries=0, timeout=30)

    message = client.messages.create(
        model="gpt-4o", max_tokens=64, system=[{"type": "text", "text": "Be brief."}],
        messages=[{"role": "user", "content": "Hello from anthropic"}],
    )
    emit(step="create", id=message.id, type=message.type, stop_reason=message.stop_reason,
         text="".join(b.text for b in message.content if b.type == "text"), usage=message.usage.model_dump())

    types = []
    with client.messages.stream(model="gpt-4o", max_tokens=64,
                                messages=[{"role": "user", "content": "Streaming anthropic"}]) as stream:
        for event in stream:
            types.append(event.type)
        final = stream.get_final_message()
    emit(step="stream", types=types, text="".join(b.text for b in final.content if b.type == "text"),
         stop_reason=final.stop_reason, usage=final.usage.model_dump())

    history = [{"role": "user", "content": "What does the shell say?"}]
    calls = 0
    for _ in range(4):
        with client.messages.stream(model="mock/agent", max_tokens=256, tools=[BASH], messages=history,
                                    thinking={"type": "enabled", "budget_tokens": 2048}) as stream:
            final = stream.get_final_message()
        uses = [b for b in final.content if b.type == "tool_use"]
        if final.stop_reason != "tool_use" or not uses:
            break
        history.append({"role": "assistant", "content": [b.model_dump() for b in final.content]})
        results = []
        for use in uses:
            calls += 1
            printed = subprocess.run(["bash", "-c", use.input["command"]], capture_output=True, text=True,
                                     timeout=10).stdout
            results.append({"type": "tool_result", "tool_use_id": use.id, "content": printed})
        history.append({"role": "user", "content": results})
    emit(step="loop", calls=calls, stop_reason=final.stop_reason,
         text="".join(b.text for b in final.content if b.type == "text"))

    count = client.messages.count_tokens(model="gpt-4o", messages=[{"role": "user", "content": "12345678"}])
    emit(step="count", input_tokens=count.input_tokens)

    try:
        anthropic.Anthropic(base_url=base_url, api_key="sk-wrong", max_retries=0).messages.create(
            model="gpt-4o", max_tokens=8, messages=[{"role": "user", "content": "x"}])
        emit(step="wrong-key", raised=None)
    except anthropic.APIStatusError as e:
        emit(step="wrong-key", raised=type(e).__name__, status=e.status_code, body=e.body)


if __name__ == "__main__":
    try:
        main(sys.argv[1], sys.argv[2])
    except Exception as e:  # noqa: BLE001 - report, then fail
        emit(step="unexpected", raised=type(e).__name__, message=str(e))
        sys.exit(1)
