"""Tests run inside a transaction that never commits, so work queued with
`transaction.on_commit` (notifications, e-mails, webhooks) would never run. `committed(fn)`
calls fn and then runs what it queued, as a real commit would: what a rolled-back write
queued was already discarded by Django, so it still runs nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import TestCase


def committed(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return fn(*args, **kwargs)

    return run
