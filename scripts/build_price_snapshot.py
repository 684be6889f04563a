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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tokenbudget.core.pricing.book import NON_MODEL_KEYS  # noqa: E402
from tokenbudget.core.pricing.snapshot import META_KEY, dumps, loads  # noqa: E402
from tokenbudget.core.pricing.sync import slim_entry  # noqa: E402  (one rule for the snapshot and every sync)

DEFAULT_SOURCE = REPO.parent / "shared/data/litellm_model_prices.json"
DEFAULT_OUT = REPO / "tokenbudget/core/pricing/data/litellm_prices.json"
UPSTREAM = {
    "upstream": "BerriAI/litellm litellm/model_prices_and_context_window_backup.json",
    "upstream_version": "1.110.2",
    "upstream_built": "2026-11-20T03:38:35Z",
    "licence": "MIT (BerriAI/litellm)",
}


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
