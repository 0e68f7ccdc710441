from __future__ import annotations

from django import forms
from django.conf import settings


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
