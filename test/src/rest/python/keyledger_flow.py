"""Drives Keyledger's REST API the way the brief's Python users do, with the standard library only.

Usage: python3 keyledger_flow.py BASE_URL
Exits non-zero with a message on the first thing that is wrong; prints a JSON summary on success.
"""

import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

BASE = sys.argv[1].rstrip("/")
USERNAME = "py_user_%d" % int(time.time() * 1000)
PASSWORD = "correct horse battery staple"


class APIError(Exception):
    def __init__(self, status, body, headers):
        super().__init__("HTTP %d: %s" % (status, body))
        self.status = status
        self.body = body
        self.headers = headers


def request(method, path, body=None, token=None, form=None, headers=None):
    """One call. Returns (status, parsed JSON body, headers); raises APIError on 4xx/5xx."""
    all_headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        all_headers["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode("ascii")
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token is not None:
        all_headers["Authorization"] = "Bearer " + token
    all_headers.update(headers or {})
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            raw = res.read().decode("utf-8")
            return res.status, (json.loads(raw) if raw else None), res.headers
    except urllib.error.HTTPError as err:
        raw = err.read().decode("utf-8")
        raise APIError(err.code, json.loads(raw) if raw else None, err.headers) from None


def expect(condition, message):
    if not condition:
        sys.stderr.write("FAILED: %s\n" % message)
        sys.exit(1)


def expect_error(status, code, fn):
    try:
        fn()
    except APIError as err:
        expect(err.status == status, "expected %d, got %d %s" % (status, err.status, err.body))
        expect(err.body["error"]["code"] == code, "expected %s, got %s" % (code, err.body))
        expect(err.headers.get("X-Request-Id"), "an error without X-Request-Id")
        return err
    expect(False, "expected HTTP %d %s, but the call succeeded" % (status, code))


class RAGAPIClient:
    """The brief's client, with urllib in place of requests."""

    def __init__(self, api_key, base_url="http://localhost:8000"):
        self.base_url = base_url
        self.headers = {"Authorization": "Bearer %s" % api_key, "Content-Type": "application/json"}

    def _post(self, path, payload):
        req = urllib.request.Request(
            self.base_url + path, data=json.dumps(payload).encode("utf-8"), headers=self.headers, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as err:
            raise APIError(err.code, json.loads(err.read().decode("utf-8")), err.headers) from None

    def query(self, question):
        return self._post("/query", {"query": question})

    def ingest_text(self, text, metadata=None):
        return self._post("/ingest", {"data_type": "text", "content": text, "metadata": metadata or {}})


class EnterpriseRAGClient:
    """The brief's retrying client; a 429 tells it how long to wait."""

    def __init__(self, api_key, base_url, retry_attempts=3):
        self.client = RAGAPIClient(api_key, base_url)
        self.retry_attempts = retry_attempts
        self.waits = []

    def robust_query(self, question):
        for attempt in range(self.retry_attempts):
            try:
                return self.client.query(question)
            except APIError as err:
                if err.status != 429 or attempt == self.retry_attempts - 1:
                    raise
                # The server says how long; the tests do not sleep it out.
                self.waits.append(int(err.headers["Retry-After"]))


summary = {}

# Sign up, then sign in both ways: JSON, and the OAuth2 password grant's form.
status, user, headers = request("POST", "/auth/register", {"username": USERNAME, "password": PASSWORD})
expect(status == 201 and user["username"] == USERNAME, "register: %s" % user)
expect(headers.get("X-Request-Id"), "register: no X-Request-Id")
status, token, _ = request("POST", "/auth/token", {"username": USERNAME, "password": PASSWORD})
expect(token["token_type"] == "bearer" and token["expires_in"] > 0, "token: %s" % token)
status, form_token, _ = request(
    "POST", "/auth/token", form={"grant_type": "password", "username": USERNAME, "password": PASSWORD}
)
expect(form_token["access_token"] != token["access_token"], "form token: %s" % form_token)
access = token["access_token"]
expect_error(401, "INVALID_CREDENTIALS", lambda: request("POST", "/auth/token", {"username": USERNAME, "password": "wrong password"}))

# Generate a key, as the brief does, and see it everywhere.
status, key, _ = request(
    "POST",
    "/api-keys/generate",
    {
        "name": "My API Key",
        "description": "For production app",
        "scope": "full_access",
        "expires_in_days": 90,
        "rate_limit": 1000,
    },
    token=access,
)
expect(status == 201, "generate status %d" % status)
expect(key["key"].startswith("rag_") and key["key_prefix"] in key["key"], "generate: %s" % key)
for field in ("key_id", "key_prefix", "name", "description", "user_id", "scope", "status", "created_at",
              "expires_at", "last_used", "usage_count", "rate_limit", "rate_window"):
    expect(field in key, "the key object has no %s" % field)
expect(not any("hash" in f for f in key), "a hash left the server: %s" % list(key))
key_id, secret = key["key_id"], key["key"]

status, listing, _ = request("GET", "/api-keys/list", token=access)
expect([k["key_id"] for k in listing["keys"]] == [key_id], "list: %s" % listing)
expect("key" not in listing["keys"][0], "list shows the plaintext key")
status, listing, _ = request("GET", "/api-keys/list?status=revoked", token=access)
expect(listing["keys"] == [], "list?status=revoked: %s" % listing)
status, got, _ = request("GET", "/api-keys/%s" % key_id, token=access)
expect(got["name"] == "My API Key" and got["status"] == "active" and "key" not in got, "get: %s" % got)
status, updated, _ = request(
    "PUT", "/api-keys/%s" % key_id, {"name": "Updated name", "description": "Updated description"}, token=access
)
expect(updated["name"] == "Updated name" and updated["description"] == "Updated description", "update: %s" % updated)
status, scopes, _ = request("GET", "/api-keys/scopes/available")
expect([s["scope"] for s in scopes["scopes"]] == ["read_only", "query_only", "ingest_only", "full_access", "admin"],
       "scopes: %s" % scopes)

# The brief's client, unchanged but for urllib: ingest, then ask.
client = RAGAPIClient(secret, BASE)
ingested = client.ingest_text(
    "Machine learning is a field of study in which computers learn patterns from data "
    "instead of following explicit rules.\n\nPhotosynthesis turns light, water and carbon dioxide into sugar.",
    {"source": "primer.txt"},
)
expect(ingested["document_id"].startswith("doc_"), "ingest: %s" % ingested)
result = client.query("What is machine learning?")
expect(result["query"] == "What is machine learning?", "query: %s" % result)
expect("computers learn patterns from data" in result["answer"], "answer: %s" % result["answer"])
expect("Photosynthesis" not in result["answer"].split("\n\n")[0], "the best passage is not first: %s" % result)
expect(result["sources"][0]["document_id"] == ingested["document_id"], "sources: %s" % result["sources"])
expect(result["sources"][0]["metadata"] == {"source": "primer.txt"}, "source metadata: %s" % result["sources"])
status, info, info_headers = request("GET", "/system/info", token=secret)
expect(info["knowledge_base"]["documents"] == 1 and info["key"]["scope"] == "full_access", "info: %s" % info)
for name in ("RateLimit-Policy", "RateLimit", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
    expect(info_headers.get(name), "/system/info without %s" % name)
expect(info_headers["X-RateLimit-Limit"] == "1000", "X-RateLimit-Limit: %s" % info_headers["X-RateLimit-Limit"])
summary["answer"] = result["answer"]

# Usage shows both calls, by endpoint.
# Uses are group-committed within a few milliseconds, so a read right after a call may not show it yet.
for _ in range(100):
    status, usage, _ = request("GET", "/api-keys/%s/usage?days=30" % key_id, token=access)
    if usage["total"] >= 3:
        break
    time.sleep(0.01)
endpoints = {e["endpoint"]: e for e in usage["endpoints"]}
expect(endpoints.get("/query", {}).get("successes") == 1, "usage of /query: %s" % usage)
expect(endpoints.get("/ingest", {}).get("successes") == 1, "usage of /ingest: %s" % usage)
expect(usage["total"] == 3 and usage["success_rate"] == 1, "usage totals: %s" % usage)
summary["usage_endpoints"] = sorted(endpoints)

# Regenerate: the new secret works, the old one is refused at once.
status, regenerated, _ = request("POST", "/api-keys/%s/regenerate" % key_id, {}, token=access)
expect(regenerated["key_id"] == key_id and regenerated["key"] != secret, "regenerate: %s" % regenerated)
new_secret = regenerated["key"]
expect_error(401, "INVALID_API_KEY", lambda: RAGAPIClient(secret, BASE).query("machine learning"))
expect("computers" in RAGAPIClient(new_secret, BASE).query("machine learning")["answer"], "the new key does not work")

# Revoke: the new secret is refused too, and the key shows as revoked.
status, revoked, _ = request("DELETE", "/api-keys/%s" % key_id, token=access)
expect(revoked["status"] == "revoked", "revoke: %s" % revoked)
err = expect_error(401, "INVALID_API_KEY", lambda: RAGAPIClient(new_secret, BASE).ingest_text("more"))
expect(err.body["error"]["details"]["reason"] == "REVOKED", "revoked key refusal: %s" % err.body)
expect_error(401, "INVALID_API_KEY", lambda: request("GET", "/system/info", token=secret))
status, verified, _ = request("POST", "/api-keys/verify", {"key": new_secret})
expect(verified["valid"] is False and verified["code"] == "REVOKED", "verify after revoke: %s" % verified)

# Scope: a query_only key may query but not ingest.
status, narrow, _ = request("POST", "/api-keys/generate", {"name": "narrow", "scope": "query_only", "rate_limit": 2}, token=access)
expect_error(403, "INSUFFICIENT_SCOPE", lambda: RAGAPIClient(narrow["key"], BASE).ingest_text("nope"))

# Rate limit: the brief's retrying client gets a 429 with Retry-After and gives up after its attempts.
enterprise = EnterpriseRAGClient(narrow["key"], BASE, retry_attempts=3)
enterprise.robust_query("anything")  # the 403 above used none of the limit of 2; this is call 1
try:
    enterprise.robust_query("anything")  # call 2, then 429s
    enterprise.robust_query("anything")
    expect(False, "the rate limit of 2 let a third call through")
except APIError as err:
    expect(err.status == 429 and err.body["error"]["code"] == "RATE_LIMITED", "rate limited: %s" % err.body)
    expect(int(err.headers["Retry-After"]) > 0, "429 without Retry-After")
    expect(err.headers["X-RateLimit-Remaining"] == "0", "429 with remaining %s" % err.headers["X-RateLimit-Remaining"])
summary["retry_waits"] = enterprise.waits

# Sign out: the access token stops working.
request("POST", "/auth/logout", token=access)
expect_error(401, "UNAUTHENTICATED", lambda: request("GET", "/api-keys/list", token=access))

print(json.dumps(summary))
