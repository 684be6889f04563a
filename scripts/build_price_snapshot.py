"""Derive the bundled price snapshot from the shared copy of LiteLLM's price table.

    python scripts/build_price_snapshot.py [--source PATH] [--out PATH] [--generated YYYY-MM-DD]

Keeps only what pricing needs: the token-rate keys (every tier / service-tier spelling), `tiered_pricing`,
`litellm_provider`, `mode`, `alias_of`, `max_input_tokens`, `max_output_tokens`; for entries without a token price,
their numeric cost keys, so the book can say how they are priced ("priced per image"). Numbers are copied as the exact
text of the source JSON. The output is deterministic for a given source and --generated date.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tokenbudget.core.pricing.book import NON_MODEL_KEYS  # noqa: E402
from tokenbudget.core.pricing.model_price import is_rate_key  # noqa: E402
from tokenbudget.core.pricing.snapshot import META_KEY, NumberText, dumps, loads  # noqa: E402

DEFAULT_SOURCE = REPO.parent / "shared/data/litellm_model_prices.json"
DEFAULT_OUT = REPO / "tokenbudget/core/pricing/data/litellm_prices.json"
KEEP = ("litellm_provider", "mode", "alias_of", "max_input_tokens", "max_output_tokens")
UPSTREAM = {
    "upstream": "BerriAI/litellm litellm/model_prices_and_context_window_backup.json",
    "upstream_version": "1.110.2",
    "upstream_built": "2026-11-20T03:38:35Z",
    "licence": "MIT (BerriAI/litellm)",
}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, NumberText)) and not isinstance(value, bool)


def slim_entry(entry: dict[str, Any]) -> dict[str, Any]:
    out = {key: entry[key] for key in KEEP if key in entry}
    rates = {key: value for key, value in entry.items() if is_rate_key(key) and _is_number(value)}
    out.update(rates)
    tiers = [tier for tier in entry.get("tiered_pricing") or [] if isinstance(tier, dict)]
    token_tiers = [
        {k: v for k, v in tier.items() if k == "range" or (is_rate_key(k) and _is_number(v))}
        for tier in tiers
        if "range" in tier and "input_cost_per_token" in tier
    ]
    if token_tiers:
        out["tiered_pricing"] = token_tiers
    token_priced = (
        "input_cost_per_token" in rates or bool(rates.get("output_cost_per_token")) or bool(token_tiers)
    )
    if not token_priced:
        # Enough to say how it is priced instead (per image, per query, ...).
        out.update({k: v for k, v in entry.items() if "cost" in k})
        if tiers:
            out["tiered_pricing"] = [{k: v for k, v in t.items() if "cost" in k} for t in tiers]
    return out


def build(source: Path, generated: str) -> str:
    raw = source.read_bytes()
    data = loads(raw)
    models = {key: slim_entry(entry) for key, entry in data.items() if key not in NON_MODEL_KEYS}
    meta = {
        **UPSTREAM,
        "file": source.name,
        "upstream_sha256": hashlib.sha256(raw).hexdigest(),
        "upstream_entries": len(models),
        "generated": generated,
        "generator": "scripts/build_price_snapshot.py",
    }
    return dumps({META_KEY: meta, **models}) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--generated", default=date.today().isoformat(), help="date recorded in __meta__")
    args = parser.parse_args(argv)
    text = build(args.source, args.generated)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text.encode()):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
