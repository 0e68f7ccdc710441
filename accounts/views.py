from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import hooks, services, signin
from accounts.forms import ActivationResendForm, AvatarForm, LoginForm, ProfileForm, SignupForm
from accounts.models import User
from accounts.requests import AuthenticatedHttpRequest
from core import throttles


class LoginView(auth_views.LoginView):
    """Django's login page with the sign-in limiter's message (accounts.signin); the limiter
    itself is in the authentication backend, shared with the admin and the API."""

    form_class = LoginForm


def _refused(request, template: str, context: dict, refusal: signin.Refusal) -> HttpResponse:
    context["form"].add_error(None, refusal.message)
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, limited per client address and per target address: each request
    sends a message. The limits count known and unknown addresses alike."""

    def form_valid(self, form):
        refusal = signin.mail_request_refusal(
            self.request, action="reset", email=form.cleaned_data["email"]
        )
        if refusal is not None:
            return _refused(
                self.request, self.template_name, self.get_context_data(form=form), refusal
            )
        return super().form_valid(form)


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        # Where a signed-in member lands (the project's home page, named in the settings).
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        refusal = signin.mail_request_refusal(
            request, action="signup", email=form.cleaned_data["email"]
        )
        if refusal is not None:
            return _refused(request, "accounts/signup.html", {"form": form}, refusal)
        try:
            services.member_signup(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                site_url=f"{request.scheme}://{request.get_host()}",
            )
        except ValidationError as exc:
            # A look-alike name taken between the form's check and the write.
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("accounts:signup_done")
    return render(request, "accounts/signup.html", {"form": form})


def signup_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_done.html")


def activation_resend(request: HttpRequest) -> HttpResponse:
    """A new activation link for an account that is not activated yet. The answer is the same
    whether or not the address has such an account."""
    form = ActivationResendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.activation_resend(
            email=form.cleaned_data["email"], site_url=f"{request.scheme}://{request.get_host()}"
        )
        return render(request, "accounts/activation_resent.html")
    return render(
        request,
        "accounts/activation_resend.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def activate(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The activation link opens a confirmation page; only its POST (with a CSRF token)
    activates, and nobody is signed in by it. A plain GET that signed in whoever opened the
    link let anyone send a victim a link to the attacker's account (login CSRF), and mail
    scanners that open links activated accounts nobody confirmed."""
    if request.method == "POST":
        user = services.member_activate(uidb64=uidb64, token=token)
        if user is None:
            return render(request, "accounts/activation_invalid.html", status=400)
        messages.success(request, "Your account is active. Sign in to start posting.")
        return redirect("login")
    user = services.activation_user(uidb64=uidb64, token=token)
    if user is None:
        return render(request, "accounts/activation_invalid.html", status=400)
    return render(request, "accounts/activate_confirm.html", {"member": user})


def profile(request: HttpRequest, username: str) -> HttpResponse:
    member = get_object_or_404(User, username=username, is_active=True)
    context = {"member": member, "posts": [], "profile_templates": list(hooks.profile_templates)}
    context.update(hooks.profile_extras(viewer=request.user, member=member))
    return render(request, "accounts/profile.html", context)


def _profile_edit_page(
    request: AuthenticatedHttpRequest,
    *,
    form=None,
    avatar_errors: Sequence[str] = (),
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "accounts/profile_edit.html",
        {
            "form": form or ProfileForm(instance=request.user),
            "avatar_form": AvatarForm(),
            "avatar_errors": avatar_errors,
        },
        status=status,
    )


@login_required
def profile_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect(request.user)
    return _profile_edit_page(request, form=form)


def _too_large(request: AuthenticatedHttpRequest) -> HttpResponse:
    message = f"A picture can be at most {services.AVATAR_MAX_BYTES // 1024} KB."
    return _profile_edit_page(request, avatar_errors=[message], status=413)


@login_required
@require_POST
def avatar_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload or remove the member's picture. A request longer than an upload may be is a
    413 from its Content-Length alone (in production the proxy refuses bodies over 2 MB
    before Django reads them: deploy/nginx)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > services.AVATAR_REQUEST_MAX:
        return _too_large(request)
    if "remove" in request.POST:
        services.avatar_remove(user=request.user)
        messages.success(request, "Picture removed: others now see your initial.")
        return redirect("accounts:profile_edit")
    form = AvatarForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = [str(message) for message in form.errors["avatar"]]
        return _profile_edit_page(request, avatar_errors=errors, status=400)
    upload = form.cleaned_data["avatar"]
    if upload.size > services.AVATAR_MAX_BYTES:
        return _too_large(request)
    wait = throttles.throttle_wait(request, (throttles.UploadUserThrottle,))
    if wait is not None:
        message = "You are changing your picture too often. Try again later."
        response = _profile_edit_page(request, avatar_errors=[message], status=429)
        response["Retry-After"] = str(int(wait) + 1)
        return response
    try:
        services.avatar_set(user=request.user, upload=upload)
    except ValidationError as exc:
        return _profile_edit_page(request, avatar_errors=exc.messages, status=400)
    messages.success(request, "Picture saved.")
    return redirect("accounts:profile_edit")
