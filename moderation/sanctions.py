"""Writes of member sanctions: warnings and suspensions, each checked and audited.

A suspended member can still read everything they could read before, but forum.policy refuses
them every member action (posting, editing, quoting, reporting, reacting): the restriction
registered in ``moderation.apps`` answers from the member's own row, so the pages, the API and
the services refuse alike. Moderators sanction members, never staff (moderators and
administrators), and never themselves.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator

from accounts.models import Sanction, User
from forum import policy
from forum.models import Notification, Post
from moderation.models import AuditLog
from moderation.services import NothingToDo, audit, snapshot

REASON_MAX_LENGTH = 2000
# The measures moderators choose from, in the admin and the API: None is "until lifted".
SUSPENSION_SPANS: dict[str, timedelta | None] = {
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "indefinite": None,
}
MEASURES = ("warn", *SUSPENSION_SPANS)
WARNING_SHOWN_DAYS = 7
WARNING_NOTIFICATION_CHARS = 300  # forum.models.Notification.message
_USER_FIELDS = ("suspended", "suspended_until")
_SANCTION_FIELDS = ("id", "member", "kind", "reason", "ends", "lifted", "lifted_by")


def _clean_reason(reason: str) -> str:
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why: the member is shown this text."]})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": [f"A reason can hold at most {REASON_MAX_LENGTH} characters."]}
        )
    return reason


def check_can_sanction(moderator: User, member: User) -> None:
    """Refuse before anything is written: only moderators sanction, and only ordinary members."""
    policy.check_moderator(moderator)
    if member.pk == moderator.pk:
        raise PermissionDenied("You cannot sanction yourself.")
    if member.is_staff or member.is_superuser or member.is_moderator:
        raise PermissionDenied("Moderators and administrators cannot be warned or suspended.")


def _lock_member(member: User) -> User:
    return User.objects.select_for_update().get(pk=member.pk)


def in_force(member: User) -> Sanction | None:
    """The member's suspension in force, if any (the one that ends last)."""
    now = timezone.now()
    return (
        Sanction.objects.filter(member=member, kind=Sanction.Kind.SUSPENSION, lifted__isnull=True)
        .exclude(ends__lte=now)
        .order_by("-ends", "-created")
        .first()
    )


def warning_message(reason: str) -> str:
    """The notification a warned member gets: the moderator's own words (cut to fit)."""
    return Truncator(f"A moderator warned you: {reason}").chars(WARNING_NOTIFICATION_CHARS)


@transaction.atomic
def member_warn(
    *, moderator: User, member: User, reason: str, post: Post | None = None
) -> Sanction:
    """A formal warning with the moderator's text; the member sees it on their next page.
    A warning about a ``post`` (a report's outcome) also reaches them as a notification about
    that post, with the same words."""
    check_can_sanction(moderator, member)
    reason = _clean_reason(reason)
    member = _lock_member(member)
    sanction = Sanction(
        member=member, kind=Sanction.Kind.WARNING, reason=reason, created_by=moderator
    )
    sanction.full_clean(exclude=["member", "created_by"])
    sanction.save()
    before = {"member": snapshot(member, ("warned",))}
    member.warned = sanction.created
    member.save(update_fields=["warned"])
    notification = None
    if post is not None:
        notification, _ = Notification.objects.update_or_create(
            recipient=member,
            post=post,
            kind=Notification.Kind.MODERATION,
            defaults={
                "actor": moderator,
                "message": warning_message(reason),
                "created": sanction.created,
                "read": None,
            },
        )
    audit(
        actor=moderator,
        action="member.warn",
        target=sanction,
        before=before,
        after={
            "member": snapshot(member, ("warned",)),
            "sanction": snapshot(sanction, _SANCTION_FIELDS),
            "notification": notification.pk if notification else None,
        },
    )
    return sanction


@transaction.atomic
def warning_withdraw(*, moderator: User, sanction_id: int) -> Sanction:
    """Take back a warning (undoing the report outcome that gave it): the member is no longer
    shown it, its notification goes, and their "last warned" time is what it was without it.
    The warning stays on record, lifted, and the withdrawal is audited."""
    sanction = Sanction.objects.select_related("member").get(
        pk=sanction_id, kind=Sanction.Kind.WARNING
    )
    check_can_sanction(moderator, sanction.member)
    member = _lock_member(sanction.member)
    sanction = Sanction.objects.select_for_update().get(pk=sanction.pk)
    if sanction.lifted is not None:
        raise NothingToDo("This warning was withdrawn already.")
    before = {
        "member": snapshot(member, ("warned",)),
        "sanction": snapshot(sanction, _SANCTION_FIELDS),
    }
    sanction.lifted = timezone.now()
    sanction.lifted_by = moderator
    sanction.save(update_fields=["lifted", "lifted_by"])
    member.warned = (
        Sanction.objects.filter(member=member, kind=Sanction.Kind.WARNING, lifted__isnull=True)
        .order_by("-created")
        .values_list("created", flat=True)
        .first()
    )
    member.save(update_fields=["warned"])
    warned_entry = (
        AuditLog.objects.filter(action="member.warn", target=f"accounts.sanction:{sanction.pk}")
        .values_list("after", flat=True)
        .first()
    )
    notification_id = (warned_entry or {}).get("notification")
    if notification_id:
        Notification.objects.filter(
            pk=notification_id, message=warning_message(sanction.reason)
        ).delete()
    audit(
        actor=moderator,
        action="member.unwarn",
        target=sanction,
        before=before,
        after={
            "member": snapshot(member, ("warned",)),
            "sanction": snapshot(sanction, _SANCTION_FIELDS),
        },
    )
    return sanction


