"""What a new password ends: every API token of the account.

Django calls `password_changed()` on each entry of AUTH_PASSWORD_VALIDATORS after a new
password is saved, on every path that sets one: the change and reset pages, the admin, the
`changepassword` command. That makes it the one place that cannot be bypassed. Sessions need
nothing here: Django's session hash already signs other sessions out.
"""

from __future__ import annotations


class RevokeTokensOnPasswordChange:
    """Refuses no password; revokes the account's API tokens once a new one is saved."""

    def validate(self, password: str, user=None) -> None:
        return None

    def password_changed(self, password: str, user=None) -> None:
        if user is None or user.pk is None:
            return
        from knox.models import AuthToken

        AuthToken.objects.filter(user_id=user.pk).delete()

    def get_help_text(self) -> str:
        return "A new password signs your apps out: they will ask you to sign in again."
