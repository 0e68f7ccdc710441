from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts import services
from accounts.forms import ActivationResendForm, LoginForm, ProfileForm, SignupForm
from accounts.models import User
from forum import selectors


class LoginView(auth_views.LoginView):
    """Django's login page with the sign-in limiter's message (accounts.signin); the limiter
    itself is in the authentication backend, shared with the admin and the API."""

    form_class = LoginForm


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("forum:index")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
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
    user = services.member_activate(uidb64=uidb64, token=token)
    if user is None:
        return render(request, "accounts/activation_invalid.html", status=400)
    login(request, user, backend="accounts.signin.SignInLimitBackend")
    messages.success(request, "Your account is active. Welcome!")
    return redirect("forum:index")


def profile(request: HttpRequest, username: str) -> HttpResponse:
    member = get_object_or_404(User, username=username, is_active=True)
    posts = (
        selectors.visible_posts(user=request.user)
        .filter(author=member)
        .order_by("-created", "-id")[:10]
    )
    return render(request, "accounts/profile.html", {"member": member, "posts": posts})


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect(request.user)
    return render(request, "accounts/profile_edit.html", {"form": form})
