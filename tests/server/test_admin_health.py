"""Admin endpoints (X-Admin-Key), the waitlist, health/readiness, CORS and the OpenAPI document."""

from __future__ import annotations

from tests.server.conftest import LiveServer
from tokenbudget.core import keys


def test_admin_endpoints_disabled_without_a_configured_key(server: LiveServer) -> None:
    with server.client() as client:
        for url in ("/api/waitlist", "/api/admin/keys"):
            response = client.get(url, headers={"X-Admin-Key": ""})
            assert response.status_code == 403 and "TOKENBUDGET_ADMIN_KEY" in response.json()["detail"]


def test_admin_key_is_required_and_compared(make_server) -> None:
    server: LiveServer = make_server(admin_key="s3cret-admin")
    user_key = server.key("ana@example.com", project="web")
    with server.client() as client:
        assert client.get("/api/waitlist").status_code == 401
        assert client.get("/api/waitlist", headers={"X-Admin-Key": "s3cret-admiN"}).status_code == 401
        assert client.get("/api/waitlist", headers={"Authorization": f"Bearer {user_key}"}).status_code == 401
        admin = {"X-Admin-Key": "s3cret-admin"}
        assert client.get("/api/waitlist", headers=admin).json() == {"entries": []}
        listed = client.get("/api/admin/keys", headers=admin).json()["keys"]
        assert [k["prefix"] for k in listed] == [keys.key_prefix(user_key)]
        with server.client(user_key) as user:
            assert user.get("/api/projects").status_code == 200  # cached now
            revoked = client.post(f"/api/admin/keys/{keys.key_prefix(user_key)}/revoke", headers=admin)
            assert revoked.status_code == 200
            assert user.get("/api/projects").status_code == 401  # at once on this process


def test_waitlist_validates_and_deduplicates(make_server) -> None:
    server: LiveServer = make_server(admin_key="adm")
    with server.client() as client:
        first = client.post("/api/waitlist", json={"email": " Ana@Example.com ", "source": "landing"})
        again = client.post("/api/waitlist", json={"email": "ana@example.com"})
        bad = client.post("/api/waitlist", json={"email": "not-an-email"})
        missing = client.post("/api/waitlist", json={})
        entries = client.get("/api/waitlist", headers={"X-Admin-Key": "adm"}).json()["entries"]
    assert first.status_code == 201 and first.json() == {"email": "ana@example.com", "already_listed": False}
    assert again.status_code == 200 and again.json()["already_listed"] is True
    assert bad.status_code == 422 and "email" in bad.json()["detail"]
    assert missing.status_code == 422
    assert [(e["email"], e["source"]) for e in entries] == [("ana@example.com", "landing")]


def test_public_waitlist_is_rate_limited_per_address(make_server) -> None:
    from tests.server.test_ratelimit import _away_from_window_edge

    _away_from_window_edge()
    server: LiveServer = make_server(public_rate_limit_per_minute=3, rate_limit_per_minute=0)
    key = server.key("ana@example.com", project="web")
    with server.client() as client:
        codes = [
            client.post("/api/waitlist", json={"email": f"u{n}@example.com"}).status_code for n in range(3)
        ]
        spam = client.post("/api/waitlist", json={"email": "not-an-email"})  # counted like any other
        limited = client.post("/api/waitlist", json={"email": "late@example.com"})
    assert codes == [201, 201, 201] and spam.status_code == 429
    assert limited.status_code == 429 and limited.json() == {"detail": "rate limit exceeded for this address"}
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    with server.client(key) as client:  # calls with a key have their own (here: no) limit
        assert client.get("/api/projects").status_code == 200


def test_health_and_readiness(server: LiveServer) -> None:
    with server.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz").json()
        assert ready["status"] == "ready" and ready["revision"] == ready["head_revision"]
        assert ready["redis"] is None  # no TOKENBUDGET_REDIS_URL: nothing to report (README, /readyz)


def test_cors_open_by_default_and_restricted_when_configured(make_server) -> None:
    open_server: LiveServer = make_server()
    closed: LiveServer = make_server(allowed_origins=("https://app.example.com",))
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    with open_server.client() as client:
        assert (
            client.options("/api/projects", headers=preflight).headers["access-control-allow-origin"] == "*"
        )
    with closed.client() as client:
        assert client.options("/api/projects", headers=preflight).status_code == 400
        ok = client.options("/api/projects", headers={**preflight, "Origin": "https://app.example.com"})
        assert ok.headers["access-control-allow-origin"] == "https://app.example.com"


def test_openapi_documents_every_endpoint_with_models(server: LiveServer) -> None:
    with server.client() as client:
        spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/v1/events",
        "/v1/events/batch",
        "/api/analytics/summary",
        "/api/analytics/timeseries",
        "/api/analytics/breakdown",
        "/api/analytics/report",
        "/api/projects",
        "/api/projects/{name}",
        "/api/waitlist",
        "/healthz",
        "/readyz",
    ):
        assert path in paths, path
    batch = paths["/v1/events/batch"]["post"]
    assert batch["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/IngestResult"
    )
    body = batch["requestBody"]["content"]["application/json"]["schema"]
    assert "input_tokens" in body["properties"]["events"]["items"]["properties"]
    schemas = spec["components"]["schemas"]
    assert {"ReportOut", "SummaryOut", "TimeseriesOut", "ProjectOut", "IngestResult"} <= set(schemas)
    assert "bearer" in str(spec["components"]["securitySchemes"]).lower()
