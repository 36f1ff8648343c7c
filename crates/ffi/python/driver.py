"""Drives zohocrm-rs through its C ABI from Python, with the standard library only.

The library (libzohocrm_ffi) decides everything: hosts, the token refresh, the replay after
401 INVALID_TOKEN, retries and backoff, parsing. This file only moves bytes (urllib.request),
reads the clock and sleeps: that is the whole job of a binding.

Usage: python3 driver.py LIBRARY_PATH BASE_URL [TOKEN_STORE_PATH]

It prints one line per scenario; on "PAUSE <action>" it waits for a line on stdin so that the
test harness can act on the mock server (expire tokens, inject a 429) between calls.
"""

import base64
import ctypes
import json
import sys
import threading
import time
import urllib.request

ZCRM_OK = 0
ZCRM_ERROR = 1
ZCRM_ABI_VERSION = 1


class ZohoError(Exception):
    """An error object from the library: {"kind","code","message","status","details"}."""

    def __init__(self, error):
        super().__init__(f"{error.get('kind')}: {error.get('code')}: {error.get('message')}")
        self.error = error


class Library:
    """The C ABI, declared with ctypes. Returned strings are owned: read, then zcrm_string_free."""

    def __init__(self, path):
        lib = ctypes.CDLL(path)
        out = ctypes.POINTER(ctypes.c_void_p)
        cstr = ctypes.c_char_p
        handle = ctypes.c_void_p
        lib.zcrm_abi_version.argtypes = []
        lib.zcrm_abi_version.restype = ctypes.c_uint32
        lib.zcrm_string_free.argtypes = [ctypes.c_void_p]
        lib.zcrm_string_free.restype = None
        lib.zcrm_session_new.argtypes = [cstr, out, out]
        lib.zcrm_session_new.restype = ctypes.c_int32
        lib.zcrm_session_free.argtypes = [handle]
        lib.zcrm_session_free.restype = None
        lib.zcrm_session_info.argtypes = [handle, out]
        lib.zcrm_session_info.restype = ctypes.c_int32
        lib.zcrm_exchange_new.argtypes = [handle, cstr, cstr, ctypes.c_uint64, out, out]
        lib.zcrm_exchange_new.restype = ctypes.c_int32
        lib.zcrm_exchange_poll.argtypes = [handle, ctypes.c_int64, out]
        lib.zcrm_exchange_poll.restype = ctypes.c_int32
        lib.zcrm_exchange_on_response.argtypes = [
            handle, ctypes.c_int64, ctypes.c_uint16, cstr,
            ctypes.POINTER(ctypes.c_uint8), ctypes.c_size_t, out,
        ]
        lib.zcrm_exchange_on_response.restype = ctypes.c_int32
        lib.zcrm_exchange_on_transport_error.argtypes = [handle, ctypes.c_int64, cstr, cstr, out]
        lib.zcrm_exchange_on_transport_error.restype = ctypes.c_int32
        lib.zcrm_exchange_free.argtypes = [handle]
        lib.zcrm_exchange_free.restype = None
        lib.zcrm_operations.argtypes = [out]
        lib.zcrm_operations.restype = ctypes.c_int32
        lib.zcrm_next_page.argtypes = [cstr, cstr, cstr, out]
        lib.zcrm_next_page.restype = ctypes.c_int32
        self.lib = lib
        version = lib.zcrm_abi_version()
        if version != ZCRM_ABI_VERSION:
            raise RuntimeError(f"ABI version {version}, this binding speaks {ZCRM_ABI_VERSION}")

    def take(self, ptr):
        """Reads an owned string from the library and frees it; None for NULL."""
        if not ptr.value:
            return None
        try:
            return ctypes.string_at(ptr.value).decode("utf-8")
        finally:
            self.lib.zcrm_string_free(ptr.value)

    def check(self, rc, ptr):
        """Frees the out string; raises ZohoError on ZCRM_ERROR, else returns the parsed JSON."""
        text = self.take(ptr)
        value = json.loads(text) if text is not None else None
        if rc != ZCRM_OK:
            raise ZohoError(value or {"kind": "ffi", "message": "no error object"})
        return value

    def operations(self):
        out = ctypes.c_void_p()
        return self.check(self.lib.zcrm_operations(ctypes.byref(out)), out)

    def next_page(self, op, params, output):
        out = ctypes.c_void_p()
        rc = self.lib.zcrm_next_page(
            op.encode(), json.dumps(params).encode(), json.dumps(output).encode(), ctypes.byref(out)
        )
        return self.check(rc, out)


