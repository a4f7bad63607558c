"""Opaque cursors for keyset pagination over uuid7 ids (which sort by creation time)."""

import base64
import binascii
from uuid import UUID

from .errors import UnprocessableContent


def encode_cursor(last_id: UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> UUID:
    """The id a cursor continues after; UnprocessableContent for anything this API did not issue."""
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        last_id = UUID(bytes=raw)
    except (binascii.Error, ValueError):
        last_id = None
    if last_id is None or encode_cursor(last_id) != cursor:
        message = "The cursor is not one this API returned; start again without a cursor."
        raise UnprocessableContent(
            message, errors=[{"pointer": "/query/cursor", "message": message}]
        )
    return last_id
