"""The waitlist: email addresses of people who asked to hear about TokenBudget (public sign-up, admin listing)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from tokenbudget.core.store.schema import waitlist
from tokenbudget.core.tenants import normalise_email, now

if TYPE_CHECKING:
    from tokenbudget.core.store import Store


def join(store: Store, email: str, source: str | None = None) -> bool:
    """Add an address (validated, lower-cased); False when it was already listed."""
    email = normalise_email(email)
    with store.engine.begin() as conn:
        if conn.execute(sa.select(waitlist.c.id).where(waitlist.c.email == email)).scalar() is not None:
            return False
        try:
            with conn.begin_nested():  # two sign-ups at once: the loser finds the winner's row
                conn.execute(
                    sa.insert(waitlist).values(
                        email=email, source=(source or "")[:200] or None, created_at=now()
                    )
                )
        except sa.exc.IntegrityError:
            return False
    return True


def entries(store: Store) -> list[dict[str, Any]]:
    query = sa.select(waitlist.c.email, waitlist.c.source, waitlist.c.created_at).order_by(waitlist.c.id)
    with store.engine.connect() as conn:
        return [
            {"email": r.email, "source": r.source, "created_at": r.created_at.isoformat()}
            for r in conn.execute(query)
        ]
