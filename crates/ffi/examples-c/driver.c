/*
 * driver.c - a C program that drives zohocrm-rs through its C ABI (include/zohocrm.h) against
 * the mock server, doing only the IO itself: plain HTTP/1.1 over POSIX sockets (loopback http://
 * only), the wall clock and sleeping. The library decides everything else.
 *
 * Usage: driver BASE_URL          (e.g. http://127.0.0.1:40123, the mock's base_url)
 *
 * It prints one line per scenario; on "PAUSE <action>" it waits for a line on stdin so that the
 * test harness can act on the mock (expire tokens, inject a 429) between calls.
 * Exit status 0 when every scenario went as expected.
 *
 * Build: cc -std=c99 -Wall -Wextra -I crates/ffi/include driver.c -L<dir> -lzohocrm_ffi
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "zohocrm.h"

/* ------------------------------------------------------------------------------------------ */
/* Failing loudly. */

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "FAIL ");
    vfprintf(stdout, fmt, ap);
    fprintf(stdout, "\n");
    fflush(stdout);
    va_end(ap);
    exit(1);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory");
    return p;
}

/* ------------------------------------------------------------------------------------------ */
/* A tiny JSON reader: enough to read the library's step objects. Values are addressed by a
 * pointer to their first character inside the document. */

static const char *ws(const char *p) {
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
    return p;
}

static const char *skip_string(const char *p) { /* p at the opening quote */
    p++;
    while (*p && *p != '"') {
        if (*p == '\\' && p[1]) p++;
        p++;
    }
    return *p ? p + 1 : NULL;
}

static const char *skip_value(const char *p) {
    p = ws(p);
    if (*p == '"') return skip_string(p);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (*p) {
            if (*p == '"') {
                p = skip_string(p);
                if (!p) return NULL;
                continue;
            }
            if (*p == '{' || *p == '[') depth++;
            if (*p == '}' || *p == ']') {
                depth--;
                if (depth == 0) return p + 1;
            }
            p++;
        }
        return NULL;
    }
    while (*p && *p != ',' && *p != '}' && *p != ']' && !isspace((unsigned char)*p)) p++;
    return p;
}

/* The value of `key` in the object at `obj`, or NULL. Keys are compared as written. */
static const char *json_get(const char *obj, const char *key) {
    if (!obj) return NULL;
    const char *p = ws(obj);
    size_t klen = strlen(key);
    if (*p != '{') return NULL;
    p = ws(p + 1);
    while (*p == '"') {
        const char *kstart = p + 1;
        const char *kend = skip_string(p);
        if (!kend) return NULL;
        int match = (size_t)(kend - 1 - kstart) == klen && strncmp(kstart, key, klen) == 0;
        p = ws(kend);
        if (*p != ':') return NULL;
        p = ws(p + 1);
        if (match) return p;
        p = skip_value(p);
        if (!p) return NULL;
        p = ws(p);
        if (*p == ',') p = ws(p + 1);
    }
    return NULL;
}

static void put_utf8(char **o, unsigned long cp) {
    char *q = *o;
    if (cp < 0x80) {
        *q++ = (char)cp;
    } else if (cp < 0x800) {
        *q++ = (char)(0xC0 | (cp >> 6));
        *q++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *q++ = (char)(0xE0 | (cp >> 12));
        *q++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *q++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *q++ = (char)(0xF0 | (cp >> 18));
        *q++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *q++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *q++ = (char)(0x80 | (cp & 0x3F));
    }
    *o = q;
}

/* The string value at `v`, decoded, in a malloc'd buffer; NULL when `v` is not a string. */
static char *json_str(const char *v) {
    if (!v || *v != '"') return NULL;
    const char *end = skip_string(v);
    if (!end) return NULL;
    char *out = xmalloc((size_t)(end - v) * 2 + 1), *o = out;
    for (const char *p = v + 1; p < end - 1; p++) {
        if (*p != '\\') {
            *o++ = *p;
            continue;
        }
        p++;
        switch (*p) {
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'u': {
            unsigned long cp = strtoul((char[5]){p[1], p[2], p[3], p[4], 0}, NULL, 16);
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p[1] == '\\' && p[2] == 'u') {
                unsigned long lo = strtoul((char[5]){p[3], p[4], p[5], p[6], 0}, NULL, 16);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            put_utf8(&o, cp);
            break;
        }
        default: *o++ = *p; break; /* \" \\ \/ */
        }
    }
    *o = 0;
    return out;
}

