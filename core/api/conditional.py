"""Conditional GET for API reads: an unchanged answer is a 304 with no body."""

from __future__ import annotations

import hashlib

from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response


class ConditionalGetMixin:
    """Give every successful GET a strong ETag over the exact JSON the viewer receives.

    The viewer's id is part of the hash: two members can get different answers for the same
    URL (unread counts, what they may do, hidden posts for moderators), and a shared cache
    must never hand one member's ETag match to another.
    """

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if (
            request.method not in ("GET", "HEAD")
            or response.status_code != status.HTTP_200_OK
            or not isinstance(response, Response)
        ):
            return response
        viewer = str(request.user.pk) if request.user.is_authenticated else "-"
        body = JSONRenderer().render(response.data)
        digest = hashlib.sha256(viewer.encode() + b"\0" + body).hexdigest()[:40]
        etag = f'"{digest}"'
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ("Authorization", "Cookie"))
        if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
        if if_none_match:
            tags = parse_etags(if_none_match)
            if "*" in tags or etag in tags or f"W/{etag}" in tags:
                response.status_code = status.HTTP_304_NOT_MODIFIED
                response.data = None
        return response
