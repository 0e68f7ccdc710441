"""API of accounts: tokens for apps, the viewer's own account, public profiles."""

from __future__ import annotations

from django.contrib.auth import authenticate, user_logged_in
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import generics, parsers, permissions, status
from rest_framework.exceptions import AuthenticationFailed, NotFound, Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services, signin
from accounts.api import serializers
from accounts.models import TokenDevice, User
from accounts.requests import AuthenticatedRequest
from core import throttles
from core.api.conditional import ConditionalGetMixin
from core.api.exceptions import RequestTooLarge

# Multipart overhead on top of the image itself.


@extend_schema(
    summary="Sign in and get a token for this device",
    request=serializers.LoginSerializer,
    responses={201: serializers.IssuedTokenSerializer},
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
        with transaction.atomic():
            now = timezone.now()
            AuthToken.objects.filter(user=user, expiry__lt=now).delete()
            limit = knox_settings.TOKEN_LIMIT_PER_USER
            if limit:
                # At the limit, the least recently issued token makes room for the new one.
                live = list(
                    AuthToken.objects.filter(user=user)
                    .filter(Q(expiry__gte=now) | Q(expiry__isnull=True))
                    .order_by("-created")
                    .values_list("digest", flat=True)
                )
                stale = live[limit - 1 :]
                if stale:
                    AuthToken.objects.filter(digest__in=stale).delete()
            instance, token = AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
            TokenDevice.objects.create(token=instance, name=data.validated_data["device"])
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
