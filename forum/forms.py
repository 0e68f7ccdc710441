from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: field errors by field, the rest on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class PostForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=settings.STOA["POST_MAX_LENGTH"],
        strip=False,
        help_text='Markdown. Quote with [quote="name" post=123]text[/quote].',
    )


class ThreadForm(PostForm):
    title = forms.CharField(max_length=settings.STOA["TITLE_MAX_LENGTH"])

    field_order = ["title", "body"]
