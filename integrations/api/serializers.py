from rest_framework import serializers

from integrations.models import PushDevice


class PushDeviceSerializer(serializers.ModelSerializer):
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
