from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import (
    AdminUserCreationForm,
    AuthenticationForm,
    PasswordResetForm,
    SetPasswordMixin,
    UserChangeForm,
)
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError

from accounts import names, services, signin
from accounts.models import User


def _field_check(field: str, check: Callable[[], object]) -> None:
    """Run one of accounts.names' checks as the clean_<field> of a form."""
    try:
        check()
    except ValidationError as exc:
        # The errors themselves, not their messages: their codes reach the API's 400s.
        raise forms.ValidationError(exc.error_dict[field]) from None


class SignupForm(SetPasswordMixin, forms.Form):
    """A plain form, not a ModelForm: the model's constraints would name a taken e-mail
    address, and the sign-up page must answer the same whether it is taken or not."""

    username = forms.CharField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="Letters, digits and @/./+/-/_ only.",
    )
    email = forms.EmailField()
    password1, password2 = SetPasswordMixin.create_password_fields()

    def clean_username(self) -> str:
        # NFKC first: the full-width and the Kelvin-sign spellings of a taken name are taken.
        username = names.normalize_username(self.cleaned_data["username"])
        _field_check(
            "username",
            lambda: names.check_visible_text(username, field="username", what="A username"),
        )
        return username

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip()

    def clean(self) -> dict:
        self.validate_passwords()
        cleaned = super().clean() or {}
        username, email = cleaned.get("username"), cleaned.get("email")
        if username and email:
            # Taken, or looks like a name that is; a never-activated account signing up again
            # with its own address may keep its name.
            pending = services.pending_account(email)
            try:
                names.check_username(username, exclude_pk=pending.pk if pending else None)
            except ValidationError as exc:
                self.add_error("username", exc.error_dict["username"])
        self.validate_password_for_user(
            User(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
        )
        return cleaned


class ProfileForm(forms.ModelForm):
    # A text input, not type=url: browsers refuse "kimlifts.example.org" there, which this
    # field accepts (and stores as https://kimlifts.example.org).
    website = forms.URLField(
        required=False,
        max_length=200,
        assume_scheme="https",
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "url"}),
    )

    def clean_display_name(self) -> str:
        display_name = self.cleaned_data["display_name"].strip()
        _field_check(
            "display_name", lambda: names.check_display_name(display_name, user=self.instance)
        )
        return display_name

    class Meta:
        model = User
        fields = ("display_name", "bio", "location", "website", "signature")


class AvatarForm(forms.Form):
    """The file only: accounts.services.avatar_set decides what a valid avatar is."""

    avatar = forms.FileField(
        label="Picture",
        help_text="PNG, JPEG, WebP or GIF, at most 1 MB and 1024x1024 pixels. It is cut to a "
        "square from the middle; camera and location data are removed.",
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}),
    )


class AdminUserChangeForm(UserChangeForm):
    """The admin holds names to the rules sign-up and the profile page apply: a renamed
    account may not look like another, a display name may not look like a staff member's.
    Only a changed name is checked, so an unrelated edit of an older account still saves."""

    def clean_username(self) -> str:
        username = names.normalize_username(self.cleaned_data["username"])
        if "username" in self.changed_data:
            _field_check(
                "username", lambda: names.check_username(username, exclude_pk=self.instance.pk)
            )
        return username

    def clean_display_name(self) -> str:
        display_name = self.cleaned_data["display_name"].strip()
        if "display_name" in self.changed_data:
            _field_check(
                "display_name",
                lambda: names.check_display_name(display_name, user=self.instance),
            )
        return display_name


class AdminSignupForm(AdminUserCreationForm):
    def clean_username(self) -> str:
        username = names.normalize_username(super().clean_username())
        _field_check("username", lambda: names.check_username(username))
        return username


class SignInLimitFormMixin:
    """Shows the sign-in limiter's refusal (accounts.signin) instead of "wrong password": the
    refused attempt never had its password checked, so "wrong" would be a lie."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            refusal = signin.refusal_of(self.request) if self.request is not None else None
            if refusal is not None:
                raise forms.ValidationError(refusal.message, code="throttled") from None
            raise


class LoginForm(SignInLimitFormMixin, AuthenticationForm):
    """Django's sign-in form, which also tells the owner of an account that is not activated
    yet (right password, inactive) so, instead of "wrong password"; `needs_activation` lets
    the page offer a new activation link. Without the right password it says nothing more
    than for any wrong sign-in."""

    needs_activation = False

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError as exc:
            if any(e.code == "throttled" for e in exc.error_list) or not self._inactive_owner():
                raise
            self.needs_activation = True
            raise forms.ValidationError(
                "This account is not activated yet. Open the link in the e-mail we sent when "
                "you signed up, or ask for a new one below.",
                code="inactive",
            ) from None

    def _inactive_owner(self) -> bool:
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        user = User.objects.filter(username__iexact=username, is_active=False).first()
        return bool(user and user.has_usable_password() and user.check_password(password))


class ActivationResendForm(forms.Form):
    email = forms.EmailField(label="E-mail address", max_length=254)


class AdminLoginForm(SignInLimitFormMixin, AdminAuthenticationForm):
    pass


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the e-mail is sent by a worker (accounts.emails renders it,
    with a fresh token, when it is sent), so the page answers as fast for a known address as
    for an unknown one."""

    def save(self, domain_override=None, use_https=False, request=None, **kwargs):
        if domain_override:
            domain = site_name = domain_override
        else:
            domain = site_name = request.get_host()
        services.password_reset_request(
            email=self.cleaned_data["email"],
            domain=domain,
            protocol="https" if use_https else "http",
            site_name=site_name,
        )
