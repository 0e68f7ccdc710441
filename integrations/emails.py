"""The e-mails this app sends itself."""

from __future__ import annotations

from integrations.mail import Message, renderer
from integrations.models import OutgoingEmail


@renderer("webhook_disabled")
def webhook_disabled(email: OutgoingEmail) -> Message:
    p = email.params
    return Message(
        subject="A Stoa webhook endpoint was disabled",
        body=(
            f"The webhook endpoint {p.get('url')} stopped answering and has been disabled.\n\n"
            f"{p.get('reason', '')}\n\n"
            "Fix the receiver, then turn the endpoint on again in the admin (Deliveries and "
            "integrations > Webhook endpoints). Deliveries that failed meanwhile are listed "
            "there and can be sent again.\n"
        ),
    )
