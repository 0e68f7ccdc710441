"""What OPTIONS answers: 200 with the methods a resource takes (also in the Allow header),
never a 405 for a method Allow lists. Field details are left to /api/schema/."""

from __future__ import annotations

from rest_framework.metadata import BaseMetadata


class AllowedMethodsMetadata(BaseMetadata):
    def determine_metadata(self, request, view) -> dict:
        return {"name": view.get_view_name(), "allowed_methods": list(view.allowed_methods)}
