"""Request fields that take JSON's types as they are.

DRF's fields coerce: a CharField turns `{"body": 0}` into "0", a BooleanField takes 0, 1 and
"yes", an IntegerField takes "7". The schema says string, boolean, integer, and a client sending
anything else has a bug it should hear about (400), not a guess. For JSON bodies only: query
parameters arrive as strings and keep DRF's (or django-filter's) parsing.
"""

from __future__ import annotations

import re

from rest_framework import serializers

# An integer in a query string as the schema's `type: integer` writes it.
QUERY_INTEGER = re.compile(r"-?[0-9]+")


class TextField(serializers.CharField):
    """A string, and only a string, no longer than `max_length` as sent."""

    default_error_messages = {"not_a_string": "Send text (a JSON string)."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        # The schema's maxLength counts the string sent; DRF's own check counts it trimmed, and
        # took 200 characters and a space for an app_id of at most 200.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class JSONBooleanField(serializers.BooleanField):
    """`true` or `false`, nothing else."""

    default_error_messages = {"invalid": "Send true or false (a JSON boolean)."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class JSONIntegerField(serializers.IntegerField):
    """A JSON number without a fraction; not a string of digits, not a boolean."""

    def to_internal_value(self, data):
        if isinstance(data, (bool, str)):
            self.fail("invalid")
        return super().to_internal_value(data)


class QueryIntegerField(serializers.IntegerField):
    """A whole number in a query string, in ASCII digits: DRF's also reads " 5", "5.0" and
    "\u0665" (int() takes white space and every script's digits), which the schema's integer
    rules out."""

    def to_internal_value(self, data):
        if not (isinstance(data, str) and QUERY_INTEGER.fullmatch(data)):
            self.fail("invalid")
        return super().to_internal_value(data)
