"""A bounded on-disk spool for events that could not be delivered in time, re-sent later.

One gzip'd JSON file per batch under `<data dir>/spool/`. A file is claimed by renaming it before it is re-sent,
so two processes sharing the directory never send the same file twice at once. When the spool is over its size
limit the oldest files go first, and the loss is counted and logged.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tokenbudget.sdk.log import warn_once

SUFFIX = ".json.gz"


class Spool:
    def __init__(self, directory: Path, *, max_bytes: int = 50 * 1024 * 1024) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.dropped_events = 0
        self._counter = 0

    def put(self, events: list[dict[str, Any]]) -> bool:
        """Keep `events` on disk; False when even that failed (the events are then lost, and logged)."""
        if not events:
            return True
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            data = gzip.compress(json.dumps(events, separators=(",", ":")).encode(), compresslevel=5)
            self._counter += 1
            name = f"{time.time_ns():020d}-{os.getpid()}-{self._counter}{SUFFIX}"
            tmp = self.directory / (name + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(self.directory / name)
        except OSError as exc:
            self.dropped_events += len(events)
            warn_once(
                "spool-write",
                "tokenbudget: cannot write the spool in %s (%s); events lost",
                self.directory,
                exc,
            )
            return False
        self._enforce_limit()
        return True

    def pending(self) -> list[Path]:
        try:
            return sorted(p for p in self.directory.iterdir() if p.name.endswith(SUFFIX))
        except OSError:
            return []

    def claim(self) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
        """Oldest first: (claimed file, its events). Call `done(path)` or `release(path)` for each."""
        for path in self.pending():
            claimed = path.with_name(path.name + f".sending-{os.getpid()}")
            try:
                path.rename(claimed)
            except OSError:
                continue  # another process took it
            try:
                events = json.loads(gzip.decompress(claimed.read_bytes()))
            except (OSError, ValueError, EOFError):
                warn_once("spool-corrupt", "tokenbudget: unreadable spool file %s removed", claimed)
                claimed.unlink(missing_ok=True)
                continue
            yield claimed, events

    @staticmethod
    def done(claimed: Path) -> None:
        claimed.unlink(missing_ok=True)

    @staticmethod
    def release(claimed: Path) -> None:
        original = claimed.name.rsplit(".sending-", 1)[0]
        with contextlib.suppress(OSError):
            claimed.rename(claimed.with_name(original))

    def size(self) -> int:
        total = 0
        for path in self.pending():
            with contextlib.suppress(OSError):
                total += path.stat().st_size
        return total

    def _enforce_limit(self) -> None:
        files = self.pending()
        sizes = {}
        for path in files:
            try:
                sizes[path] = path.stat().st_size
            except OSError:
                sizes[path] = 0
        total = sum(sizes.values())
        for path in files:
            if total <= self.max_bytes:
                break
            try:
                count = len(json.loads(gzip.decompress(path.read_bytes())))
            except (OSError, ValueError, EOFError):
                count = 0
            path.unlink(missing_ok=True)
            total -= sizes[path]
            self.dropped_events += count
            warn_once(
                "spool-full",
                "tokenbudget: spool %s is over %d bytes; dropping the oldest events (%d so far)",
                self.directory,
                self.max_bytes,
                self.dropped_events,
            )
