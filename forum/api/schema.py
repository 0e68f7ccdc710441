"""The schema of a post: one of two shapes, told apart by `view`.

A post is written by one serializer (PostSerializer), but a generated client should not have to
null-check the author and text of every post, nor guess which nulls go together. The schema
therefore says a post is either a `ReadablePost` (author, html, time never null) or a
`PlaceholderPost` (number and state only), with `view` as the discriminator. `state` cannot
be it: a moderator reads hidden and deleted posts, so a hidden post is readable to some.
Imported by forum.apps, so drf-spectacular finds the extension.
"""

from __future__ import annotations

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiSerializerExtension

from forum.api.serializers import PlaceholderPostSerializer, ReadablePostSerializer


class PostSchema(OpenApiSerializerExtension):
    # Only PostSerializer itself: subclasses (search results, always readable) keep their own.
    target_class = "forum.api.serializers.PostSerializer"

    def map_serializer(self, auto_schema, direction):
        readable = auto_schema.resolve_serializer(ReadablePostSerializer, direction).ref
        placeholder = auto_schema.resolve_serializer(PlaceholderPostSerializer, direction).ref
        return {
            "oneOf": [readable, placeholder],
            "discriminator": {
                "propertyName": "view",
                "mapping": {"readable": readable["$ref"], "placeholder": placeholder["$ref"]},
            },
        }


class FilterSchema(DjangoFilterExtension):
    """The API lists' filters as drf-spectacular publishes them, with each text filter's
    max_length as maxLength: `?author=` of 151 characters is a 400 (forum.api.filters), which
    the schema did not say."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        max_length = filter_field.extra.get("max_length")
        for parameter in parameters:
            if max_length is not None and parameter["schema"].get("type") == "string":
                parameter["schema"]["maxLength"] = max_length
        return parameters
