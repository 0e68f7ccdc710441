"""How Stoa hands work to the task queue.

- `enqueue` sends a task only once the current transaction commits: a write that rolls back
  enqueues nothing, and the worker never looks for a row that is not there yet.
- `RELIABLE` is the option set every task uses: acknowledged late and rejected back to the
  queue if its worker dies (so a killed worker loses nothing: tasks must therefore be safe to
  run twice), retried with exponential backoff on transient errors.
- A task that fails for good is logged with its arguments (the ids of the rows it concerns)
  and recorded as a TaskFailure, which administrators see in the admin and can run again.
"""

from __future__ import annotations

import logging
import smtplib
import traceback as tb
from typing import Any

import requests
from celery import Task
from celery.signals import task_failure
from django.db import DatabaseError, InterfaceError, OperationalError, transaction

logger = logging.getLogger("stoa.tasks")


class TransientError(Exception):
    """A remote end answered "not now" (a 5xx or 429): worth another try later."""


# Errors worth another try: the database, the mail server or a remote end being briefly away.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TransientError,
    OperationalError,
    InterfaceError,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPDataError,
    smtplib.SMTPHeloError,
    requests.ConnectionError,
    requests.Timeout,
    ConnectionError,
    TimeoutError,
)

RELIABLE: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


def enqueue(task: Task, *args: Any, countdown: float | None = None, **kwargs: Any) -> None:
    """Send `task(*args, **kwargs)` to the queue once the surrounding transaction commits (at
    once outside a transaction). Without a broker (CELERY_TASK_ALWAYS_EAGER) the task runs
    in this process at that moment instead."""

    def send() -> None:
        try:
            task.apply_async(args=args, kwargs=kwargs, countdown=countdown)
        except Exception:
            # The write has committed; failing the request now would only make the member
            # repeat it. Periodic jobs pick up what they can (webhook retries, e-mail sweeps).
            logger.exception("could not enqueue %s%r", task.name, args)

    transaction.on_commit(send)


def record_failure(*, sender: Task, task_id: str, exception: BaseException, args, kwargs, einfo):
    name = getattr(sender, "name", str(sender))
    logger.error("task %s%r failed for good: %r", name, tuple(args or ()), exception)
    from integrations.models import TaskFailure

    trace = str(einfo) if einfo is not None else "".join(tb.format_exception(exception))
    retries = getattr(getattr(sender, "request", None), "retries", 0) or 0
    try:
        TaskFailure.objects.create(
            task_name=name,
            task_id=task_id or "",
            args=list(args or []),
            kwargs=dict(kwargs or {}),
            exception=repr(exception)[:2000],
            traceback=trace[:20000],
            retries=retries,
        )
    except DatabaseError:
        logger.exception("could not record the failure of %s%r", name, tuple(args or ()))


def connect_signals() -> None:
    task_failure.connect(_on_task_failure, weak=False, dispatch_uid="stoa-task-failure")


def _on_task_failure(sender=None, task_id=None, exception=None, args=None, kwargs=None, **extra):
    record_failure(
        sender=sender,
        task_id=task_id,
        exception=exception,
        args=args,
        kwargs=kwargs,
        einfo=extra.get("einfo"),
    )
