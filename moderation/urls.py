from django.urls import path

from moderation import views

app_name = "moderation"

urlpatterns = [
    path("p/<int:pk>/report/", views.report_create, name="report"),
]