def recent_warnings(member: User) -> list[Sanction]:
    """Warnings the member is still shown (the last WARNING_SHOWN_DAYS), newest first. No
    query for a member never warned in that time."""
    since = timezone.now() - timedelta(days=WARNING_SHOWN_DAYS)
    if member.warned is None or member.warned < since:
        return []
    return list(
        Sanction.objects.filter(
            member=member, kind=Sanction.Kind.WARNING, created__gte=since, lifted__isnull=True
        ).order_by("-created")[:3]
    )


@transaction.atomic
def member_suspend(
    *, moderator: User, member: User, reason: str, until: datetime | None
) -> Sanction:
    """Suspend a member until ``until`` (None: until a moderator lifts it). A suspension
    already in force is replaced by this one (lifted, and kept for the record)."""
    check_can_sanction(moderator, member)
    reason = _clean_reason(reason)
    now = timezone.now()
    if until is not None and until <= now:
        raise ValidationError({"until": ["The end of a suspension must be in the future."]})
    member = _lock_member(member)
    before = {"member": snapshot(member, _USER_FIELDS)}
    replaced = list(
        Sanction.objects.select_for_update()
        .filter(member=member, kind=Sanction.Kind.SUSPENSION, lifted__isnull=True)
        .exclude(ends__lte=now)
    )
    for old in replaced:
        old.lifted = now
        old.lifted_by = moderator
        old.save(update_fields=["lifted", "lifted_by"])
    sanction = Sanction(
        member=member,
        kind=Sanction.Kind.SUSPENSION,
        reason=reason,
        created=now,
        created_by=moderator,
        ends=until,
    )
    sanction.full_clean(exclude=["member", "created_by"])
    sanction.save()
    member.suspended = True
    member.suspended_until = until
    member.save(update_fields=["suspended", "suspended_until"])
    audit(
        actor=moderator,
        action="member.suspend",
        target=sanction,
        before=before,
        after={
            "member": snapshot(member, _USER_FIELDS),
            "sanction": snapshot(sanction, _SANCTION_FIELDS),
            "replaced": [s.pk for s in replaced],
        },
    )
    return sanction


@transaction.atomic
def suspension_lift(*, moderator: User, member: User) -> User:
    """End the member's suspension now. :class:`NothingToDo` if none is in force."""
    check_can_sanction(moderator, member)
    member = _lock_member(member)
    now = timezone.now()
    current = list(
        Sanction.objects.select_for_update()
        .filter(member=member, kind=Sanction.Kind.SUSPENSION, lifted__isnull=True)
        .exclude(ends__lte=now)
    )
    if not current and not member.is_suspended:
        raise NothingToDo(f"{member} is not suspended: nothing to lift.")
    before = {"member": snapshot(member, _USER_FIELDS)}
    for sanction in current:
        sanction.lifted = now
        sanction.lifted_by = moderator
        sanction.save(update_fields=["lifted", "lifted_by"])
    member.suspended = False
    member.suspended_until = None
    member.save(update_fields=["suspended", "suspended_until"])
    audit(
        actor=moderator,
        action="member.unsuspend",
        target=member,
        before=before,
        after={"member": snapshot(member, _USER_FIELDS), "lifted": [s.pk for s in current]},
    )
    return member


# The attribute of a User object that holds its suspension in force once looked up.
_SUSPENSION_CACHE = "_suspension_in_force"


def suspension_message(member: User) -> str:
    """What a suspended member is told when an action is refused: until when, and why."""
    sanction = getattr(member, _SUSPENSION_CACHE, None)
    if sanction is None:
        sanction = in_force(member)
        # Cached on the user object: a page asks the policy many times.
        setattr(member, _SUSPENSION_CACHE, sanction)
    if member.suspended_until is None:
        when = "until a moderator lifts it"
    else:
        when = f"until {timezone.localtime(member.suspended_until):%Y-%m-%d %H:%M %Z}"
    reason = f" Reason: {sanction.reason}" if sanction is not None else ""
    return f"Your account is suspended {when}: you can read but not post, react or report.{reason}"


def suspension_restriction(user: User, action: str) -> str | None:
    """The forum.policy restriction: a suspended member may do no member action."""
    if not user.is_suspended:
        return None
    return suspension_message(user)


def member_sanction(*, moderator: User, member: User, measure: str, reason: str) -> Sanction:
    """Apply one of :data:`MEASURES`: a warning, or a suspension of that span from now."""
    if measure == "warn":
        return member_warn(moderator=moderator, member=member, reason=reason)
    if measure not in SUSPENSION_SPANS:
        raise ValidationError({"measure": [f"Choose one of {', '.join(MEASURES)}."]})
    span = SUSPENSION_SPANS[measure]
    return member_suspend(
        moderator=moderator,
        member=member,
        reason=reason,
        until=timezone.now() + span if span is not None else None,
    )
