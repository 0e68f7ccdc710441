"""API of integrations: a member's push devices (`/api/v1/me/devices/`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, permissions, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations import services
from integrations.api.serializers import PushDeviceSerializer
from integrations.models import PushDevice


@extend_schema_view(
    get=extend_schema(summary="Your registered push devices"),
    post=extend_schema(
        summary="Register this device for push notifications",
        description=(
            "Send the push token the platform gave the app (APNs device token, FCM "
            "registration token or a Web Push subscription) and the app id the push gateway "
            "knows it by. Registering a token again updates it; a token an other account "
            "held moves to you."
        ),
        responses={201: PushDeviceSerializer},
    ),
)
class PushDeviceListView(generics.ListCreateAPIView):
    serializer_class = PushDeviceSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no viewer
            return PushDevice.objects.none()
        return PushDevice.objects.filter(user=self.request.user).order_by("-created", "-id")

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = services.push_device_register(user=request.user, **data.validated_data)
        return Response(self.get_serializer(device).data, status=status.HTTP_201_CREATED)


@extend_schema(summary="Stop push notifications to this device", responses={204: None})
class PushDeviceDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def delete(self, request, pk: int):
        try:
            services.push_device_remove(user=request.user, device_id=pk)
        except PushDevice.DoesNotExist:
            raise NotFound() from None
        return Response(status=status.HTTP_204_NO_CONTENT)
