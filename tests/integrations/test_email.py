from __future__ import annotations

import smtplib
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.core.checks import run_checks
from django.core.mail.backends.locmem import EmailBackend
from django.db import transaction
from django.test import TestCase

from accounts import services
from accounts.models import User
from integrations.checks import check_email_backend
from integrations.models import OutgoingEmail, TaskFailure
from integrations.tasks import email_send
from tests.commit import committed

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _signup(**kwargs):
    return services.member_signup(
        username="newcomer",
        email="new@example.com",
        password="a-long-pass-phrase-9",
        site_url="http://testserver",
        **kwargs,
    )


def test_the_activation_email_is_sent_after_the_commit_not_during_the_request(mailoutbox):
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        user = _signup()
    assert mailoutbox == []  # the write has not committed yet
    for callback in queued:
        callback()  # the commit
    email = OutgoingEmail.objects.get(user=user)
    assert (email.kind, email.status, email.attempts) == ("activation", "sent", 1)
    (message,) = mailoutbox
    assert "/accounts/activate/" in message.body
    # No token is stored: only the kind and the site.
    assert email.params == {"site_url": "http://testserver"}
    # Sending it again (a redelivered task) sends nothing.
    assert email_send.apply(args=[email.pk]).get() == "done already"
    assert len(mailoutbox) == 1


def test_a_sign_up_that_rolls_back_sends_nothing(mailoutbox):
    def signup_then_fail():
        with transaction.atomic():
            _signup()
            raise RuntimeError("the request failed after the write")

    with pytest.raises(RuntimeError):
        committed(signup_then_fail)()
    assert mailoutbox == []
    assert not OutgoingEmail.objects.exists()


def test_an_account_activated_before_the_email_goes_gets_none(mailoutbox):
    user = _signup()  # not committed yet: the task has not run
    User.objects.filter(pk=user.pk).update(is_active=True)
    email = OutgoingEmail.objects.get(user=user)
    assert email_send.apply(args=[email.pk]).get() == "skipped"
    assert mailoutbox == []
    email.refresh_from_db()
    assert email.status == "skipped"


class FlakyBackend(EmailBackend):
    failures_left = 0

    def send_messages(self, messages):
        if FlakyBackend.failures_left:
            FlakyBackend.failures_left -= 1
            raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")
        return super().send_messages(messages)


def test_a_transient_smtp_error_is_retried(settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.integrations.test_email.FlakyBackend"
    FlakyBackend.failures_left = 2
    user = committed(_signup)()
    email = OutgoingEmail.objects.get(user=user)
    assert email.status == "sent"
    assert email.attempts == 3
    assert len(mail.outbox) == 1


def test_an_email_that_keeps_failing_is_recorded_for_administrators(settings):
    settings.EMAIL_BACKEND = "tests.integrations.test_email.FlakyBackend"
    FlakyBackend.failures_left = 100
    user = committed(_signup)()
    email = OutgoingEmail.objects.get(user=user)
    assert email.status == "failed"
    assert "SMTPServerDisconnected" in email.last_error
    failure = TaskFailure.objects.get()
    assert failure.task_name == "integrations.tasks.email_send"
    assert failure.args == [email.pk]
    assert failure.retries == email_send.max_retries
    FlakyBackend.failures_left = 0


def test_password_reset_is_queued_and_sent_by_the_worker(client, member, mailoutbox):
    response = committed(client.post)("/accounts/password_reset/", {"email": member.email})
    assert response.status_code == 302
    email = OutgoingEmail.objects.get(kind="password_reset")
    assert email.user == member
    assert "token" not in email.params
    (message,) = mailoutbox
    assert "http://testserver/accounts/reset/" in message.body


@pytest.mark.parametrize(
    ("debug", "backend", "warned"),
    [
        (False, "django.core.mail.backends.console.EmailBackend", True),
        (False, "django.core.mail.backends.locmem.EmailBackend", True),
        (False, "django.core.mail.backends.smtp.EmailBackend", False),
        (True, "django.core.mail.backends.console.EmailBackend", False),
    ],
)
def test_production_with_a_console_or_locmem_backend_is_warned(settings, debug, backend, warned):
    settings.DEBUG = debug
    settings.EMAIL_BACKEND = backend
    ids = [m.id for m in check_email_backend(None)]
    assert ids == (["integrations.W001"] if warned else [])
    assert ("integrations.W001" in [m.id for m in run_checks()]) == warned


def _settings_in_subprocess(env: dict, expression: str) -> str:
    clean = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "forum.settings", **env}
    code = (
        f"import django; django.setup(); from django.conf import settings as s; print({expression})"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_email_url_configures_smtp_with_tls():
    out = _settings_in_subprocess(
        {"EMAIL_URL": "smtp+tls://mailer:p%40ss@mail.example.com:587"},
        "s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, "
        "s.EMAIL_USE_TLS",
    )
    assert out == (
        "django.core.mail.backends.smtp.EmailBackend mail.example.com 587 mailer p@ss True"
    )


def test_without_a_broker_tasks_run_in_process_and_with_one_they_go_to_it():
    eager = _settings_in_subprocess({}, "s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL")
    assert eager == "True"
    redis = _settings_in_subprocess(
        {"REDIS_URL": "redis://127.0.0.1:6379/9"},
        "s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, s.CELERY_RESULT_BACKEND",
    )
    assert redis == "False redis://127.0.0.1:6379/9 redis://127.0.0.1:6379/9"
    amqp = _settings_in_subprocess(
        {"CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//"},
        "s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL",
    )
    assert amqp == "False amqp://guest:guest@127.0.0.1:5672//"
