from rest_framework import serializers

from core.api.fields import TextField
from integrations.models import PushDevice


class PushDeviceSerializer(serializers.ModelSerializer):
    # Text fields take JSON strings only (core.api.fields).
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **{
            field: TextField
            for field, mapped in serializers.ModelSerializer.serializer_field_mapping.items()
            if mapped is serializers.CharField
        },
    }

    class Meta:
        model = PushDevice
        fields = ("id", "platform", "app_id", "push_token", "created", "last_pushed")
        read_only_fields = ("id", "created", "last_pushed")
        extra_kwargs = {
            "push_token": {"write_only": True},
            # Uniqueness is handled by the service (a known token moves to this member).
            "app_id": {"validators": []},
        }
        validators: list = []
