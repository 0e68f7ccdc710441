"""What "blank" means in the schema: the one pattern of every string the API refuses when blank."""

from __future__ import annotations

from django.core.validators import RegexValidator
from drf_spectacular.extensions import OpenApiSerializerFieldExtension

# "Has a character that is not white space", white space as Python's str.strip() removes it: the
# test of blank input of DRF's CharField (trim_whitespace) and of the strict query filters. `\S`
# cannot say it in a schema: ECMA-262's `\s` takes U+FEFF, which str.strip() keeps, and the Rust
# engine behind schemathesis' validator leaves out U+001C-U+001F and U+0085, which it removes
# (`?author=%1F` was schema-valid and a 400, `?author=%EF%BB%BF` schema-invalid and a 200).
# Characters named one by one read the same in every dialect; tests/api/test_schema.py holds
# the class to str.isspace() over all of Unicode.
NOT_BLANK_PATTERN = r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


class NotBlankTextSchema(OpenApiSerializerFieldExtension):
    """A request string that DRF trims and refuses when blank (a CharField that neither allows
    blank nor keeps white space) declares NOT_BLANK_PATTERN: `minLength: 1` alone calls
    `{"username": " "}` valid input. A field with a RegexValidator keeps that pattern alone
    (drf-spectacular publishes it after this runs). Registered by core.apps."""

    target_class = "rest_framework.fields.CharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        field = self.target
        if (
            direction == "request"
            and field.trim_whitespace
            and not field.allow_blank
            and not {"pattern", "enum"} & set(schema)
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            schema["pattern"] = NOT_BLANK_PATTERN
        return schema