static long long json_int(const char *v) {
    if (!v || !(isdigit((unsigned char)*v) || *v == '-')) return -1;
    return strtoll(v, NULL, 10);
}

static int json_is_true(const char *v) { return v && strncmp(v, "true", 4) == 0; }

/* A malloc'd copy of the JSON text of the value at `v`. */
static char *json_dup(const char *v) {
    const char *end = skip_value(v);
    if (!end) die("malformed JSON");
    size_t n = (size_t)(end - v);
    char *out = xmalloc(n + 1);
    memcpy(out, v, n);
    out[n] = 0;
    return out;
}

static const char *json_first(const char *arr) {
    const char *p = ws(arr);
    if (*p != '[') return NULL;
    p = ws(p + 1);
    return *p == ']' ? NULL : p;
}

static const char *json_next(const char *elem) {
    const char *p = skip_value(elem);
    if (!p) return NULL;
    p = ws(p);
    return *p == ',' ? ws(p + 1) : NULL;
}

static int json_len(const char *arr) {
    int n = 0;
    if (!arr) return -1;
    for (const char *e = json_first(arr); e; e = json_next(e)) n++;
    return n;
}

/* A growable string, for writing JSON and HTTP. */
typedef struct {
    char *p;
    size_t len, cap;
} buf_t;

static void buf_add(buf_t *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) die("out of memory");
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void buf_str(buf_t *b, const char *s) { buf_add(b, s, strlen(s)); }

static void buf_json_string(buf_t *b, const char *s, size_t n) {
    buf_add(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            buf_add(b, e, 2);
        } else if (c < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", c);
            buf_str(b, e);
        } else {
            buf_add(b, (const char *)&s[i], 1);
        }
    }
    buf_add(b, "\"", 1);
}

/* ------------------------------------------------------------------------------------------ */
/* Base64 (standard alphabet, padded). */

static unsigned char *base64_decode(const char *in, size_t *out_len) {
    static const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in);
    unsigned char *out = xmalloc(n / 4 * 3 + 3);
    size_t o = 0;
    unsigned long acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n && in[i] != '='; i++) {
        const char *pos = strchr(alphabet, in[i]);
        if (!pos || !in[i]) die("invalid base64");
        acc = (acc << 6) | (unsigned long)(pos - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)((acc >> bits) & 0xFF);
        }
    }
    *out_len = o;
    return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Clock. */

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* ------------------------------------------------------------------------------------------ */
/* HTTP/1.1 over a socket, one request per connection. */

typedef struct {
    int status;
    buf_t headers_json; /* [["name","value"],...] */
    unsigned char *body;
    size_t body_len;
} response_t;

/* Returns NULL on success, or the transport error kind ("connect", "io", "other"), with a
 * message in `msg`. */
