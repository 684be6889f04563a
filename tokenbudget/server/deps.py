"""Request dependencies: the shared state, the caller's API key (401) with its rate limit (429), the per-address
limit of the public endpoints (429), the admin key."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from tokenbudget.core.keys import KeyIdentity
from tokenbudget.server.ratelimit import RateLimiter
from tokenbudget.server.state import ServerState

# One message for every failure (unknown, malformed, truncated, revoked, missing): nothing to learn from it.
UNAUTHORIZED = "invalid or missing API key"
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer tb_ak_...")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="or X-API-Key: tb_ak_...")
_admin = APIKeyHeader(name="X-Admin-Key", auto_error=False, description="TOKENBUDGET_ADMIN_KEY")


def get_state(request: Request) -> ServerState:
    return request.app.state.tb


State = Annotated[ServerState, Depends(get_state)]


def presented_key(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header: Annotated[str | None, Security(_header)],
) -> str:
    key = bearer.credentials if bearer is not None else header
    if not key:
        raise HTTPException(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
    return key


def current_key(request: Request, state: State, key: Annotated[str, Depends(presented_key)]) -> KeyIdentity:
    identity = state.authenticator.identify(key)
    if identity is None:
        raise HTTPException(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
    _limit(state.limiter, str(identity.key_id), "rate limit exceeded for this API key")
    request.state.api_key = key  # for a scope refresh later in the request
    return identity


Caller = Annotated[KeyIdentity, Depends(current_key)]


def _limit(limiter: RateLimiter, subject: str, message: str) -> None:
    retry_after = limiter.hit(subject)
    if retry_after is not None:
        raise HTTPException(429, message, headers={"Retry-After": str(int(retry_after))})


def public_rate_limit(request: Request, state: State) -> None:
    """For the endpoints that take no key: TOKENBUDGET_PUBLIC_RATE_LIMIT_PER_MINUTE per client address.

    The address is the TCP peer, or the X-Forwarded-For client when uvicorn trusts the proxy that sent it
    (FORWARDED_ALLOW_IPS, by default only 127.0.0.1).
    """
    host = request.client.host if request.client is not None else "unknown"
    _limit(state.public_limiter, f"ip:{host}", "rate limit exceeded for this address")


def require_admin(state: State, given: Annotated[str | None, Security(_admin)]) -> None:
    expected = state.settings.admin_key
    if not expected:
        raise HTTPException(403, "admin endpoints are disabled: set TOKENBUDGET_ADMIN_KEY")
    # Constant-time: the comparison must not reveal how many leading characters were right.
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(401, "invalid or missing admin key")
