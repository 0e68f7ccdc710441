"""API token authentication: django-rest-knox's tokens, read in one query."""

from __future__ import annotations

import binascii
from hmac import compare_digest

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

from accounts.models import MODERATORS_GROUP, User


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's TokenAuthentication, reading the token row with its user, and whether that user
    moderates, in one query. knox's own also reads every other token of the user on every
    request, to delete the expired ones; the hourly clean-up does that here
    (accounts.cleanup.expired_tokens), and an expired token is refused all the same."""

    def authenticate_credentials(self, token: bytes):
        msg = _("Invalid token.")
        try:
            text = token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(msg) from None
        moderates = User.groups.through.objects.filter(
            user_id=OuterRef("user_id"), group__name=MODERATORS_GROUP
        )
        candidates = (
            AuthToken.objects.filter(token_key=text[: CONSTANTS.TOKEN_KEY_LENGTH])
            .select_related("user")
            .annotate(user_moderates=Exists(moderates))
        )
        now = timezone.now()
        for auth_token in candidates:
            if auth_token.expiry is not None and auth_token.expiry < now:
                username = auth_token.user.get_username()
                auth_token.delete()
                token_expired.send(sender=self.__class__, username=username, source="auth_token")
                continue
            try:
                digest = hash_token(text)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed(msg) from None
            if compare_digest(digest, auth_token.digest):
                user = auth_token.user
                # User.is_moderator is a cached_property: fill it from this query.
                user.__dict__["is_moderator"] = user.is_active and (
                    user.is_superuser or auth_token.user_moderates
                )
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(msg)


class TokenScheme(KnoxTokenScheme):
    """The schema's description of it: knox's (drf-spectacular matches the class by name)."""

    target_class = "accounts.auth.TokenAuthentication"
