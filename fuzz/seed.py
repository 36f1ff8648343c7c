#!/usr/bin/env python3
"""Seeds corpus/<target>/ from the recorded fixtures: every response body (with a status byte in
front, as the targets read it) and every fixture file. Run from fuzz/: `python3 seed.py`."""
import base64, json, os, pathlib

root = pathlib.Path(__file__).resolve().parent
fixtures = root.parent / "fixtures"
statuses = [200, 201, 202, 204, 207, 304, 400, 401, 403, 404, 429, 500, 502, 503]
corpus = {t: root / "corpus" / t for t in ("parse_response", "records", "envelopes", "fixture_loader")}
for d in corpus.values():
    d.mkdir(parents=True, exist_ok=True)

def body_bytes(body):
    if body is None:
        return b""
    if isinstance(body, dict) and len(body) == 1:
        if isinstance(body.get("text"), str):
            return body["text"].encode()
        if isinstance(body.get("base64"), str):
            return base64.b64decode(body["base64"])
        if "json" in body:
            return json.dumps(body["json"]).encode()
    return json.dumps(body).encode()

n = 0
for i, path in enumerate(sorted(fixtures.rglob("*.json"))):
    raw = path.read_bytes()
    (corpus["fixture_loader"] / f"{i:05}").write_bytes(raw)
    for j, ex in enumerate(json.loads(raw).get("exchanges", [])):
        resp = ex.get("response", {})
        if resp.get("status") is None:
            continue
        status = statuses.index(resp["status"]) if resp["status"] in statuses else 0
        data = bytes([status]) + body_bytes(resp.get("body"))
        for t in ("records", "envelopes"):
            (corpus[t] / f"{i:05}-{j}").write_bytes(data)
        (corpus["parse_response"] / f"{i:05}-{j}").write_bytes(bytes([i % 256]) + data)
        n += 1
print(f"{n} response bodies from {i + 1} fixtures")
