"""The e-mails of moderation: the alert that an urgent post waits for review."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from integrations.mail import Message, renderer
from integrations.models import OutgoingEmail
from moderation.models import Review


@renderer("urgent_review")
def urgent_review(email: OutgoingEmail) -> Message | None:
    from moderation.tasks import urgent_alert_text

    review = Review.objects.select_related("post__thread").filter(pk=email.params["review"]).first()
    if review is None or review.status != Review.Status.PENDING:
        return None  # Decided before the mail went out: nothing left to tell.
    link = settings.STOA["SITE_URL"] + reverse("admin:moderation_review_change", args=[review.pk])
    # The post's words stay in the admin: an inbox is no place for a member's health details.
    return Message(
        subject="Stoa: an urgent post waits for review",
        body=f"{urgent_alert_text(review)}\n\nReview it: {link}\n",
    )
