"""API keys over HTTP: one 401 for every bad key, prefix lookup (one bcrypt check), cache and revocation."""

from __future__ import annotations

import time

import pytest

from tests.server.conftest import LiveServer, event
from tokenbudget.core import keys


def test_every_bad_key_gets_the_same_401(server: LiveServer) -> None:
    good = server.key("ana@example.com", project="web")
    revoked = server.key("ana@example.com", project="web")
    keys.revoke_key(server.store, keys.key_prefix(revoked))
    unknown = "tb_ak_" + "0" * 32
    wrong_secret = good[:-4] + ("0000" if not good.endswith("0000") else "1111")  # right prefix, wrong rest
    attempts = {
        "missing": {},
        "unknown": {"Authorization": f"Bearer {unknown}"},
        "wrong secret, right prefix": {"Authorization": f"Bearer {wrong_secret}"},
        "truncated": {"Authorization": f"Bearer {good[:-1]}"},
        "upper case": {"Authorization": f"Bearer {good.upper()}"},
        "wrong start": {"Authorization": f"Bearer sk_ak_{good[6:]}"},
        "revoked": {"Authorization": f"Bearer {revoked}"},
        "no Bearer scheme": {"Authorization": good},
        "Basic scheme": {"Authorization": f"Basic {good}"},
        "admin header": {"X-Admin-Key": good},
        "query string": {},
    }
    with server.client() as client:
        for label, headers in attempts.items():
            url = f"/api/projects?api_key={good}" if label == "query string" else "/api/projects"
            response = client.get(url, headers=headers)
            assert response.status_code == 401, label
            assert response.json() == {"detail": "invalid or missing API key"}, label
        posted = client.post("/v1/events", json=event(1), headers={"Authorization": f"Bearer {revoked}"})
        assert posted.status_code == 401
        # Both accepted headers work.
        assert client.get("/api/projects", headers={"Authorization": f"Bearer {good}"}).status_code == 200
        assert client.get("/api/projects", headers={"X-API-Key": good}).status_code == 200
    assert server.store.count_events() == 0


def test_lookup_is_by_prefix_one_bcrypt_check_then_cached(server: LiveServer, monkeypatch) -> None:
    for i in range(15):
        server.key(f"user{i}@example.com", project=f"p{i}")
    target = server.key("ana@example.com", project="web")
    checks: list[str] = []
    real = keys._check
    monkeypatch.setattr(keys, "_check", lambda key, hashed: checks.append(hashed) or real(key, hashed))
    with server.client(target) as client:
        for _ in range(5):
            assert client.get("/api/projects").status_code == 200
    assert len(checks) == 1  # one hash verified, once: never a loop over the 16 stored hashes


def test_revocation_through_this_server_is_immediate(server: LiveServer) -> None:
    key = server.key("ana@example.com", project="web")
    other = server.key("ana@example.com", project="web")
    with server.client(key) as client:
        assert client.get("/api/keys").status_code == 200  # now cached
        listed = client.get("/api/keys").json()["keys"]
        assert {k["prefix"] for k in listed} == {keys.key_prefix(key), keys.key_prefix(other)}
        assert "key_hash" not in listed[0]
        revoked = client.delete(f"/api/keys/{keys.key_prefix(key)}")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        assert client.get("/api/projects").status_code == 401


def test_revocation_elsewhere_takes_effect_within_the_cache_ttl(make_server) -> None:
    server = make_server(key_cache_ttl_s=0.5)
    key = server.key("ana@example.com", project="web")
    with server.client(key) as client:
        assert client.get("/api/projects").status_code == 200
        keys.revoke_key(server.store, keys.key_prefix(key))  # as `tb keys revoke` in another process does
        time.sleep(0.6)
        assert client.get("/api/projects").status_code == 401


def test_a_key_cannot_revoke_another_users_key(server: LiveServer) -> None:
    ana = server.key("ana@example.com", project="web")
    bob = server.key("bob@example.com", project="bobs")
    with server.client(ana) as client:
        response = client.delete(f"/api/keys/{keys.key_prefix(bob)}")
    assert response.status_code == 404
    with server.client(bob) as client:
        assert client.get("/api/projects").status_code == 200


@pytest.mark.parametrize(
    "bad", ["", "tb_ak_", "tb_ak_" + "g" * 32, "tb_ak_" + "a" * 31, "tb_ak_" + "a" * 33, None]
)
def test_key_prefix_rejects_malformed_keys(bad) -> None:
    assert keys.key_prefix(bad) is None


def test_generated_keys_are_well_formed_and_unique() -> None:
    made = {keys.generate_key() for _ in range(200)}
    assert len(made) == 200
    assert all(keys.KEY_PATTERN.match(k) and keys.key_prefix(k) == k[:14] for k in made)
