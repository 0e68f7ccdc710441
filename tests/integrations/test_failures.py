from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from integrations.models import OutgoingEmail, TaskFailure, WebhookDelivery, WebhookEndpoint
from integrations.tasks import email_send
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_administrators_see_failed_deliveries(admin_client):
    TaskFailure.objects.create(
        task_name="integrations.tasks.email_send", args=[41], exception="SMTPException('x')"
    )
    endpoint = WebhookEndpoint.objects.create(url="https://hooks.example.com/", events=[])
    WebhookDelivery.objects.create(
        endpoint=endpoint, event="post.created", payload={}, status="failed", last_error="HTTP 500"
    )
    OutgoingEmail.objects.create(kind="activation", to="x@example.com", status="failed")
    page = admin_client.get("/admin/integrations/taskfailure/?resolved__isnull=True")
    assert page.status_code == 200
    assert b"SMTPException" in page.content
    page = admin_client.get("/admin/integrations/webhookdelivery/?status__exact=failed")
    assert b"HTTP 500" in page.content
    page = admin_client.get("/admin/integrations/outgoingemail/?status__exact=failed")
    assert b"x@example.com" in page.content
    assert admin_client.get("/admin/integrations/webhookendpoint/add/").status_code == 200


def test_run_again_requeues_the_task_and_marks_the_failure_resolved(admin_client, mailoutbox):
    email = OutgoingEmail.objects.create(kind="webhook_disabled", to="o@example.com", params={})
    failure = TaskFailure.objects.create(
        task_name="integrations.tasks.email_send", args=[email.pk], exception="boom"
    )
    from tests.commit import committed

    response = committed(admin_client.post)(
        "/admin/integrations/taskfailure/",
        {"action": "run_again", "_selected_action": [failure.pk]},
    )
    assert response.status_code == 302
    failure.refresh_from_db()
    assert failure.resolved is not None
    email.refresh_from_db()
    assert email.status == "sent"
    assert len(mailoutbox) == 1


def test_moderators_without_the_permission_cannot_read_failures(client):
    moderator = UserFactory(moderator=True)
    client.force_login(moderator)
    assert client.get("/admin/integrations/taskfailure/").status_code == 403
    assert not Permission.objects.filter(
        group__name="Moderators", content_type__app_label="integrations"
    ).exists()


def test_a_task_whose_row_is_gone_does_nothing_and_records_no_failure():
    result = email_send.apply(args=[10**9])  # no such e-mail: nothing to do, no failure
    assert result.get() == "done already"
    assert not TaskFailure.objects.exists()
