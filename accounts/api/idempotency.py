"""Safe retries of creating POSTs: the `Idempotency-Key` request header.

A phone that loses its connection after sending a reply cannot know whether the reply was
posted. It retries with the same key; within IDEMPOTENCY_TTL the first answer (status and body)
is sent again, marked `Idempotent-Replayed: true`, and nothing is created twice. The same key
with another request (other path or other body) is a 422: replaying would answer a question
the client did not ask.

Keys are stored per account (anonymous requests cannot create anything, so a key on one is
ignored). Only successful answers are kept: after a 4xx the client may fix its request and send
it again under the same key.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.response import Response

from accounts.models import IdempotencyRecord

IDEMPOTENCY_TTL = timedelta(hours=24)
HEADER = "Idempotency-Key"
KEY_MAX = 255

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": KEY_MAX, "pattern": r"^[\x21-\x7e]+$"},
    OpenApiParameter.HEADER,
    description=(
        "A unique value per intended request (a UUID). Retrying with the same key and body "
        "within 24 hours replays the first answer and creates nothing; the same key with "
        "another body is a 422."
    ),
)


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used for a different request."
    default_code = "idempotency_key_reused"


def _key(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None or not request.user.is_authenticated:
        return None
    if not 1 <= len(key) <= KEY_MAX or not all("\x21" <= ch <= "\x7e" for ch in key):
        raise exceptions.ValidationError(
            {HEADER: [f"Use 1 to {KEY_MAX} visible ASCII characters (a UUID works)."]},
            code="invalid",
        )
    return key


def _fingerprint(request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        body = repr(request.data)
    raw = f"{request.method}\n{request.path}\n{body}".encode()
    return hashlib.sha256(raw).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise KeyReused()
    return Response(record.body, status=record.status, headers={"Idempotent-Replayed": "true"})


def run_idempotent(request, handler) -> Response:
    """Answer `handler()` once per (account, key); see the module docstring."""
    key = _key(request)
    if key is None:
        return handler()
    fingerprint = _fingerprint(request)
    fresh_after = timezone.now() - IDEMPOTENCY_TTL
    with transaction.atomic():
        records = IdempotencyRecord.objects.filter(user=request.user, key=key)
        record = records.filter(created__gte=fresh_after).first()
        if record is not None:
            return _replay(record, fingerprint)
        records.delete()  # an expired use of the same key
        try:
            # A concurrent request with the same key blocks here on the unique index until
            # the first one commits, then replays its answer; if the first one failed, this
            # one goes ahead.
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=request.user, key=key, fingerprint=fingerprint, status=0
                )
        except IntegrityError:
            return _replay(records.get(), fingerprint)
        response = handler()
        if 200 <= response.status_code < 300:
            record.status = response.status_code
            record.body = response.data
            record.save(update_fields=["status", "body"])
        else:
            record.delete()
        return response


def idempotent(method):
    """Decorate an API view's `post`/`create` so it honours `Idempotency-Key`."""

    @functools.wraps(method)
    def wrapper(self, request, *args, **kwargs):
        return run_idempotent(request, lambda: method(self, request, *args, **kwargs))

    return wrapper


def purge_expired(*, now=None) -> int:
    """Delete the records no retry can use any more; returns how many."""
    now = now or timezone.now()
    deleted, _ = IdempotencyRecord.objects.filter(created__lt=now - IDEMPOTENCY_TTL).delete()
    return deleted