static const char *http_do(const char *method, const char *url, const char *headers_arr,
                           const unsigned char *body, size_t body_len, response_t *resp,
                           char *msg, size_t msglen) {
    if (strncmp(url, "http://", 7) != 0) {
        snprintf(msg, msglen, "this driver speaks plain http only: %s", url);
        return "other";
    }
    const char *host_start = url + 7;
    const char *slash = strchr(host_start, '/');
    const char *path = slash ? slash : "/";
    size_t hostport_len = slash ? (size_t)(slash - host_start) : strlen(host_start);
    char hostport[256];
    if (hostport_len >= sizeof hostport) die("host too long");
    memcpy(hostport, host_start, hostport_len);
    hostport[hostport_len] = 0;
    char host[256], port[16] = "80";
    strcpy(host, hostport);
    char *colon = strrchr(host, ':');
    if (colon) {
        snprintf(port, sizeof port, "%s", colon + 1);
        *colon = 0;
    }

    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0) {
        snprintf(msg, msglen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return "connect";
    }
    int fd = -1;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        snprintf(msg, msglen, "cannot connect to %s: %s", hostport, strerror(errno));
        return "connect";
    }
    struct timeval tv = {30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

    buf_t req = {0};
    buf_str(&req, method);
    buf_str(&req, " ");
    buf_str(&req, path);
    buf_str(&req, " HTTP/1.1\r\nHost: ");
    buf_str(&req, hostport);
    buf_str(&req, "\r\n");
    for (const char *h = json_first(headers_arr); h; h = json_next(h)) {
        const char *k = json_first(h);
        char *name = json_str(k), *value = json_str(json_next(k));
        if (!name || !value) die("malformed header pair");
        if (strcasecmp(name, "host") && strcasecmp(name, "content-length") && strcasecmp(name, "connection")) {
            buf_str(&req, name);
            buf_str(&req, ": ");
            buf_str(&req, value);
            buf_str(&req, "\r\n");
        }
        free(name);
        free(value);
    }
    char line[64];
    snprintf(line, sizeof line, "Content-Length: %zu\r\nConnection: close\r\n\r\n", body_len);
    buf_str(&req, line);
    buf_add(&req, (const char *)body, body_len);

    for (size_t sent = 0; sent < req.len;) {
        ssize_t n = send(fd, req.p + sent, req.len - sent, 0);
        if (n <= 0) {
            snprintf(msg, msglen, "send failed: %s", strerror(errno));
            close(fd);
            free(req.p);
            return "io";
        }
        sent += (size_t)n;
    }
    free(req.p);

    buf_t raw = {0};
    char chunk[8192];
    for (;;) {
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n == 0) break;
        if (n < 0) {
            snprintf(msg, msglen, "receive failed: %s", strerror(errno));
            close(fd);
            free(raw.p);
            return errno == EAGAIN || errno == EWOULDBLOCK ? "timeout" : "io";
        }
        buf_add(&raw, chunk, (size_t)n);
    }
    close(fd);

    char *head_end = raw.p ? strstr(raw.p, "\r\n\r\n") : NULL;
    if (!head_end || sscanf(raw.p, "HTTP/1.%*d %d", &resp->status) != 1) {
        snprintf(msg, msglen, "no HTTP response (%zu bytes)", raw.len);
        free(raw.p);
        return "io";
    }
    long long content_length = -1;
    int chunked = 0;
    memset(&resp->headers_json, 0, sizeof resp->headers_json);
    buf_str(&resp->headers_json, "[");
    int first = 1;
    for (char *l = strstr(raw.p, "\r\n") + 2; l < head_end;) {
        char *eol = strstr(l, "\r\n");
        char *sep = memchr(l, ':', (size_t)(eol - l));
        if (sep) {
            char *v = sep + 1;
            while (*v == ' ' || *v == '\t') v++;
            size_t vlen = (size_t)(eol - v);
            if (!first) buf_str(&resp->headers_json, ",");
            first = 0;
            buf_str(&resp->headers_json, "[");
            buf_json_string(&resp->headers_json, l, (size_t)(sep - l));
            buf_str(&resp->headers_json, ",");
            buf_json_string(&resp->headers_json, v, vlen);
            buf_str(&resp->headers_json, "]");
            if ((size_t)(sep - l) == 14 && strncasecmp(l, "content-length", 14) == 0)
                content_length = strtoll(v, NULL, 10);
            if ((size_t)(sep - l) == 17 && strncasecmp(l, "transfer-encoding", 17) == 0 &&
                vlen >= 7 && strncasecmp(v, "chunked", 7) == 0)
                chunked = 1;
        }
        l = eol + 2;
    }
    buf_str(&resp->headers_json, "]");

    const unsigned char *b = (const unsigned char *)head_end + 4;
    size_t avail = raw.len - (size_t)((const char *)b - raw.p);
    buf_t out = {0};
    buf_add(&out, "", 0);
    if (chunked) {
        const char *p = (const char *)b, *end = (const char *)b + avail;
        for (;;) {
            unsigned long size = strtoul(p, NULL, 16);
            const char *data = strstr(p, "\r\n");
            if (!data) break;
            data += 2;
            if (size == 0) break;
            if (data + size > end) {
                snprintf(msg, msglen, "truncated chunked body");
                free(raw.p);
                free(out.p);
                return "io";
            }
            buf_add(&out, data, size);
            p = data + size + 2;
        }
    } else if (content_length >= 0) {
        if ((size_t)content_length > avail) {
            snprintf(msg, msglen, "body truncated: %zu of %lld bytes", avail, content_length);
            free(raw.p);
            free(out.p);
            return "io";
        }
        buf_add(&out, (const char *)b, (size_t)content_length);
    } else {
        buf_add(&out, (const char *)b, avail);
    }
    free(raw.p);
    resp->body = (unsigned char *)out.p;
    resp->body_len = out.len;
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Driving one call. */