def now_ms():
    return int(time.time() * 1000)


# A loopback-only opener: no proxy from the environment, and HTTP errors are responses.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def perform(step):
    """Performs a send step. Returns (status, headers, body) or raises OSError."""
    body = base64.b64decode(step["body_base64"])
    request = urllib.request.Request(
        step["url"],
        data=body if body or step["method"] in ("POST", "PUT", "PATCH") else None,
        method=step["method"],
    )
    for name, value in step["headers"]:
        request.add_header(name, value)
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, list(response.headers.items()), response.read()
    except urllib.request.HTTPError as error:  # a non-2xx status is still a response
        with error:
            return error.code, list(error.headers.items()), error.read()


class Session:
    def __init__(self, library, config):
        self.library = library
        self.lib = library.lib
        handle = ctypes.c_void_p()
        err = ctypes.c_void_p()
        rc = self.lib.zcrm_session_new(
            json.dumps(config).encode(), ctypes.byref(handle), ctypes.byref(err)
        )
        library.check(rc, err)
        self.handle = handle

    def close(self):
        self.lib.zcrm_session_free(self.handle)
        self.handle = None

    def info(self):
        out = ctypes.c_void_p()
        return self.library.check(self.lib.zcrm_session_info(self.handle, ctypes.byref(out)), out)

    def call(self, op, params=None, stats=None, seed=None):
        """Runs one operation to completion; returns its output or raises ZohoError."""
        stats = stats if stats is not None else {}
        for key in ("token_sends", "api_sends", "sleeps", "slept_ms"):
            stats.setdefault(key, 0)
        library, lib = self.library, self.lib
        exchange = ctypes.c_void_p()
        err = ctypes.c_void_p()
        seed = seed if seed is not None else time.time_ns() & 0xFFFFFFFFFFFFFFFF
        params_json = json.dumps(params).encode() if params is not None else None
        rc = lib.zcrm_exchange_new(
            self.handle, op.encode(), params_json, seed, ctypes.byref(exchange), ctypes.byref(err)
        )
        library.check(rc, err)
        try:
            while True:
                out = ctypes.c_void_p()
                step = library.check(lib.zcrm_exchange_poll(exchange, now_ms(), ctypes.byref(out)), out)
                if step["step"] == "send":
                    if "/oauth/v2/token" in step["url"]:
                        stats["token_sends"] += 1
                    else:
                        stats["api_sends"] += 1
                    err = ctypes.c_void_p()
                    try:
                        status, headers, body = perform(step)
                    except OSError as error:  # refused, reset, timed out: a transport error
                        reason = getattr(error, "reason", error)
                        kind = "connect" if isinstance(reason, ConnectionRefusedError) else "io"
                        if isinstance(reason, TimeoutError):
                            kind = "timeout"
                        rc = lib.zcrm_exchange_on_transport_error(
                            exchange, now_ms(), kind.encode(), str(error).encode(), ctypes.byref(err)
                        )
                    else:
                        buffer = (ctypes.c_uint8 * len(body)).from_buffer_copy(body)
                        rc = lib.zcrm_exchange_on_response(
                            exchange, now_ms(), status, json.dumps(headers).encode(),
                            buffer, len(body), ctypes.byref(err),
                        )
                    library.check(rc, err)
                elif step["step"] == "sleep":
                    stats["sleeps"] += 1
                    stats["slept_ms"] += step["ms"]
                    time.sleep(step["ms"] / 1000)
                elif step["step"] == "done":
                    if step["ok"]:
                        return step["output"]
                    raise ZohoError(step["error"])
                else:
                    raise RuntimeError(f"unknown step {step}")
        finally:
            lib.zcrm_exchange_free(exchange)


def pause(action):
    print(f"PAUSE {action}", flush=True)
    if not sys.stdin.readline():
        raise RuntimeError(f"no go-ahead for {action}")


