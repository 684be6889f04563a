"""The TokenBudget SDK: two lines in an app record what every LLM call costs.

    import tokenbudget
    client = tokenbudget.wrap(OpenAI())
    with tokenbudget.tags(feature="search", user_id="u_42"):
        client.chat.completions.create(...)

It never raises into, never blocks and never changes what the caller's code sees.
"""

from __future__ import annotations

from tokenbudget.sdk.recorder import configure, flush, record, shutdown
from tokenbudget.sdk.tags import current_tags, tags
from tokenbudget.sdk.wrap import wrap

__all__ = ["configure", "current_tags", "flush", "record", "shutdown", "tags", "wrap"]
