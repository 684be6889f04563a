"""`tb pricing`: look at the price book, compute a call's cost, and manage custom prices."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import typer

from tokenbudget.cli import context
from tokenbudget.cli.base import new_typer
from tokenbudget.cli.output import OutputFormat, format_option

if TYPE_CHECKING:
    from tokenbudget.core.pricing import ModelPrice

app = new_typer(help="Prices: list and inspect the price book, price a call, set custom (negotiated) prices.")

MILLION = Decimal(1_000_000)
RATE_FIELDS = ("input", "output", "cache_read", "cache_write", "cache_write_1h", "reasoning")


def _rate_dict(price: ModelPrice) -> dict[str, str | None]:
    return {f"{name}_per_1m": _per_1m_text(getattr(price, name)) for name in RATE_FIELDS}


def _per_1m_text(rate: Decimal | None) -> str | None:
    return None if rate is None else format((rate * MILLION).normalize(), "f")


def price_to_json(price: ModelPrice) -> dict[str, Any]:
    return {
        "model": price.key,
        "provider": price.provider,
        "mode": price.mode,
        "source": price.source,
        "token_priced": price.token_priced,
        "unpriced_reason": price.unpriced_reason,
        **_rate_dict(price),
        "tiers": [
            {
                "above_tokens": tier.threshold_tokens,
                **{f"{k}_per_1m": _per_1m_text(v) for k, v in tier.rates.items()},
            }
            for tier in price.tiers
        ],
        "service_tiers": {
            name: {f"{k}_per_1m": _per_1m_text(v) for k, v in rates.items()}
            for name, rates in price.service_tiers.items()
        },
        "max_input_tokens": price.max_input_tokens,
        "max_output_tokens": price.max_output_tokens,
    }


@app.command("list")
def list_prices(
    ctx: typer.Context,
    provider: str | None = typer.Option(
        None, "--provider", help="Only this provider (e.g. openai, anthropic)."
    ),
    search: str | None = typer.Option(
        None, "--search", "-s", help="Only models whose name contains this text."
    ),
    custom: bool = typer.Option(False, "--custom", help="Only custom prices."),
    fmt: OutputFormat = format_option(),
) -> None:
    """List priced models with their rates in USD per million tokens."""
    book = context.get(ctx).book()
    needle = (search or "").lower()
    prices = [
        p
        for p in book.models()
        if (not provider or (p.provider or "").lower() == provider.lower())
        and needle in p.key.lower()
        and (not custom or p.source == "custom")
    ]
    if fmt is OutputFormat.json:
        from tokenbudget.cli.output import print_json

        print_json({"price_version": book.version, "models": [price_to_json(p) for p in prices]})
        return
    if fmt is OutputFormat.csv:
        from tokenbudget.cli.output import write_csv

        header = ("model", "provider", "mode", "source", *(f"{n}_per_1m" for n in RATE_FIELDS))
        write_csv(header, ((p.key, p.provider, p.mode, p.source, *_rate_dict(p).values()) for p in prices))
        return
    from rich.table import Table

    from tokenbudget.cli.output import console, per_million

    table = Table(title=f"Prices per 1M tokens · {book.source}", title_justify="left", header_style="bold")
    for col in ("model", "provider", "input", "output", "cache read", "cache write", "note"):
        table.add_column(col, justify="right" if col not in ("model", "provider", "note") else "left")
    for p in prices:
        note = "custom" if p.source == "custom" else (p.unpriced_reason or ("tiered" if p.tiers else ""))
        table.add_row(
            p.key,
            p.provider or "",
            per_million(p.input),
            per_million(p.output),
            per_million(p.cache_read),
            per_million(p.cache_write),
            note,
        )
    console().print(table)
    console().print(f"[dim]{len(prices):,} model(s)[/]")


@app.command("show")
def show(
    ctx: typer.Context,
    model: str = typer.Argument(..., help="Model name as your provider reports it (e.g. gpt-4o-2024-08-06)."),
    provider: str | None = typer.Option(None, "--provider", help="Provider, to disambiguate a name."),
    fmt: OutputFormat = format_option(),
) -> None:
    """Show every rate of one model: base, long-context tiers and service tiers."""
    from tokenbudget.core.errors import UnknownModelError

    book = context.get(ctx).book()
    price = book.resolve(model, provider=provider)
    if price is None:
        # cost() raises the helpful "did you mean" error for unknown names.
        from tokenbudget.core.usage import Usage

        book.cost(model, Usage(), provider=provider)
        raise UnknownModelError(f"no price for {model!r}")
    data = price_to_json(price)
    if fmt is not OutputFormat.table:
        from tokenbudget.cli.output import print_json

        print_json(data)
        return
    from rich.table import Table

    from tokenbudget.cli.output import console

    table = Table(
        title=f"{price.key} ({price.provider or 'unknown provider'}, {price.source})", title_justify="left"
    )
    table.add_column("rate")
    table.add_column("USD per 1M tokens", justify="right")
    for name in RATE_FIELDS:
        table.add_row(_label(name), data[f"{name}_per_1m"] or "-")
    for tier in data["tiers"]:
        for key, value in tier.items():
            if key != "above_tokens":
                table.add_row(f"{_label(key)} above {tier['above_tokens']:,} input tokens", value)
    for tier_name, rates in data["service_tiers"].items():
        for key, value in rates.items():
            table.add_row(f"{_label(key)} ({tier_name})", value)
    console().print(table)
    if price.unpriced_reason:
        console().print(f"[yellow]Not token-priced: {price.unpriced_reason}[/]")


def _label(rate_key: str) -> str:
    return rate_key.removesuffix("_per_1m").replace("_", " ")


@app.command("cost")
def cost(
    ctx: typer.Context,
    model: str = typer.Argument(..., help="Model name."),
    input_tokens: int = typer.Option(
        0, "--input", "-i", min=0, help="All input tokens, cache reads/writes included."
    ),
    output_tokens: int = typer.Option(
        0, "--output", "-o", min=0, help="All output tokens, reasoning included."
    ),
    cache_read: int = typer.Option(0, "--cache-read", min=0, help="Input tokens read from the prompt cache."),
    cache_write: int = typer.Option(
        0, "--cache-write", min=0, help="Input tokens written to the cache (all TTLs)."
    ),
    cache_write_1h: int = typer.Option(
        0, "--cache-write-1h", min=0, help="The 1-hour part of --cache-write."
    ),
    reasoning: int = typer.Option(0, "--reasoning", min=0, help="The reasoning part of --output."),
    tier: str = typer.Option("standard", "--tier", help="Service tier: standard, batch, flex or priority."),
    provider: str | None = typer.Option(None, "--provider", help="Provider, to disambiguate a name."),
    fmt: OutputFormat = format_option(),
) -> None:
    """Price one call exactly and show the breakdown (uncached input, cache read/write, output, reasoning)."""
    from tokenbudget.core.usage import Usage

    usage = Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_input_tokens=cache_read,
        cache_write_input_tokens=cache_write,
        cache_write_1h_input_tokens=cache_write_1h,
        reasoning_tokens=reasoning,
        service_tier=tier,  # type: ignore[arg-type]
    )
    breakdown = context.get(ctx).book().cost(model, usage, provider=provider)
    if fmt is not OutputFormat.table:
        from tokenbudget.cli.output import print_json

        print_json(breakdown.to_dict())
        return
    from rich.table import Table

    from tokenbudget.cli.output import console

    title = f"{breakdown.model_key} · {breakdown.service_tier}"
    if breakdown.tier_threshold is not None:
        title += f" · long-context tier (> {breakdown.tier_threshold:,} input tokens)"
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("part")
    table.add_column("tokens", justify="right")
    table.add_column("USD per 1M", justify="right")
    table.add_column("cost (USD)", justify="right")
    write_5m = usage.cache_write_5m_input_tokens
    rows = [
        ("uncached input", usage.uncached_input_tokens, "input", breakdown.uncached_input),
        ("cache read", usage.cache_read_input_tokens, "cache_read", breakdown.cache_read),
        ("cache write", usage.cache_write_input_tokens, "cache_write" if write_5m else "cache_write_1h",
         breakdown.cache_write),
        ("output", usage.text_output_tokens, "output", breakdown.output),
        ("reasoning", usage.reasoning_tokens, "reasoning", breakdown.reasoning),
    ]  # fmt: skip
    for label, count, rate_name, amount in rows:
        rate = breakdown.rates.get(rate_name)
        table.add_row(label, f"{count:,}", _per_1m_text(rate) or "-", format(amount, "f"))
    table.add_row("[bold]total[/]", "", "", f"[bold]{format(breakdown.total, 'f')}[/]")
    console().print(table)
    console().print(f"[dim]price version {breakdown.price_version}[/]")


def _rate(text: str | None, option: str) -> Decimal | None:
    from tokenbudget.core.errors import TokenBudgetError

    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise TokenBudgetError(f"{option} must be a number of USD per million tokens, got {text!r}") from None
    if not value.is_finite() or value < 0:
        raise TokenBudgetError(f"{option} must be a non-negative number, got {text!r}")
    return value / MILLION


@app.command("set")
def set_price(
    ctx: typer.Context,
    model: str = typer.Argument(
        ..., help="Model name the price applies to (any name, even one not in the table)."
    ),
    input_per_1m: str = typer.Option(..., "--input-per-1m", help="USD per million input tokens."),
    output_per_1m: str = typer.Option(..., "--output-per-1m", help="USD per million output tokens."),
    cache_read_per_1m: str | None = typer.Option(None, "--cache-read-per-1m", help="USD per 1M cache reads."),
    cache_write_per_1m: str | None = typer.Option(
        None, "--cache-write-per-1m", help="USD per 1M cache writes."
    ),
    provider: str | None = typer.Option(None, "--provider", help="Provider of the model."),
    fmt: OutputFormat = format_option(),
) -> None:
    """Set a custom price (a negotiated rate or a private model). Custom prices win over the table and survive syncs.

    Existing events keep the price they were stored with; run `tb reprice --all` to apply the new price to history.
    """
    from tokenbudget.core.pricing import CustomPrice

    price = CustomPrice(
        model=model,
        input_per_token=_rate(input_per_1m, "--input-per-1m"),  # type: ignore[arg-type]
        output_per_token=_rate(output_per_1m, "--output-per-1m"),  # type: ignore[arg-type]
        cache_read_per_token=_rate(cache_read_per_1m, "--cache-read-per-1m"),
        cache_write_per_token=_rate(cache_write_per_1m, "--cache-write-per-1m"),
        provider=provider,
    )
    cli = context.get(ctx)
    stored = cli.store().set_custom_price(price)
    cli.forget_book()
    resolved = cli.book().resolve(model, provider=provider)
    if fmt is not OutputFormat.table and resolved is not None:
        from tokenbudget.cli.output import print_json

        print_json(price_to_json(resolved))
        return
    typer.echo(
        f"Custom price for {stored.model}: input ${input_per_1m}/1M, output ${output_per_1m}/1M. "
        "New calls use it; run `tb reprice --all` to re-price past calls."
    )


@app.command("unset")
def unset_price(
    ctx: typer.Context,
    model: str = typer.Argument(..., help="Model whose custom price to remove."),
) -> None:
    """Remove a custom price; the model goes back to the table's price (if it has one)."""
    from tokenbudget.core.errors import NotFoundError

    if not context.get(ctx).store().delete_custom_price(model):
        raise NotFoundError(f"no custom price for {model!r} (see `tb pricing list --custom`)")
    typer.echo(f"Removed the custom price for {model}.")


# `tb pricing sync` and `tb pricing changes` live in their own module; importing it registers them on `app`.
from tokenbudget.cli import pricing_sync  # noqa: E402, F401
