"""Reading a request body with a size limit that also holds after gzip decompression (JSON ingest and OTLP).

The raw body is read here rather than by FastAPI's model binding: a batch must be checked for size before it is
parsed, and each event is validated on its own (one bad event is rejected alone, not the whole request).
"""

from __future__ import annotations

import zlib
from typing import Any

import orjson
from fastapi import HTTPException, Request


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"request body is larger than {limit} bytes")


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, at most `limit` bytes on the wire AND after gzip inflation.

    413 past the limit, 400 for a malformed gzip stream, 415 for another Content-Encoding (HTTPException: each
    endpoint answers it in its own format).
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            # max_length bounds the output: a small "zip bomb" never inflates past the limit in memory.
            body = inflater.decompress(body, limit + 1)
        except zlib.error as exc:
            raise HTTPException(400, f"malformed gzip body: {exc}") from None
        if len(body) > limit or inflater.unconsumed_tail:
            raise _too_large(limit)
        if not inflater.eof:
            raise HTTPException(400, "malformed gzip body: truncated")
    elif encoding not in ("", "identity"):
        raise HTTPException(415, f"unsupported Content-Encoding {encoding!r}: use gzip or none")
    return body


async def read_json(request: Request, limit: int) -> Any:
    """The body (read_body's limits and errors) parsed as JSON; 400 if empty or not JSON."""
    body = await read_body(request, limit)
    if not body:
        raise HTTPException(400, "malformed JSON: empty body")
    try:
        # orjson: ~3x faster than json on ingest batches (decoding was a tenth of the server's time per event).
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise HTTPException(400, f"malformed JSON: {exc}") from None
