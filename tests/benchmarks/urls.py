"""Stoa's URLs plus /_bench/minimal/: a view that does nothing, behind the same middleware, in
the same gunicorn. Its rate is the ceiling the pages are measured against."""

from django.http import HttpResponse
from django.urls import include, path


def minimal(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("_bench/minimal/", minimal),
    path("", include("stoa.urls")),
]