typedef struct {
    int token_sends, api_sends, sleeps;
    long long slept_ms;
} stats_t;

static uint64_t next_seed = 12345;

/* Runs `op` with `params` to completion; returns the owned JSON text of the output (free()),
 * or exits on an error. */
static char *call(zcrm_session *session, const char *op, const char *params, stats_t *st) {
    zcrm_exchange *ex = NULL;
    char *err = NULL;
    if (zcrm_exchange_new(session, op, params, next_seed++, &ex, &err) != ZCRM_OK) die("zcrm_exchange_new(%s): %s", op, err);
    for (;;) {
        char *step = NULL;
        if (zcrm_exchange_poll(ex, now_ms(), &step) != ZCRM_OK) die("zcrm_exchange_poll: %s", step);
        char *kind = json_str(json_get(step, "step"));
        if (!kind) die("step without a kind: %s", step);
        if (strcmp(kind, "send") == 0) {
            char *method = json_str(json_get(step, "method"));
            char *url = json_str(json_get(step, "url"));
            char *b64 = json_str(json_get(step, "body_base64"));
            size_t body_len = 0;
            unsigned char *body = base64_decode(b64, &body_len);
            if (strstr(url, "/oauth/v2/token")) st->token_sends++;
            else st->api_sends++;
            response_t resp;
            memset(&resp, 0, sizeof resp);
            char msg[512];
            const char *terr = http_do(method, url, json_get(step, "headers"), body, body_len, &resp, msg, sizeof msg);
            int rc;
            if (terr) {
                rc = zcrm_exchange_on_transport_error(ex, now_ms(), terr, msg, &err);
            } else {
                rc = zcrm_exchange_on_response(ex, now_ms(), (uint16_t)resp.status, resp.headers_json.p, resp.body, resp.body_len, &err);
                free(resp.headers_json.p);
                free(resp.body);
            }
            if (rc != ZCRM_OK) die("reporting the response: %s", err);
            free(method);
            free(url);
            free(b64);
            free(body);
        } else if (strcmp(kind, "sleep") == 0) {
            long long ms = json_int(json_get(step, "ms"));
            st->sleeps++;
            st->slept_ms += ms;
            sleep_ms(ms);
        } else if (strcmp(kind, "done") == 0) {
            if (!json_is_true(json_get(step, "ok"))) die("%s failed: %s", op, step);
            char *output = json_dup(json_get(step, "output"));
            free(kind);
            zcrm_string_free(step);
            zcrm_exchange_free(ex);
            return output;
        } else {
            die("unknown step %s", kind);
        }
        free(kind);
        zcrm_string_free(step);
    }
}

static void pause_for(const char *action) {
    printf("PAUSE %s\n", action);
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin)) die("no go-ahead for %s", action);
}

