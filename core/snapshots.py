"""JSON-ready pictures of model rows, for audit logs written before and after a change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Model


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def snapshot(obj: Model | None, fields: tuple[str, ...]) -> dict:
    """The named fields of a row (``{}`` for None)."""
    if obj is None:
        return {}
    out = {}
    for name in fields:
        field = obj._meta.get_field(name)
        # Foreign keys by id: reading the relation would cost a query per snapshot.
        attname = getattr(field, "attname", name)
        out[name] = plain(getattr(obj, attname))
    return out
