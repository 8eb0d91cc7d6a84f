"""Drives the composed gateway's Responses route with the official OpenAI Python client.

    peers/.venv/bin/python peers/gateway/responses_client.py http://127.0.0.1:PORT/v1 CLIENT_KEY

Prints one JSON line per step, for host-test/tests/all/gateway_agents.rs to check:
  {"step": "create", ...}   responses.create, not streamed
  {"step": "stream", ...}   responses.create(stream=True): the event types in order, the text
  {"step": "loop", ...}     a function-tool loop against mock/agent: the model asks for the
                            `shell` tool, this script runs the command in bash and hands the
                            output back as a function_call_output; the final text
  {"step": "error", ...}    previous_response_id: the SDK's BadRequestError
Exits 0 when every step ran; 1 when a step raised something unexpected.
"""

import json
import subprocess
import sys

import openai

SHELL = {
    "type": "function",
    "name": "shell",
    "description": "Runs a shell command and returns what it printed",
    "parameters": {
        "type": "object",
        "properties": {"command": {"type": "array", "items": {"type": "string"}}},
        "required": ["command"],
    },
}


def emit(**fields):
    print(json.dumps(fields), flush=True)


def main(base_url, client_key):
    client = openai.OpenAI(base_url=base_url, api_key=client_key, max_retries=0, timeout=30)

    answer = client.responses.create(model="gpt-4o", input="Hello from responses", store=False)
    emit(step="create", id=answer.id, object=answer.object, status=answer.status, text=answer.output_text,
         usage=answer.usage.model_dump() if answer.usage else None)

    types, text = [], ""
    with client.responses.create(model="gpt-4o", input="Streaming responses", stream=True) as stream:
        for event in stream:
            types.append(event.type)
            if event.type == "response.output_text.delta":
                text += event.delta
            if event.type == "response.completed":
                completed = event.response
    emit(step="stream", types=types, text=text, final=completed.output_text,
         usage=completed.usage.model_dump() if completed.usage else None)

    history = [{"role": "user", "content": "What does the shell say?"}]
    calls = 0
    for _ in range(4):
        response = client.responses.create(model="mock/agent", input=history, tools=[SHELL], store=False)
        pending = [item for item in response.output if item.type == "function_call"]
        if not pending:
            break
        for call in pending:
            calls += 1
            argv = json.loads(call.arguments)["command"]
            printed = subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout
            history.append({"type": "function_call", "call_id": call.call_id, "name": call.name,
                            "arguments": call.arguments})
            history.append({"type": "function_call_output", "call_id": call.call_id, "output": printed})
    emit(step="loop", calls=calls, text=response.output_text)

    try:
        client.responses.create(model="gpt-4o", input="again", previous_response_id="resp_earlier")
        emit(step="error", raised=None)
    except openai.APIStatusError as e:
        emit(step="error", raised=type(e).__name__, status=e.status_code, body=e.body)


if __name__ == "__main__":
    try:
        main(sys.argv[1], sys.argv[2])
    except Exception as e:  # noqa: BLE001 - report, then fail
        emit(step="unexpected", raised=type(e).__name__, message=str(e))
        sys.exit(1)
