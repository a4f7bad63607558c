"""HTTP/1.1 over a bare socket, for what an HTTP client library will not do: trickle a request
one byte at a time, or keep sending a body while the server has already answered."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes


def parse_response(data: bytes) -> RawResponse | None:
    """The first response in `data` once its head (and Content-Length body) arrived, else None."""
    head, separator, rest = data.partition(b"\r\n\r\n")
    if not separator:
        return None
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if len(rest) < length:
        return None
    return RawResponse(status, headers, rest[:length])


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def read_response(sock: socket.socket, timeout: float) -> RawResponse | None:
    """Read until one response is complete; None if the connection closed before that."""
    data = b""
    deadline = time.monotonic() + timeout
    while (response := parse_response(data)) is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no complete response within {timeout}s: {data[:300]!r}")
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return parse_response(data)
        if not chunk:
            return parse_response(data)
        data += chunk
    return response


def send_while_reading(
    port: int, head: bytes, body: Iterable[bytes], timeout: float = 30
) -> RawResponse | None:
    """Send `head`, then `body` piece by piece from a thread, while reading the answer; the
    server may answer (and close) before the body is complete. None: closed without answer."""
    with connect(port) as sock:
        sock.sendall(head)

        def write() -> None:
            with contextlib.suppress(OSError):
                for piece in body:
                    sock.sendall(piece)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        try:
            return read_response(sock, timeout)
        finally:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            writer.join(timeout=10)


def chunked(pieces: Iterable[bytes]) -> Iterable[bytes]:
    """Transfer-Encoding: chunked framing of `pieces`."""
    for piece in pieces:
        yield b"%x\r\n%s\r\n" % (len(piece), piece)
    yield b"0\r\n\r\n"


@dataclass
class Trickle:
    """How a trickled connection ended: after `seconds`, closed or answered (`response`)."""

    seconds: float
    closed: bool
    response: RawResponse | None


def trickle(sock: socket.socket, data: bytes, *, interval: float, limit: float) -> Trickle:
    """Send `data` one byte every `interval` seconds until the server closes the connection or
    answers, or `limit` seconds pass (then `closed` is False and `response` None)."""
    started = time.monotonic()
    received = b""
    for byte in data:
        with contextlib.suppress(OSError):
            sock.sendall(bytes([byte]))
        tick = time.monotonic() + interval
        while (remaining := tick - time.monotonic()) > 0:
            readable, _, _ = select.select([sock], [], [], remaining)
            if not readable:
                continue
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return Trickle(time.monotonic() - started, True, parse_response(received))
            received += chunk
            if (response := parse_response(received)) is not None:
                return Trickle(time.monotonic() - started, False, response)
        if time.monotonic() - started > limit:
            break
    return Trickle(time.monotonic() - started, False, None)
