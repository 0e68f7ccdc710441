from __future__ import annotations

import functools

from django.contrib.auth.models import AbstractUser, Group
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from accounts.names import cased_skeleton, skeleton

MODERATORS_GROUP = "Moderators"


class User(AbstractUser):
    """A forum member. `date_joined` is when they joined; roles come from groups and flags:

    - member: any active account;
    - moderator: in the "Moderators" group (created by a data migration, least permissions);
    - administrator: `is_superuser`.
    """

    email = models.EmailField("e-mail address", blank=True, default="")
    display_name = models.CharField(max_length=60, blank=True)
    bio = models.TextField(max_length=2000, blank=True)
    location = models.CharField(max_length=100, blank=True)
    website = models.URLField(max_length=200, blank=True)
    # The uploaded picture cut to squares of accounts.avatars.SIZES: the large one here (the
    # API's `avatar`), the small one for lists of posts. Both or neither.
    avatar = models.ImageField(upload_to="avatars/%Y/%m/", blank=True)
    avatar_small = models.ImageField(upload_to="avatars/%Y/%m/", blank=True)
    signature = models.CharField(max_length=500, blank=True)
    # The sync feed's change key of the member's public profile (GET /api/v1/changes/ lists
    # members whose key is after the client's cursor). Handed out by the forum's change clock
    # through accounts.hooks.profile_changed; 0 for a profile never changed since it was made.
    changed = models.BigIntegerField(default=0, db_index=True, editable=False)
    last_seen = models.DateTimeField(null=True, blank=True)
    post_count = models.PositiveIntegerField(default=0)
    # Accounts created by an import hold the original author's name and cannot log in
    # (unusable password) until someone claims them.
    imported_from = models.CharField(max_length=100, blank=True)
    # A suspended member can read but not post, edit, react, report or message. Kept on the row
    # (not only in Sanction) so that every permission check is free: the user is loaded anyway.
    # suspended with suspended_until None: until a moderator lifts it.
    suspended = models.BooleanField(default=False)
    suspended_until = models.DateTimeField(null=True, blank=True)
    # The latest moderator's warning: pages show warnings from the last WARNING_SHOWN_DAYS
    # without a query for the members who have none.
    warned = models.DateTimeField(null=True, blank=True)
    # What the username looks like (accounts.names.skeleton), kept in step by save(): a new
    # name is compared with every existing one through this index, not by loading them all.
    username_skeleton = models.CharField(max_length=300, blank=True, editable=False, db_index=True)
    username_cased_skeleton = models.CharField(
        max_length=300, blank=True, editable=False, db_index=True
    )

    class Meta:
        constraints = [
            # Case-insensitive: "Alice" and "alice" are one person to readers.
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_email_ci_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    def save(self, *args, **kwargs) -> None:
        # Derived from the username like the normalisation Django's clean() applies to it;
        # no rule is decided here.
        current = (skeleton(self.username), cased_skeleton(self.username))
        if current != (self.username_skeleton, self.username_cased_skeleton):
            self.username_skeleton, self.username_cased_skeleton = current
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "username" in update_fields:
                kwargs["update_fields"] = {
                    *update_fields,
                    "username_skeleton",
                    "username_cased_skeleton",
                }
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile", kwargs={"username": self.username})

    @property
    def name(self) -> str:
        return self.display_name or self.username

    @property
    def is_suspended(self) -> bool:
        if not self.suspended:
            return False
        return self.suspended_until is None or self.suspended_until > timezone.now()

    @cached_property
    def is_moderator(self) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        return self.groups.filter(name=MODERATORS_GROUP).exists()

    def know_moderator(self, *, in_group: bool) -> None:
        """Fill `is_moderator` from a query that read the user with `in_moderators_group()`:
        the session's and the API token's user come with it, so no page asks for it again."""
        self.__dict__["is_moderator"] = self.is_active and (self.is_superuser or in_group)


def with_moderates(pk: int) -> User | None:
    """The user `pk` with `moderates` (whether they are in the Moderators group) read in the
    same query, as `in_moderators_group()` gives it; None if there is none.

    One fixed statement: the session's user is read on every signed-in request, and having
    the ORM build the annotated query each time cost about 3 ms of CPU a request (measured in
    process; the statement itself about 0.4 ms), more than the rest of a minimal page."""
    found = list(User.objects.raw(_with_moderates_sql(), [MODERATORS_GROUP, pk]))
    return found[0] if found else None


@functools.cache
def _with_moderates_sql() -> str:
    qn = connection.ops.quote_name
    through = User.groups.through

    def col(model: type[models.Model], name: str) -> str:
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field) and field.column
        return qn(field.column)

    # Names from the models' metadata, quoted; the values are parameters.
    return (
        f"SELECT u.*, EXISTS (SELECT 1 FROM {qn(through._meta.db_table)} ug"  # noqa: S608
        f" JOIN {qn(Group._meta.db_table)} g ON g.{col(Group, 'id')} = ug.{col(through, 'group')}"
        f" WHERE ug.{col(through, 'user')} = u.{col(User, 'id')} AND g.{col(Group, 'name')} = %s)"
        f" AS moderates FROM {qn(User._meta.db_table)} u WHERE u.{col(User, 'id')} = %s"
    )


def in_moderators_group(user_id: str = "pk") -> Exists:
    """Whether the user (the outer query's `user_id` field) is in the Moderators group, as a
    subquery to read with the user."""
    return Exists(
        User.groups.through.objects.filter(user_id=OuterRef(user_id), group__name=MODERATORS_GROUP)
    )


class Sanction(models.Model):
    """A moderator's warning or suspension of a member, with the reason the member is shown.

    Written only by moderation.services (checked and audited there). A suspension lasts until
    ``ends`` (None: until lifted) or until a moderator lifts it early.
    """

    class Kind(models.TextChoices):
        WARNING = "warning", "Warning"
        SUSPENSION = "suspension", "Suspension"

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sanctions")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reason = models.TextField(max_length=2000)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    ends = models.DateTimeField(null=True, blank=True)
    lifted = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["member", "-created"], name="accounts_sanction_member_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.member_id}"

    @property
    def in_force(self) -> bool:
        if self.kind != self.Kind.SUSPENSION or self.lifted is not None:
            return False
        return self.ends is None or self.ends > timezone.now()


class TokenDevice(models.Model):
    """The device an API token (django-rest-knox's AuthToken: stored hashed, with an expiry)
    was issued to, so its owner can tell tokens apart and revoke one."""

    token = models.OneToOneField(
        "knox.AuthToken", on_delete=models.CASCADE, primary_key=True, related_name="device"
    )
    name = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.name or "an unnamed device"


class IdempotencyRecord(models.Model):
    """The answer to a creating API request sent with an `Idempotency-Key`, kept for a day so
    that a client retrying after a lost response gets the original answer instead of a second
    post. Keys are per account: two members may use the same key."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="idempotency_records")
    key = models.CharField(max_length=255)
    # sha256 of method, path and the parsed request body: the same key with anything else is
    # a client bug, answered with 422 rather than a replay of some other request's answer.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="accounts_idempotency_unique"),
        ]
        indexes = [models.Index(fields=["created"], name="accounts_idempotency_age_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
