"""API token authentication: django-rest-knox's tokens, read in one query."""

from __future__ import annotations

import binascii
from hmac import compare_digest

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

from accounts.models import in_moderators_group


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
        candidates = (
            AuthToken.objects.filter(token_key=text[: CONSTANTS.TOKEN_KEY_LENGTH])
            .select_related("user")
            .annotate(user_moderates=in_moderators_group("user_id"))
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
                auth_token.user.know_moderator(in_group=auth_token.user_moderates)
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(msg)


class TokenScheme(KnoxTokenScheme):
    """The schema's description of it: knox's (drf-spectacular matches the class by name)."""

    target_class = "accounts.auth.TokenAuthentication"
