"""Drives the composed gateway with the official OpenAI Python client (peers/.venv).

    peers/.venv/bin/python peers/gateway/openai_client.py http://127.0.0.1:PORT/v1 CLIENT_KEY

Prints one JSON line per step, for host-test/tests/all/composition.rs to check:
  {"step": "models", ...}      GET /v1/models
  {"step": "chat", ...}        a non-streamed chat completion
  {"step": "stream", ...}      a streamed one (stream_options.include_usage)
  {"step": "tools", ...}       a non-streamed one with a tool, answered by a tool call
  {"step": "embeddings", ...}  embeddings of two texts (the SDK asks for base64 and decodes it)
  {"step": "error", ...}       for each of mock/error-429 and mock/error-401: the APIStatusError
  {"step": "wrong-key", ...}   a client with another key: the gateway's 401
Exits 0 when every step ran, whatever the answers; 1 when a step raised something unexpected.
The client's own retries are off (max_retries=0): a 429 must reach this script as it was sent.
"""

import json
import sys

import openai


def emit(**fields):
    print(json.dumps(fields), flush=True)


def main(base_url, client_key):
    # The gateway's client key: the SDK sends it as `Authorization: Bearer`.
    client = openai.OpenAI(base_url=base_url, api_key=client_key, max_retries=0, timeout=30)

    models = client.models.list()
    emit(step="models", ids=[m.id for m in models.data])

    answer = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Hello from openai-python"}]
    )
    choice = answer.choices[0]
    emit(
        step="chat",
        id=answer.id,
        object=answer.object,
        model=answer.model,
        content=choice.message.content,
        finish_reason=choice.finish_reason,
        usage=answer.usage.model_dump() if answer.usage else None,
    )

    pieces, finish, usage, objects = [], None, None, set()
    stream = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Streaming from openai-python"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = 0
    for chunk in stream:
        chunks += 1
        objects.add(chunk.object)
        if chunk.usage is not None:
            usage = chunk.usage.model_dump()
        for c in chunk.choices:
            if c.delta.content:
                pieces.append(c.delta.content)
            if c.finish_reason:
                finish = c.finish_reason
    emit(step="stream", chunks=chunks, text="".join(pieces), finish_reason=finish, usage=usage, objects=sorted(objects))

    weather = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
    answer = client.chat.completions.create(
        model="mock/tool-call", messages=[{"role": "user", "content": "Weather in Paris?"}], tools=[weather]
    )
    choice = answer.choices[0]
    calls = [
        {"id": c.id, "name": c.function.name, "arguments": json.loads(c.function.arguments)}
        for c in choice.message.tool_calls or []
    ]
    emit(step="tools", finish_reason=choice.finish_reason, content=choice.message.content, tool_calls=calls)

    vectors = client.embeddings.create(model="text-embedding-3-small", input=["hello world", "hi"], dimensions=3)
    emit(
        step="embeddings",
        vectors=[d.embedding for d in vectors.data],
        model=vectors.model,
        usage=vectors.usage.model_dump() if vectors.usage else None,
    )

    for model in ["mock/error-429", "mock/error-401"]:
        try:
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": "x"}])
            emit(step="error", model=model, raised=None)
        except openai.APIStatusError as e:
            emit(
                step="error",
                model=model,
                raised=type(e).__name__,
                status=e.status_code,
                body=e.body,
                retry_after=e.response.headers.get("retry-after"),
            )

    stranger = openai.OpenAI(base_url=base_url, api_key="sk-not-a-gateway-key", max_retries=0, timeout=30)
    try:
        stranger.models.list()
        emit(step="wrong-key", raised=None)
    except openai.APIStatusError as e:
        emit(step="wrong-key", raised=type(e).__name__, status=e.status_code, body=e.body)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: openai_client.py BASE_URL CLIENT_KEY (e.g. http://127.0.0.1:8080/v1 sk-…)", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2])
