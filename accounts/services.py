"""Write operations of accounts: a member's own profile and avatar."""

from __future__ import annotations

import io
import secrets
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from knox.models import AuthToken
from knox.settings import knox_settings
from PIL import Image, UnidentifiedImageError

from accounts import avatars, hooks, names
from accounts.models import TokenDevice, User
from integrations.mail import queue_email
from integrations.webhooks import emit

PROFILE_FIELDS = ("display_name", "bio", "location", "website", "signature")

AVATAR_MAX_BYTES = 1024 * 1024
AVATAR_MAX_SIDE = 1024
# The largest upload request: the file plus multipart framing and form fields. Longer
# requests are answered 413 from their Content-Length, before the body is read.
AVATAR_REQUEST_MAX = AVATAR_MAX_BYTES + 64 * 1024
# Pillow format name -> file extension. Anything else (SVG, TIFF, BMP, PSD...) is refused.
AVATAR_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}


@transaction.atomic
def profile_update(*, user: User, changes: dict[str, Any]) -> User:
    """Change the member's own public profile. Only PROFILE_FIELDS can change here."""
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied("You must be signed in.")
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    user = User.objects.select_for_update().get(pk=user.pk)
    if "display_name" in changes:
        names.check_display_name(str(changes["display_name"]).strip(), user=user)
    for field, value in changes.items():
        setattr(user, field, value.strip() if isinstance(value, str) else value)
    user.full_clean(exclude=[f.name for f in User._meta.fields if f.name not in changes])
    user.save(update_fields=list(changes))
    if changes:
        hooks.profile_change_notify(user=user)
    return user


