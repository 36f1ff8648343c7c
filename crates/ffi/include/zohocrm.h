/*
 * zohocrm.h - C ABI of zohocrm-rs, the Zoho CRM v8 SDK (crate zohocrm-ffi).
 *
 * The library is a sans-IO state machine: it builds requests, handles authentication, the
 * single-flight token refresh, the refresh-and-replay after 401 INVALID_TOKEN, retries with
 * backoff and response parsing. The caller performs the HTTP requests, reads the clock and sleeps.
 * Everything crosses the boundary as JSON text; see crates/ffi/README.md for the shapes.
 *
 * Conventions
 * - Fallible functions return ZCRM_OK or ZCRM_ERROR and write exactly one owned string (or NULL)
 *   to their last `char **out...` parameter: the result on success, an error object
 *   {"kind","code","message","status","details"} on failure. A NULL `out` pointer is allowed
 *   (nothing is written).
 * - Every `char *` the library returns is owned by the caller and freed with zcrm_string_free,
 *   never with free().
 * - Strings passed in are NUL-terminated UTF-8, borrowed for the duration of the call only.
 * - `now_ms` is the caller's wall clock in milliseconds since the Unix epoch.
 * - No panic crosses the boundary: it is reported as an error of kind "ffi", code "panic".
 * - A zcrm_session may be used from several threads at once. A zcrm_exchange is one call,
 *   driven by one thread at a time (it is locked internally, so misuse is safe, not useful).
 *
 * Kept in sync with crates/ffi/src/lib.rs by the test tests/it/header.rs.
 */
#ifndef ZOHOCRM_H
#define ZOHOCRM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return values of fallible functions. */
#define ZCRM_OK 0
#define ZCRM_ERROR 1

/* The ABI version returned by zcrm_abi_version. */
#define ZCRM_ABI_VERSION 1

/* A session: hosts, credentials and shared token state of one CRM user. Thread-safe. */
typedef struct zcrm_session zcrm_session;

/* One call in progress. */
typedef struct zcrm_exchange zcrm_exchange;

/* The ABI version (ZCRM_ABI_VERSION of the library actually loaded). */
uint32_t zcrm_abi_version(void);

/* Frees a string returned by this library. NULL is ignored. */
void zcrm_string_free(char *s);

/*
 * Creates a session from its JSON configuration, e.g.
 *   {"data_center":"eu","environment":"production",
 *    "credentials":{"client_id":"...","client_secret":"...","refresh_token":"..."},
 *    "token_store_path":"/path/token.json"}
 * or custom hosts {"accounts_url":"http://127.0.0.1:8080","api_domain":"http://127.0.0.1:8080"}
 * (http:// only for loopback hosts) instead of data_center/environment.
 * On success: *out_session = new handle (free with zcrm_session_free), *out_error = NULL.
 * On failure: *out_session = NULL, *out_error = owned error object (kind "build" or "ffi").
 */
int32_t zcrm_session_new(const char *config_json, zcrm_session **out_session, char **out_error);

/* Frees a session handle. NULL is ignored. Live exchanges keep the session alive. */
void zcrm_session_free(zcrm_session *session);

/*
 * Writes an owned JSON description of the session, without secrets, to *out_json:
 * {"accounts_url","api_domain","content_domain","data_center","user_agent","can_refresh",
 *  "mint_count","token_expires_at_ms","last_store_error"}.
 */
int32_t zcrm_session_info(const zcrm_session *session, char **out_json);

/*
 * Starts a call of `operation_id` (e.g. "territories.get_territories") with `params_json`
 * (a JSON object named as the API names parameters; NULL for none) on `session`.
 * `jitter_seed` seeds the retry backoff jitter.
 * On success: *out_exchange = new handle (free with zcrm_exchange_free), *out_error = NULL.
 * On failure (unknown operation, invalid JSON, NULL argument): *out_exchange = NULL and
 * *out_error = owned error object. Invalid parameters surface in the first poll as a "done"
 * step with an error of kind "build".
 */
int32_t zcrm_exchange_new(const zcrm_session *session, const char *operation_id, const char *params_json, uint64_t jitter_seed, zcrm_exchange **out_exchange, char **out_error);

/*
 * Advances the call; writes the next step to *out_step (owned):
 *   {"step":"send","method":"GET","url":"https://...","headers":[["name","value"],...],
 *    "body_base64":"..."}   -> perform it, then zcrm_exchange_on_response or
 *                              zcrm_exchange_on_transport_error
 *   {"step":"sleep","ms":1000}  -> sleep, then poll again
 *   {"step":"done","ok":true,"output":{...}}
 *   {"step":"done","ok":false,"error":{"kind":"api|http|auth|transport|decode|build|scope",
 *                                      "code":...,"message":...,"status":...,"details":...}}
 * Returns ZCRM_ERROR (with an error object in *out_step) only for misuse: NULL handle,
 * negative now_ms, a caught panic.
 */
int32_t zcrm_exchange_poll(zcrm_exchange *exchange, int64_t now_ms, char **out_step);

/*
 * Reports the response to the last "send" step. `headers_json` is [["name","value"],...] or
 * {"name":"value"} (NULL for none); `body` is copied (`body_len` bytes; NULL if 0).
 * On success *out_error = NULL.
 */
int32_t zcrm_exchange_on_response(zcrm_exchange *exchange, int64_t now_ms, uint16_t status, const char *headers_json, const uint8_t *body, size_t body_len, char **out_error);

/*
 * Reports that the last "send" step failed in the transport. `kind` is "connect" (never reached
 * the server), "timeout", "io", "body_too_large" or "other"; `message` may be NULL and must not
 * hold secrets. On success *out_error = NULL.
 */
int32_t zcrm_exchange_on_transport_error(zcrm_exchange *exchange, int64_t now_ms, const char *kind, const char *message, char **out_error);

/* Frees an exchange (finished or not; an unfinished one is cancelled). NULL is ignored. */
void zcrm_exchange_free(zcrm_exchange *exchange);

/* Writes the ids of every operation as an owned JSON array of strings to *out_json. */
int32_t zcrm_operations(char **out_json);

/*
 * Writes to *out_json the params of the page after `output_json` (the "output" of a done step of
 * `operation_id` called with `params_json`), or the JSON text null when there is no next page.
 */
int32_t zcrm_next_page(const char *operation_id, const char *params_json, const char *output_json, char **out_json);

#ifdef __cplusplus
}
#endif

#endif /* ZOHOCRM_H */