def check_licences(output):
    for key in ("available", "used", "limit"):
        if not isinstance(output.get(key), int) or output[key] < 0:
            raise RuntimeError(f"licences: unexpected shape {output}")
    return output


def main():
    if len(sys.argv) < 3:
        raise SystemExit("usage: driver.py LIBRARY_PATH BASE_URL [TOKEN_STORE_PATH]")
    library = Library(sys.argv[1])
    base = sys.argv[2]
    credentials = {
        "client_id": "mock-client-id",
        "client_secret": "mock-client-secret",
        "refresh_token": "mock-refresh-token",
    }
    config = {"accounts_url": base, "api_domain": base, "credentials": credentials}
    if len(sys.argv) > 3:
        config["token_store_path"] = sys.argv[3]

    try:
        Session(library, dict(config, accounts_url="http://example.com"))
        raise RuntimeError("a remote http:// host was accepted")
    except ZohoError as error:
        print(f"bad_config kind={error.error['kind']}", flush=True)

    ops = library.operations()
    if "territories.get_territories" not in ops or "features.get_user_licences_count" not in ops:
        raise RuntimeError("operation list incomplete")
    print(f"operations count={len(ops)}", flush=True)

    session = Session(library, config)

    # 1. First call: token refresh, then the API call.
    stats = {}
    licences = check_licences(session.call("features.get_user_licences_count", stats=stats))
    print(f"licences limit={licences['limit']} token_sends={stats['token_sends']} "
          f"api_sends={stats['api_sends']}", flush=True)

    # 2. Every territory, page by page, following the core's paging rule.
    op = "territories.get_territories"
    params = {"per_page": 2}
    pages, names, pstats = 0, [], {}
    while params is not None:
        output = session.call(op, params, stats=pstats)
        pages += 1
        names += [t["name"] for t in output["territories"]]
        params = library.next_page(op, params, output)
        if pages > 50:
            raise RuntimeError("paging does not end")
    print(f"territories pages={pages} total={len(names)} token_sends={pstats['token_sends']}",
          flush=True)

    # 3. The server forgets the token: 401 INVALID_TOKEN -> refresh -> replay.
    pause("expire_tokens")
    rstats = {}
    check_licences(session.call("features.get_user_licences_count", stats=rstats))
    print(f"replay token_sends={rstats['token_sends']} api_sends={rstats['api_sends']}", flush=True)

    # 4. 429 with Retry-After: 1 -> sleep -> retry.
    pause("too_many_requests")
    tstats = {}
    check_licences(session.call("features.get_user_licences_count", stats=tstats))
    print(f"retry api_sends={tstats['api_sends']} sleeps={tstats['sleeps']} "
          f"slept_ms={tstats['slept_ms']}", flush=True)

    # 5. One session shared by threads: a fresh session, four concurrent calls, one refresh.
    in_memory = {k: v for k, v in config.items() if k != "token_store_path"}
    shared = Session(library, in_memory)
    results, failures, tstats_all = [], [], []

    def worker(i):
        s = {}
        try:
            results.append(check_licences(shared.call("features.get_user_licences_count",
                                                      stats=s, seed=i)))
        except Exception as error:  # reported below
            failures.append(repr(error))
        tstats_all.append(s)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"threads failed: {failures}")
    print(f"threads calls={len(results)} token_sends={sum(s['token_sends'] for s in tstats_all)} "
          f"mint_count={shared.info()['mint_count']}", flush=True)
    shared.close()

    # 6. Errors are objects, never crashes, and never hold secrets.
    try:
        session.call("territories.get_territory", {"id": ""})
        raise RuntimeError("an empty id was accepted")
    except ZohoError as error:
        text = json.dumps(error.error)
        if "mock-client-secret" in text or "mock-refresh-token" in text:
            raise RuntimeError("a secret leaked into an error")
        print(f"build_error kind={error.error['kind']} code={error.error['code']}", flush=True)
    try:
        session.call("no.such_operation")
    except ZohoError as error:
        print(f"unknown_operation code={error.error['code']}", flush=True)

    info = session.info()
    if "mock-client-secret" in json.dumps(info):
        raise RuntimeError("a secret leaked into the session info")
    print(f"info mint_count={info['mint_count']}", flush=True)
    session.close()
    print("OK", flush=True)


if __name__ == "__main__":
    main()
