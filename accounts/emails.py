"""The e-mails accounts sends, rendered by the worker when it sends them (integrations.mail).

Links carry Django's one-time tokens, made at send time: they are never stored. A renderer
returns None when the message no longer applies, and then nothing is sent.
"""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from integrations.mail import Message, renderer
from integrations.models import OutgoingEmail


def _uid(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def _user(email: OutgoingEmail) -> User | None:
    return User.objects.filter(pk=email.user_id).first() if email.user_id else None


@renderer("activation")
def activation(email: OutgoingEmail) -> Message | None:
    user = _user(email)
    if user is None or user.is_active:
        return None  # activated (or removed) since: the link would not work anyway
    token = default_token_generator.make_token(user)
    path = reverse("accounts:activate", kwargs={"uidb64": _uid(user), "token": token})
    return Message(
        subject="Activate your Stoa account",
        body=(
            f"Welcome to Stoa, {user.username}! Open this link to activate your account:\n\n"
            f"{email.params['site_url']}{path}\n"
        ),
    )


@renderer("signup_attempt")
def signup_attempt(email: OutgoingEmail) -> Message | None:
    user = _user(email)
    if user is None:
        return None
    return Message(
        subject="Someone tried to sign up with your e-mail address",
        body=(
            "You (or someone else) tried to create a Stoa account with this address, which "
            f"already has one: {user.username}. If you forgot your password, reset it at "
            f"{email.params['site_url']}{reverse('password_reset')}. Otherwise you can ignore "
            "this message."
        ),
    )


@renderer("password_reset")
def password_reset(email: OutgoingEmail) -> Message | None:
    user = _user(email)
    if user is None or not user.is_active or not user.has_usable_password():
        return None
    context = {
        "email": email.to,
        "domain": email.params["domain"],
        "site_name": email.params.get("site_name") or email.params["domain"],
        "uid": _uid(user),
        "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": email.params.get("protocol", "https"),
    }
    subject = render_to_string("registration/password_reset_subject.txt", context)
    return Message(
        subject="".join(subject.splitlines()),
        body=render_to_string("registration/password_reset_email.html", context),
    )