static long long licences(zcrm_session *s, stats_t *st) {
    char *out = call(s, "features.get_user_licences_count", NULL, st);
    long long available = json_int(json_get(out, "available"));
    long long used = json_int(json_get(out, "used"));
    long long limit = json_int(json_get(out, "limit"));
    if (available < 0 || used < 0 || limit < 0) die("licences: unexpected shape %s", out);
    free(out);
    return limit;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) die("usage: driver BASE_URL");
    const char *base = argv[1];
    if (zcrm_abi_version() != ZCRM_ABI_VERSION) die("ABI version %u, header says %d", zcrm_abi_version(), ZCRM_ABI_VERSION);

    char config[1024];
    snprintf(config, sizeof config,
             "{\"accounts_url\":\"%s\",\"api_domain\":\"%s\",\"credentials\":{"
             "\"client_id\":\"mock-client-id\",\"client_secret\":\"mock-client-secret\","
             "\"refresh_token\":\"mock-refresh-token\"}}",
             base, base);
    zcrm_session *session = NULL;
    char *err = NULL;
    if (zcrm_session_new(config, &session, &err) != ZCRM_OK) die("zcrm_session_new: %s", err);

    /* An invalid configuration is an error object, never a crash. */
    zcrm_session *bad = NULL;
    if (zcrm_session_new("{\"accounts_url\":\"http://example.com\",\"api_domain\":\"http://example.com\","
                         "\"credentials\":{\"access_token\":\"tok-123456\"}}", &bad, &err) != ZCRM_ERROR || bad)
        die("a remote http:// host was accepted");
    char *bad_kind = json_str(json_get(err, "kind"));
    printf("bad_config kind=%s\n", bad_kind);
    free(bad_kind);
    zcrm_string_free(err);
    err = NULL;

    /* 1. First call: the library asks for the token refresh first, then the API call. */
    stats_t st = {0};
    long long limit = licences(session, &st);
    printf("licences limit=%lld token_sends=%d api_sends=%d\n", limit, st.token_sends, st.api_sends);

    /* 2. Every territory, page by page; zcrm_next_page applies the core's paging rule. */
    char *params = strdup("{\"per_page\":2}");
    int pages = 0, total = 0;
    stats_t pst = {0};
    for (;;) {
        char *out = call(session, "territories.get_territories", params, &pst);
        int n = json_len(json_get(out, "territories"));
        if (n < 0) die("territories: unexpected shape %s", out);
        pages++;
        total += n;
        char *next = NULL;
        if (zcrm_next_page("territories.get_territories", params, out, &next) != ZCRM_OK) die("zcrm_next_page: %s", next);
        free(out);
        free(params);
        if (strcmp(next, "null") == 0) {
            zcrm_string_free(next);
            break;
        }
        params = strdup(next);
        zcrm_string_free(next);
        if (pages > 50) die("paging does not end");
    }
    printf("territories pages=%d total=%d token_sends=%d\n", pages, total, pst.token_sends);

    /* 3. The server forgets our token: 401 INVALID_TOKEN -> refresh -> replay, in one call. */
    pause_for("expire_tokens");
    stats_t rst = {0};
    licences(session, &rst);
    printf("replay token_sends=%d api_sends=%d\n", rst.token_sends, rst.api_sends);

    /* 4. 429 TOO_MANY_REQUESTS with Retry-After: 1 -> sleep -> retry. */
    pause_for("too_many_requests");
    stats_t tst = {0};
    licences(session, &tst);
    printf("retry api_sends=%d sleeps=%d slept_ms=%lld\n", tst.api_sends, tst.sleeps, tst.slept_ms);

    /* 5. Misuse is reported, not fatal. */
    zcrm_exchange *none = NULL;
    if (zcrm_exchange_new(session, "no.such_operation", NULL, 1, &none, &err) != ZCRM_ERROR || none) die("unknown operation accepted");
    char *code = json_str(json_get(err, "code"));
    printf("unknown_operation code=%s\n", code);
    free(code);
    zcrm_string_free(err);

    char *info = NULL;
    if (zcrm_session_info(session, &info) != ZCRM_OK) die("zcrm_session_info: %s", info);
    printf("info mint_count=%lld\n", json_int(json_get(info, "mint_count")));
    zcrm_string_free(info);

    zcrm_session_free(session);
    printf("OK\n");
    return 0;
}
