"""core.api.deprecation: a view marked deprecated announces it on every answer (Deprecation,
Sunset, Link) and in the schema, with at least the policy's notice."""

from __future__ import annotations

from datetime import date

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.api.deprecation import MINIMUM_NOTICE_DAYS, deprecated

pytestmark = pytest.mark.django_db


@deprecated(since=date(2026, 12, 1), sunset=date(2027, 6, 1), link="/api/v1/threads/")
class OldView(APIView):
    permission_classes: list = []

    def get(self, request):
        if request.query_params.get("missing"):
            raise NotFound()
        return Response({"old": True})


class CurrentView(APIView):
    permission_classes: list = []

    def get(self, request):
        return Response({"old": False})


def test_a_deprecated_view_announces_its_deprecation_and_sunset():
    response = OldView.as_view()(APIRequestFactory().get("/old/"))
    assert response.status_code == 200
    assert response["Deprecation"] == "@1796083200"  # 2026-12-01T00:00:00Z
    assert response["Sunset"] == "Tue, 01 Jun 2027 00:00:00 GMT"
    assert response["Link"] == '</api/v1/threads/>; rel="deprecation"'


def test_errors_of_a_deprecated_view_announce_it_too():
    response = OldView.as_view()(APIRequestFactory().get("/old/", {"missing": "1"}))
    assert response.status_code == 404
    assert response["Sunset"] == "Tue, 01 Jun 2027 00:00:00 GMT"


def test_other_views_are_not_marked():
    response = CurrentView.as_view()(APIRequestFactory().get("/current/"))
    assert "Deprecation" not in response and "Sunset" not in response


def test_the_schema_marks_the_operation_deprecated():
    from django.urls import path

    generator = SchemaGenerator(
        patterns=[path("old/", OldView.as_view()), path("current/", CurrentView.as_view())]
    )
    paths = generator.get_schema(request=None, public=True)["paths"]
    assert paths["/old/"]["get"]["deprecated"] is True
    assert "2027-06-01" in paths["/old/"]["get"]["description"]
    assert "deprecated" not in paths["/current/"]["get"]


def test_a_sunset_sooner_than_the_policys_notice_is_refused():
    with pytest.raises(ValueError, match=str(MINIMUM_NOTICE_DAYS)):
        deprecated(since=date(2026, 12, 1), sunset=date(2027, 1, 1))


def test_no_operation_of_v1_is_deprecated_today(client):
    # The README lists deprecated operations; none yet. A deprecation must update it.
    spec = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    marked = [
        f"{method.upper()} {url}"
        for url, item in spec["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and op.get("deprecated")
    ]
    assert marked == []
