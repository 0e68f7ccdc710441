from django.urls import path

from integrations.api import views

urlpatterns = [
    path("me/devices/", views.PushDeviceListView.as_view(), name="push_devices"),
    path("me/devices/<int:pk>/", views.PushDeviceDetailView.as_view(), name="push_device"),
]
