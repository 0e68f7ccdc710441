from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from knox.models import AuthToken
from rest_framework import serializers

from accounts.models import User
from core.api.fields import JSONBooleanField, TextField

NULLABLE_URI = {"type": "string", "format": "uri", "nullable": True}


class UserSummarySerializer(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    display_name = serializers.CharField(read_only=True, source="name")
    avatar = serializers.SerializerMethodField()
    is_staff = serializers.BooleanField(
        read_only=True, help_text="Stoa staff (moderators, administrators): show a badge."
    )

    avatar_small = serializers.SerializerMethodField(
        help_text="The same picture at 64x64 for lists; `avatar` is 192x192."
    )

    def _url(self, picture) -> str | None:
        if not picture:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(picture.url) if request is not None else picture.url

    @extend_schema_field(NULLABLE_URI)
    def get_avatar(self, user: User) -> str | None:
        return self._url(user.avatar)

    @extend_schema_field(NULLABLE_URI)
    def get_avatar_small(self, user: User) -> str | None:
        return self._url(user.avatar_small)


class MemberChangeSerializer(UserSummarySerializer):
    """A member as the sync feed lists them after a change of their public profile: the
    summary that posts and threads embed as `author` (replace every cached copy with the same
    `username`) and the profile's public fields."""

    bio = serializers.CharField(read_only=True)
    location = serializers.CharField(read_only=True)
    # Plain text: "" when unset, which is not a URI.
    website = serializers.CharField(read_only=True)
    signature = serializers.CharField(read_only=True)


class LoginSerializer(serializers.Serializer):
    username = TextField(max_length=150)
    password = TextField(max_length=4096, trim_whitespace=False)
    device = TextField(max_length=100, required=False, allow_blank=True, default="")
    replace_oldest = JSONBooleanField(
        required=False,
        default=False,
        help_text="At the device limit: true signs the least recently signed-in device out "
        "to make room (without it the answer is a 409 `token_limit`).",
    )


class TokenSerializer(serializers.ModelSerializer):
    key = serializers.CharField(source="token_key", read_only=True)
    device = serializers.SerializerMethodField()
    current = serializers.SerializerMethodField()

    class Meta:
        model = AuthToken
        fields = ["key", "device", "created", "expiry", "current"]
        read_only_fields = fields

    def get_device(self, token: AuthToken) -> str:
        device = getattr(token, "device", None)
        return device.name if device is not None else ""

    def get_current(self, token: AuthToken) -> bool:
        request = self.context.get("request")
        auth = getattr(request, "auth", None)
        return isinstance(auth, AuthToken) and auth.digest == token.digest


class IssuedTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Bearer <token>`.")
    key = serializers.CharField(help_text="Names the token in /auth/tokens/.")
    device = serializers.CharField(allow_blank=True)
    expiry = serializers.DateTimeField(allow_null=True)
    user = UserSummarySerializer()


class ProfileSerializer(serializers.ModelSerializer):
    """What anyone may read about a member: nothing private (no e-mail, no last login)."""

    display_name = serializers.CharField(source="name", read_only=True)
    # Plain text: "" when unset, which is not a URI.
    website = serializers.CharField(read_only=True)
    avatar = serializers.SerializerMethodField()
    joined = serializers.DateTimeField(source="date_joined", read_only=True)
    is_moderator = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = [
            "username",
            "display_name",
            "bio",
            "location",
            "website",
            "signature",
            "avatar",
            "post_count",
            "joined",
            "is_moderator",
        ]
        read_only_fields = fields

    @extend_schema_field(NULLABLE_URI)
    def get_avatar(self, user: User) -> str | None:
        return UserSummarySerializer(user, context=self.context).data["avatar"]


class MeSerializer(ProfileSerializer):
    class Meta(ProfileSerializer.Meta):
        fields = [*ProfileSerializer.Meta.fields, "email"]
        read_only_fields = fields


class ProfileUpdateSerializer(serializers.Serializer):
    """The only fields a member can change through /me; anything else sent is ignored."""

    display_name = TextField(max_length=60, required=False, allow_blank=True)
    bio = TextField(max_length=2000, required=False, allow_blank=True)
    location = TextField(max_length=100, required=False, allow_blank=True)
    website = serializers.URLField(max_length=200, required=False, allow_blank=True)
    signature = TextField(max_length=500, required=False, allow_blank=True)


class AvatarUploadSerializer(serializers.Serializer):
    avatar = serializers.FileField(help_text="PNG, JPEG, WebP or GIF; at most 1 MB, 1024x1024.")


class SignupSerializer(serializers.Serializer):
    username = TextField(max_length=150)
    email = TextField(max_length=254)
    password = TextField(max_length=4096, trim_whitespace=False)


class EmailSerializer(serializers.Serializer):
    email = TextField(max_length=254)


class ActivationSerializer(serializers.Serializer):
    uid = TextField(max_length=64, help_text="The link's first part (uidb64).")
    token = TextField(max_length=64, help_text="The link's second part.")


class PasswordResetConfirmSerializer(ActivationSerializer):
    new_password = TextField(max_length=4096, trim_whitespace=False)


class PasswordChangeSerializer(serializers.Serializer):
    old_password = TextField(max_length=4096, trim_whitespace=False)
    new_password = TextField(max_length=4096, trim_whitespace=False)
    device = TextField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="The name of the new token's device; this token's own by default.",
    )


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ActivatedSerializer(serializers.Serializer):
    username = serializers.CharField()
    detail = serializers.CharField()


class TokenExpirySerializer(serializers.Serializer):
    key = serializers.CharField()
    expiry = serializers.DateTimeField()
