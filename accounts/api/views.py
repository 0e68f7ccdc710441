"""API of accounts: tokens for apps, the viewer's own account, public profiles."""

from __future__ import annotations

from django.contrib.auth import authenticate, user_logged_in
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import generics, parsers, permissions, status
from rest_framework.exceptions import APIException, AuthenticationFailed, NotFound, Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services, signin
from accounts.api import serializers
from accounts.forms import ActivationResendForm, QueuedPasswordResetForm, SignupForm
from accounts.models import User
from accounts.requests import AuthenticatedRequest
from core import throttles
from core.api.conditional import ConditionalGetMixin
from core.api.exceptions import RequestTooLarge
from core.api.ratelimit import RateLimitHeadersMixin

# Multipart overhead on top of the image itself.


class TokenLimit(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This account is signed in on as many devices as it may be."
    default_code = "token_limit"


@extend_schema(
    summary="Sign in and get a token for this device",
    request=serializers.LoginSerializer,
    responses={
        201: serializers.IssuedTokenSerializer,
        409: OpenApiResponse(
            description="`token_limit`: signed in on the most devices an account may be; "
            "sign one out, or send `replace_oldest: true`."
        ),
    },
    auth=[],
)
class TokenCreateView(APIView):
    # No session and no cookie: the token is the credential, so there is nothing for CSRF to
    # protect and no session authentication to enforce it.
    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    # The sign-in limiter is in the authentication backend (accounts.signin), shared with the
    # login page and the admin: it counts failures only.
    throttle_classes: list = []

    def post(self, request: Request):
        data = serializers.LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        refusal = signin.refusal_of(request._request)
        if refusal is not None:
            raise Throttled(wait=refusal.wait, detail=refusal.message)
        if user is None or not user.is_active:
            # One answer for unknown names, wrong passwords and disabled accounts.
            raise AuthenticationFailed("Wrong username or password.")
        try:
            instance, token = services.api_token_issue(
                user=user,
                device=data.validated_data["device"],
                replace_oldest=data.validated_data["replace_oldest"],
            )
        except services.TokenLimitReached as exc:
            raise TokenLimit(
                f"This account is signed in on {exc.limit} devices, the most it may be. Sign "
                "one out (DELETE /api/v1/auth/tokens/{key}/), or sign in again with "
                '"replace_oldest": true to sign the least recently signed-in one out.'
            ) from None
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        body = {
            "token": token,
            "key": instance.token_key,
            "device": data.validated_data["device"],
            "expiry": instance.expiry,
            "user": user,
        }
        return Response(
            serializers.IssuedTokenSerializer(body, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    def get_authenticate_header(self, request: Request):
        # Failed sign-ins are 401 with the scheme clients should use afterwards.
        return knox_settings.AUTH_HEADER_PREFIX


@extend_schema(summary="The viewer's API tokens (one per device)")
class TokenListView(generics.ListAPIView):
    serializer_class = serializers.TokenSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuthToken.objects.none()
        return (
            AuthToken.objects.filter(user=self.request.user)
            .filter(Q(expiry__gte=timezone.now()) | Q(expiry__isnull=True))
            .select_related("device")
            .order_by("-created")
        )


@extend_schema(
    summary="Revoke a token",
    description="`current` revokes the token this request was made with (sign out).",
    responses={204: None},
)
class TokenDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def delete(self, request: AuthenticatedRequest, key: str):
        if key == "current":
            if not isinstance(request.auth, AuthToken):
                raise NotFound("This request was not made with a token.")
            request.auth.delete()
        else:
            # Only the owner's tokens: anyone else's key is simply not found.
            deleted, _ = AuthToken.objects.filter(user=request.user, token_key=key[:25]).delete()
            if not deleted:
                raise NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(summary="The viewer's own account"),
    patch=extend_schema(
        summary="Edit one's own profile",
        request=serializers.ProfileUpdateSerializer,
        responses=serializers.MeSerializer,
    ),
)
class MeView(ConditionalGetMixin, generics.GenericAPIView):
    serializer_class = serializers.MeSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get(self, request: AuthenticatedRequest):
        return Response(self.get_serializer(request.user).data)

    def patch(self, request: AuthenticatedRequest):
        data = serializers.ProfileUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.profile_update(user=request.user, changes=dict(data.validated_data))
        return Response(self.get_serializer(user).data)


class AvatarParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0) if request else 0
        except ValueError:
            length = 0
        if length > services.AVATAR_REQUEST_MAX:
            raise RequestTooLarge("An avatar can be at most 1 MB.")
        return super().parse(stream, media_type, parser_context)


@extend_schema_view(
    put=extend_schema(
        summary="Upload an avatar",
        request={"multipart/form-data": serializers.AvatarUploadSerializer},
        responses=serializers.MeSerializer,
    ),
    delete=extend_schema(summary="Remove the avatar", responses={200: serializers.MeSerializer}),
)
class AvatarView(generics.GenericAPIView):
    serializer_class = serializers.MeSerializer
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [AvatarParser]

    def get_throttles(self):
        if self.request.method == "PUT":
            return [throttles.UploadUserThrottle()]
        return super().get_throttles()

    def put(self, request: AuthenticatedRequest):
        upload = request.FILES.get("avatar")
        if upload is None:
            raise ValidationError({"avatar": ["Attach an image as `avatar`."]})
        user = services.avatar_set(user=request.user, upload=upload)
        return Response(self.get_serializer(user).data)

    def delete(self, request: AuthenticatedRequest):
        user = services.avatar_remove(user=request.user)
        return Response(self.get_serializer(user).data)


@extend_schema(summary="A member's public profile")
class ProfileView(ConditionalGetMixin, generics.RetrieveAPIView):
    serializer_class = serializers.ProfileSerializer
    permission_classes = [permissions.AllowAny]

    def get_object(self):
        return get_object_or_404(User, username=self.kwargs["username"], is_active=True)


# Sign-up, activation and passwords: the pages' rules through the API. The same forms check
# the input, the same services write, the same limits (accounts.signin) count, and every
# answer that could tell whether an address has an account is the same either way.

CHECK_EMAIL = "If the address can be used, a message is on its way to it. Check your e-mail."


def _site_url(request: Request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _form_errors(form, renames: dict[str, str]) -> ValidationError:
    """A Django form's errors (with their codes) under the API's field names."""
    errors: dict[str, list] = {}
    for field, field_errors in form.errors.as_data().items():
        errors.setdefault(renames.get(field, field), []).extend(field_errors)
    return ValidationError(errors)


def _refuse_mail_flood(request: Request, *, action: str, email: str) -> None:
    refusal = signin.mail_request_refusal(request._request, action=action, email=email)
    if refusal is not None:
        raise Throttled(wait=refusal.wait, detail=refusal.message)


class _OpenView(APIView):
    """Open to anyone: no token is read (a stale one must not refuse a sign-up), no session
    (so no CSRF), and the limits are accounts.signin's, shared with the pages."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []


@extend_schema_view(post=extend_schema(operation_id="auth_signup"))
@extend_schema(
    summary="Sign up: an inactive account and an e-mail with its activation link",
    description="The answer is the same whether or not the address already has an account "
    "(its owner is told by e-mail). A taken or look-alike username is a 400 (`duplicate`), "
    "as on the sign-up page. The link's two parts go to POST /api/v1/auth/activate/.",
    request=serializers.SignupSerializer,
    responses={202: serializers.DetailSerializer},
    auth=[],
)
class SignupView(_OpenView):
    def post(self, request: Request):
        data = serializers.SignupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        password = data.validated_data["password"]
        form = SignupForm(
            {
                "username": data.validated_data["username"],
                "email": data.validated_data["email"],
                "password1": password,
                "password2": password,
            }
        )
        if not form.is_valid():
            raise _form_errors(form, {"password1": "password", "password2": "password"})
        _refuse_mail_flood(request, action="signup", email=form.cleaned_data["email"])
        services.member_signup(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=password,
            site_url=_site_url(request),
        )
        return Response({"detail": CHECK_EMAIL}, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(post=extend_schema(operation_id="auth_activate"))
@extend_schema(
    summary="Activate an account with its e-mailed link",
    description="Nobody is signed in by it: sign in with POST /api/v1/auth/token/ next.",
    request=serializers.ActivationSerializer,
    responses={200: serializers.ActivatedSerializer},
    auth=[],
)
class ActivationView(_OpenView):
    def post(self, request: Request):
        data = serializers.ActivationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.member_activate(
            uidb64=data.validated_data["uid"], token=data.validated_data["token"]
        )
        if user is None:
            raise ValidationError(
                {"token": [ValidationError("This link is not valid or was used.", "invalid_link")]}
            )
        return Response({"username": user.username, "detail": "The account is active."})


@extend_schema_view(post=extend_schema(operation_id="auth_activation_resend"))
@extend_schema(
    summary="E-mail a new activation link",
    description="The same answer whether or not the address has an account waiting.",
    request=serializers.EmailSerializer,
    responses={202: serializers.DetailSerializer},
    auth=[],
)
class ActivationResendView(_OpenView):
    def post(self, request: Request):
        data = serializers.EmailSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        form = ActivationResendForm(data.validated_data)
        if not form.is_valid():
            raise _form_errors(form, {})
        _refuse_mail_flood(request, action="signup", email=form.cleaned_data["email"])
        services.activation_resend(email=form.cleaned_data["email"], site_url=_site_url(request))
        return Response({"detail": CHECK_EMAIL}, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(post=extend_schema(operation_id="auth_password_reset"))
@extend_schema(
    summary="E-mail a password reset link",
    description="The same answer whether or not the address has an account. The link's two "
    "parts go to POST /api/v1/auth/password-reset/confirm/.",
    request=serializers.EmailSerializer,
    responses={202: serializers.DetailSerializer},
    auth=[],
)
class PasswordResetView(_OpenView):
    def post(self, request: Request):
        data = serializers.EmailSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        form = QueuedPasswordResetForm(data.validated_data)
        if not form.is_valid():
            raise _form_errors(form, {})
        _refuse_mail_flood(request, action="reset", email=form.cleaned_data["email"])
        form.save(request=request._request, use_https=request.is_secure())
        return Response({"detail": CHECK_EMAIL}, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(post=extend_schema(operation_id="auth_password_reset_confirm"))
@extend_schema(
    summary="Set a new password with an e-mailed reset link",
    description="Signs every device of the account out (all its API tokens end).",
    request=serializers.PasswordResetConfirmSerializer,
    responses={200: serializers.DetailSerializer},
    auth=[],
)
class PasswordResetConfirmView(_OpenView):
    def post(self, request: Request):
        data = serializers.PasswordResetConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.password_reset_user(
            uidb64=data.validated_data["uid"], token=data.validated_data["token"]
        )
        if user is None:
            raise ValidationError(
                {"token": [ValidationError("This link is not valid or was used.", "invalid_link")]}
            )
        password = data.validated_data["new_password"]
        form = SetPasswordForm(user, {"new_password1": password, "new_password2": password})
        if not form.is_valid():
            raise _form_errors(
                form, {"new_password1": "new_password", "new_password2": "new_password"}
            )
        # Saving runs the password validators' password_changed: every token is revoked.
        form.save()
        return Response({"detail": "Password changed. Sign in again on each device."})


@extend_schema_view(post=extend_schema(operation_id="me_password_change"))
@extend_schema(
    summary="Change one's password",
    description="Every API token of the account ends (every device is signed out, as a "
    "reset does); the answer carries a new token for this device.",
    request=serializers.PasswordChangeSerializer,
    responses={200: serializers.IssuedTokenSerializer},
)
class PasswordChangeView(RateLimitHeadersMixin, APIView):
    permission_classes = [permissions.IsAuthenticated]
    # Guessing the old password with a stolen token is a sign-in guess: limited alike.
    throttle_classes = [throttles.PasswordUserThrottle]

    def post(self, request: AuthenticatedRequest):
        data = serializers.PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        form = PasswordChangeForm(
            request.user,
            {
                "old_password": data.validated_data["old_password"],
                "new_password1": data.validated_data["new_password"],
                "new_password2": data.validated_data["new_password"],
            },
        )
        if not form.is_valid():
            raise _form_errors(
                form, {"new_password1": "new_password", "new_password2": "new_password"}
            )
        device = data.validated_data.get("device") or _device_name(request.auth)
        with transaction.atomic():
            user = form.save()
            instance, token = services.api_token_issue(user=user, device=device)
        body = {
            "token": token,
            "key": instance.token_key,
            "device": device,
            "expiry": instance.expiry,
            "user": user,
        }
        return Response(serializers.IssuedTokenSerializer(body, context={"request": request}).data)


def _device_name(auth) -> str:
    device = getattr(auth, "device", None) if isinstance(auth, AuthToken) else None
    return device.name if device is not None else ""


@extend_schema_view(post=extend_schema(operation_id="auth_token_refresh"))
@extend_schema(
    summary="Extend this token's expiry",
    description="The token this request is made with lasts a full term (API_TOKEN_TTL_DAYS) "
    "from now. Tokens in use are also extended as they are used (at most once an hour), so an "
    "app used within every term never has to sign in again.",
    request=None,
    responses={200: serializers.TokenExpirySerializer},
)
class TokenRefreshView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def post(self, request: Request):
        if not isinstance(request.auth, AuthToken):
            raise NotFound("This request was not made with a token.")
        token = services.api_token_refresh(token=request.auth)
        return Response({"key": token.token_key, "expiry": token.expiry})