def _check_avatar(upload: UploadedFile) -> tuple[Image.Image, str]:
    if upload.size is None or upload.size > AVATAR_MAX_BYTES:
        raise ValidationError(
            {"avatar": [f"An avatar can be at most {AVATAR_MAX_BYTES // 1024} KB."]}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            image_format = probe.format
            width, height = probe.size
            # Read only the header so far: refuse huge dimensions before decoding pixels.
            if width > AVATAR_MAX_SIDE or height > AVATAR_MAX_SIDE:
                raise ValidationError(
                    {
                        "avatar": [
                            f"An avatar can be at most {AVATAR_MAX_SIDE}x{AVATAR_MAX_SIDE} pixels."
                        ]
                    }
                )
            probe.verify()
        upload.seek(0)
        image = Image.open(upload)
        image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(
            {"avatar": ["Upload a valid PNG, JPEG, WebP or GIF image."]}
        ) from None
    if image_format not in AVATAR_FORMATS:
        raise ValidationError({"avatar": ["Upload a PNG, JPEG, WebP or GIF image."]})
    return image, image_format


def _delete_after_commit(user: User, names: list[str]) -> None:
    """Remove replaced files once the new ones are committed (a rollback keeps them)."""
    storage = user.avatar.storage

    def delete() -> None:
        for name in names:
            storage.delete(name)

    if names:
        transaction.on_commit(delete)


def _encoded(image: Image.Image, image_format: str) -> bytes:
    if image_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    # Saved from pixels alone: no EXIF, ICC, comments or anything appended to the upload.
    image.save(out, format=image_format)
    return out.getvalue()


@transaction.atomic
def avatar_set(*, user: User, upload: UploadedFile) -> User:
    """Check that the upload really is a small PNG, JPEG, WebP or GIF image and store it cut
    to the centre square and resized to each of accounts.avatars.SIZES, re-encoded: that
    drops metadata (camera, location) and anything appended to the image data. A GIF keeps
    its first frame."""
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied("You must be signed in.")
    image, image_format = _check_avatar(upload)
    image = avatars.upright(image)
    # Pure work first: the row lock below only covers the writes.
    files = {
        field: _encoded(avatars.square(image, side), image_format)
        for field, side in avatars.SIZES.items()
    }
    user = User.objects.select_for_update().get(pk=user.pk)
    old = [getattr(user, field).name for field in files if getattr(user, field)]
    extension = AVATAR_FORMATS[image_format]
    # A new name on every upload: browsers and proxies may cache the old picture for long.
    stem = f"{user.pk}-{secrets.token_hex(4)}"
    for field, content in files.items():
        getattr(user, field).save(
            f"{stem}-{avatars.SIZES[field]}.{extension}", ContentFile(content), save=False
        )
    user.save(update_fields=list(files))
    _delete_after_commit(user, old)
    hooks.profile_change_notify(user=user)
    return user


@transaction.atomic
def avatar_remove(*, user: User) -> User:
    """Back to the generated default; the files go once the change commits."""
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied("You must be signed in.")
    user = User.objects.select_for_update().get(pk=user.pk)
    old = [getattr(user, field).name for field in avatars.SIZES if getattr(user, field)]
    if old:
        for field in avatars.SIZES:
            setattr(user, field, "")
        user.save(update_fields=list(avatars.SIZES))
        _delete_after_commit(user, old)
        hooks.profile_change_notify(user=user)
    return user


def _send_activation(user: User, *, site_url: str) -> None:
    # Sent by a worker after the commit; accounts.emails makes the link (and its token) then.
    queue_email(kind="activation", to=user.email, user=user, params={"site_url": site_url})


def pending_account(email: str) -> User | None:
    """The never-activated account holding this e-mail address, if any."""
    user = User.objects.filter(email__iexact=email, is_active=False).first()
    return user if user is not None and is_pending_activation(user) else None


def is_pending_activation(user: User) -> bool:
    """Signed up, never activated: no sign-in yet, a password of its own, not an import."""
    return (
        not user.is_active
        and user.last_login is None
        and user.has_usable_password()
        and not user.imported_from
    )


@transaction.atomic
def member_signup(*, username: str, email: str, password: str, site_url: str) -> User | None:
    """Create an inactive account and e-mail its activation link; None if the e-mail address
    already belongs to an active account, whose owner is told by e-mail instead.

    An address held by an account that was never activated is not lost: signing up with it
    again gives that account the new name and password and sends a fresh link (the old one
    stops working, since the token covers the password).

    The caller shows the same "check your e-mail" answer whatever happened, and every branch
    costs the same: one password hash (the expensive part, ~0.5 s by design) and one message.
    """
    # Hashed before anything is looked up, in every branch: a sign-up for a member's address
    # used to answer in 29 ms against 616 ms for a new one.
    hashed = make_password(password)
    existing = User.objects.select_for_update().filter(email__iexact=email).first()
    pending = existing is not None and is_pending_activation(existing)
    username = names.check_username(
        username, exclude_pk=existing.pk if existing is not None and pending else None
    )
    if existing is not None and not pending:
        # Sent by a worker after the commit, like the activation link: neither answer waits
        # for the mail server.
        queue_email(
            kind="signup_attempt", to=existing.email, user=existing, params={"site_url": site_url}
        )
        return None
    if existing is not None:
        existing.username = username
        existing.password = hashed
        existing.full_clean(exclude=["password"])
        existing.save(update_fields=["username", "password"])
        _send_activation(existing, site_url=site_url)
        return existing
    user = User(username=username, email=email, is_active=False, password=hashed)
    user.full_clean(exclude=["password"])
    user.save()
    _send_activation(user=user, site_url=site_url)
    return user


# One new activation link per address in this window: the form is open to anyone, and must not
# become a way to flood someone's mailbox.
ACTIVATION_RESEND_WINDOW = 600


def activation_resend(*, email: str, site_url: str) -> bool:
    """E-mail a new activation link to the account waiting for activation at `email`; returns
    whether one was sent. The caller answers the same either way (no account probing)."""
    user = User.objects.filter(
        email__iexact=email.strip(), is_active=False, last_login__isnull=True
    ).first()
    # Accounts made by an import (no usable password) are claimed another way; an account
    # that has signed in before was deactivated on purpose.
    if user is None or not user.has_usable_password():
        return False
    if not cache.add(f"activation-resend:{user.pk}", 1, ACTIVATION_RESEND_WINDOW):
        return False
    _send_activation(user=user, site_url=site_url)
    return True


@transaction.atomic
def password_reset_request(*, email: str, domain: str, protocol: str, site_name: str) -> int:
    """Queue a reset link for every active account with this address and a usable password;
    returns how many. The page answers the same whatever the count."""
    count = 0
    for user in User.objects.filter(email__iexact=email, is_active=True):
        if not user.has_usable_password():
            continue
        queue_email(
            kind="password_reset",
            to=user.email,
            user=user,
            params={"domain": domain, "protocol": protocol, "site_name": site_name},
        )
        count += 1
    return count


@transaction.atomic
def member_activate(*, uidb64: str, token: str) -> User | None:
    """Activate the account the link was made for; None for a bad or used link."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = User.objects.select_for_update().filter(pk=pk, is_active=False).first()
    # The token hashes last_login and the password, so it stops working once used to log in.
    if user is None or not default_token_generator.check_token(user, token):
        return None
    user.is_active = True
    user.save(update_fields=["is_active"])
    emit("member.joined", {"member": {"id": user.pk, "username": user.username}})
    return user


def _link_user(*, uidb64: str, token: str, active: bool) -> User | None:
    """The account an e-mailed link (activation or reset) names, while its token is valid:
    the token hashes the password and last sign-in, so a used link stops working."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = User.objects.filter(pk=pk, is_active=active).first()
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


def password_reset_user(*, uidb64: str, token: str) -> User | None:
    """The active account a password reset link was made for, while the link is valid."""
    return _link_user(uidb64=uidb64, token=token, active=True)


def activation_user(*, uidb64: str, token: str) -> User | None:
    """The account an activation link is for while the link is valid, without activating it
    (the confirmation page shows whose account it is)."""
    return _link_user(uidb64=uidb64, token=token, active=False)


class TokenLimitReached(Exception):
    """The member is signed in on as many devices as an account may be (knox's
    TOKEN_LIMIT_PER_USER); `limit` says how many."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


@transaction.atomic
def api_token_issue(
    *, user: User, device: str, replace_oldest: bool = False
) -> tuple[AuthToken, str]:
    """A new API token for one of the member's devices: (the stored AuthToken, the token
    itself, shown once). Expired tokens are dropped first. At the device limit, the least
    recently issued token makes room only when `replace_oldest` says so: otherwise
    TokenLimitReached, so no device is ever signed out without the app saying it."""
    # One sign-in at a time per account: two at the limit would both see room for one.
    User.objects.select_for_update().filter(pk=user.pk).first()
    now = timezone.now()
    AuthToken.objects.filter(user=user, expiry__lt=now).delete()
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit:
        live = list(
            AuthToken.objects.filter(user=user)
            .filter(Q(expiry__gte=now) | Q(expiry__isnull=True))
            .order_by("-created")
            .values_list("digest", flat=True)
        )
        stale = live[limit - 1 :]
        if stale and not replace_oldest:
            raise TokenLimitReached(limit)
        if stale:
            AuthToken.objects.filter(digest__in=stale).delete()
    instance, token = AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
    TokenDevice.objects.create(token=instance, name=device)
    return instance, token


def api_token_refresh(*, token: AuthToken) -> AuthToken:
    """Push the token's expiry to a full TOKEN_TTL from now (an app in use stays signed in);
    returns the token."""
    token.expiry = timezone.now() + knox_settings.TOKEN_TTL
    token.save(update_fields=["expiry"])
    return token
