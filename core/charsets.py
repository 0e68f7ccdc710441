"""Which declared charsets Stoa reads a request in.

Django takes any name its codec registry knows from ``Content-Type: ...; charset=`` and
decodes the query string and the form fields with it. Names that are codecs but not ASCII-
compatible text encodings then raise while the request is being built (LookupError for
"rot13" or "base64", UnicodeError for "punycode" or "idna"), before any middleware or view
could answer: a 500. ``install()`` (core.apps) makes requests adopt only a charset that reads
URL-encoded ASCII as itself; core.middleware answers 400 to any other one.
"""

from __future__ import annotations

import codecs
import functools

from django.http import HttpRequest
from django.utils.http import parse_header_parameters

# What a query string or a URL-encoded form is made of, before its %-escapes are decoded.
_ASCII_SAMPLE = b"azAZ09=&%+-._~*'()!$,;:@/? "


@functools.lru_cache(maxsize=256)
def readable_charset(name: str) -> bool:
    """Whether `name` is a text encoding Stoa reads requests in: "utf-8", "latin-1",
    "windows-1252", but not "", an unknown name, a codec that is not a text encoding ("rot13",
    "base64"), one that does not read ASCII as itself ("utf-16", "punycode") or one that
    cannot replace what it fails to decode ("idna")."""
    if not name or not name.strip() or len(name) > 64:
        return False
    try:
        codecs.lookup(name)
        # str.encode and bytes.decode refuse the bytes-to-bytes and text-to-text codecs.
        "".encode(name)
        if _ASCII_SAMPLE.decode(name) != _ASCII_SAMPLE.decode("ascii"):
            return False
        # Django decodes form fields and %-escapes with errors="replace".
        b"\xc3\xa9\xff\x80".decode(name, "replace")
    except (LookupError, ValueError, TypeError):
        return False
    return True


def _set_content_type_params(self: HttpRequest, meta) -> None:
    # Django's own, but adopting only a readable charset (its own check is codecs.lookup).
    self.content_type, self.content_params = parse_header_parameters(meta.get("CONTENT_TYPE", ""))
    charset = self.content_params.get("charset")
    if charset is not None and readable_charset(charset):
        self.encoding = charset


def install() -> None:
    # Every request type (WSGI, ASGI, the test client's) builds its content type with it.
    setattr(HttpRequest, "_set_content_type_params", _set_content_type_params)  # noqa: B010
