"""Whether a webhook URL leads to the public internet: the rule for channels that a server's API callers add.

A `tb serve` is shared by a team and every API key may add alert channels. Without this rule a key holder could
make the server POST to addresses only it can reach (cloud metadata at 169.254.169.254, an internal admin port,
localhost) and read the answer's status back through "test". So the server refuses webhook hosts that are, or
resolve to, loopback, private, link-local, shared, reserved or multicast addresses, unless
TOKENBUDGET_WEBHOOK_ALLOW_PRIVATE is set (a server on a private network that alerts an internal relay).
The CLI (`tb alerts add`) is run by whoever owns the database, so it is not restricted.

The check runs when a channel is added and again before each test send. It does not pin the resolved address
for the delivery itself: a host whose DNS later changes to a private address is not caught (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from tokenbudget.core.alerts.channels import ChannelError

Resolver = Callable[..., list[tuple[Any, ...]]]


def check_public(url: str, resolve: Resolver = socket.getaddrinfo) -> None:
    """Raise ChannelError unless every address of the URL's host is a public (global) one."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            found = resolve(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise ChannelError(f"cannot resolve the webhook host {host!r}: {exc}") from None
        # sockaddr[0] is the address; an IPv6 one may carry a zone ("fe80::1%eth0").
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found}
    for address in sorted(addresses, key=str):
        plain = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        if not (plain or address).is_global:
            raise ChannelError(
                f"webhook host {host!r} is not a public address ({address}); "
                "set TOKENBUDGET_WEBHOOK_ALLOW_PRIVATE=1 on the server to allow private destinations"
            )
