"""Write operations of the moderation app."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from forum.models import Post
from moderation.models import CategorySettings, Notice, NoticeTemplate, Review, Severity

DEFAULT_NOTICE_TEXT = {
    Severity.ADVICE: (
        "It looks like this post asks for medical advice. Members here are happy to share "
        "experience, but a forum cannot examine you or know your history: please talk to a "
        "doctor, physiotherapist or other qualified professional about it."
    ),
    Severity.URGENT: (
        "This post describes signs that can need prompt medical attention. Please don't wait "
        "for replies here: contact a doctor, an urgent care service or emergency services now."
    ),
}


def notice_text(severity: str) -> str:
    template = NoticeTemplate.objects.filter(severity=severity).first()
    return template.text if template else DEFAULT_NOTICE_TEXT[Severity(severity)]


@transaction.atomic
def post_screen(*, post: Post) -> Review:
    """Run the detector on a post's current text and bring its review and notice up to date.

    A moderator's decision stands: a confirmed notice is never removed by a re-screen, and a
    dismissed post returns to the queue only when new text is flagged again.
    """
    from moderation.detector import detect

    detection = detect(post.source)
    category_settings = CategorySettings.objects.filter(category_id=post.thread.category_id).first()
    flagged = detection.flagged
    if category_settings is not None and category_settings.threshold is not None:
        flagged = flagged and detection.score >= category_settings.threshold
    notices_on = category_settings is None or category_settings.notices_enabled

    review, _ = Review.objects.select_for_update().get_or_create(post=post)
    review.flagged = flagged
    review.score = detection.score
    review.severity = detection.severity if flagged else Severity.NONE
    review.cues = list(detection.cues)
    review.model_version = detection.model_version
    review.screened = timezone.now()
    if review.status == Review.Status.CONFIRMED:
        pass
    elif review.status == Review.Status.DISMISSED:
        # Only a write of the text calls this, so a flag here means the edit flagged it again.
        if flagged:
            review.status = Review.Status.PENDING
    else:
        review.status = Review.Status.PENDING if flagged else Review.Status.CLEAR
    review.save()

    live = Notice.objects.filter(post=post, kind=Notice.Kind.REFER, removed__isnull=True).first()
    if flagged and notices_on and review.status != Review.Status.DISMISSED:
        if live is None:
            Notice.objects.create(
                post=post,
                severity=review.severity,
                text=notice_text(review.severity),
                origin=Notice.Origin.DETECTOR,
            )
        elif not live.confirmed and live.severity != review.severity:
            live.severity = review.severity
            live.text = notice_text(review.severity)
            live.save(update_fields=["severity", "text"])
    elif live is not None and not live.confirmed and live.origin == Notice.Origin.DETECTOR:
        live.removed = timezone.now()
        live.save(update_fields=["removed"])
    return review
