"""The schema of a post: one of two shapes, told apart by `view`.

A post is written by one serializer (PostSerializer), but a generated client should not have to
null-check the author and text of every post, nor guess which nulls go together. The schema
therefore says a post is either a `ReadablePost` (author, html, time never null) or a
`PlaceholderPost` (number and state only), with `view` as the discriminator. `state` cannot
be it: a moderator reads hidden and deleted posts, so a hidden post is readable to some.
Imported by forum.apps, so drf-spectacular finds the extension.
"""

from __future__ import annotations

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
