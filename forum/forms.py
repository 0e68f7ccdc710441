from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.widgets import Input
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from forum import search
from forum.models import Category, Subscription, Thread

SEARCH_QUERY_MAX = 200
# What the API schema declares a query must contain, for clients and schema-driven tests. The
# form's rule is "at least one letter or digit", Unicode's; a schema regex cannot say that
# portably (`\w` is ASCII in ECMA-262 and Unicode in Python), so it says the part both read
# the same way: some character that is not ASCII punctuation, space or control. Every query
# without one has no letter or digit, so the form refuses all that the schema rules out.
SEARCH_QUERY_PATTERN = r"[^\x00-/:-@\[-`{-\x7f]"


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: field errors by field, the rest on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class PostForm(forms.Form):
    body = forms.CharField(
        label="Your post",
        widget=forms.Textarea(attrs={"rows": 10, "class": "composer-body"}),
        max_length=settings.STOA["POST_MAX_LENGTH"],
        strip=False,
        help_text='Markdown. Quote with [quote="name" post=123]text[/quote].',
    )


class ThreadTitleForm(forms.Form):
    """A thread's title, for a new thread and for renaming one; the service's clean_title
    has the last word (whitespace, invisible text), so both say the same."""

    title = forms.CharField(max_length=settings.STOA["TITLE_MAX_LENGTH"])


class ThreadForm(ThreadTitleForm, PostForm):
    field_order = ["title", "body"]


class IsoDateField(forms.DateField):
    """YYYY-MM-DD, as the help text and the API schema's `format: date` say. Django's input
    formats also read 01/02/2024 (the 1st of February or the 2nd of January?), 2024-1-1, white
    space around it and digits of other scripts, all of which the schema calls invalid."""

    def to_python(self, value):
        if (
            isinstance(value, str)
            and value
            and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)
        ):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class AsciiIntegerField(forms.IntegerField):
    """A whole number in ASCII digits, as the API schema's integer: Django's also reads " 5",
    "5.0" and "\u0665" (int() takes white space and every script's digits)."""

    def to_python(self, value):
        if isinstance(value, str) and value and not re.fullmatch(r"-?[0-9]+", value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class PlainInput(Input):
    """An <input> written in Python, exactly as Django's django/forms/widgets/input.html writes
    it: the search page renders six inputs on every search, and rendering them through the
    widget templates was a quarter of its profiled view (tests/forum/test_forms.py holds the
    two to the same output)."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        html: list[str] = [
            format_html('<input type="{}" name="{}"', widget["type"], widget["name"])
        ]
        if widget["value"] is not None:
            html.append(format_html(' value="{}"', str(widget["value"])))
        for key, val in widget["attrs"].items():
            if val is True:
                html.append(format_html(" {}", key))
            elif val is not False:
                html.append(format_html(' {}="{}"', key, str(val)))
        html.append(">")
        return mark_safe("".join(html))  # noqa: S308 (each part escaped by format_html)


class PlainTextInput(PlainInput, forms.TextInput):
    pass


class PlainNumberInput(PlainInput, forms.NumberInput):
    pass


class PlainDateInput(PlainInput, forms.DateInput):
    pass


class PlainHiddenInput(PlainInput, forms.HiddenInput):
    pass


class SearchForm(forms.Form):
    """A search and its filters, shared by the search page and the API: the same input gets
    the same answer, and the same field messages when it is wrong."""

    q = forms.CharField(label="Search", max_length=SEARCH_QUERY_MAX, widget=PlainTextInput)
    category = forms.SlugField(max_length=100, required=False, widget=PlainTextInput)
    author = forms.CharField(max_length=150, required=False, widget=PlainTextInput)
    thread = AsciiIntegerField(
        min_value=1, max_value=2**63 - 1, required=False, widget=PlainNumberInput
    )
    since = IsoDateField(
        required=False,
        help_text="YYYY-MM-DD, from the start of that day.",
        widget=PlainDateInput,
    )
    until = IsoDateField(
        required=False,
        help_text="YYYY-MM-DD, up to the end of that day.",
        widget=PlainDateInput,
    )
    cursor = forms.CharField(max_length=100, required=False, widget=PlainHiddenInput)

    def clean_q(self) -> str:
        # CharField already refuses NUL characters; a query of quotes or dashes alone has
        # nothing to look for.
        q = self.cleaned_data["q"]
        if not any(ch.isalnum() for ch in q):
            raise ValidationError("Enter a word to search for.")
        return q

    def clean_category(self) -> Category | None:
        slug = self.cleaned_data.get("category")
        if not slug:
            return None
        category = Category.objects.filter(slug=slug).first()
        if category is None:
            raise ValidationError("There is no such category.")
        return category

    def clean_author(self) -> User | None:
        name = self.cleaned_data.get("author", "").strip()
        if not name:
            return None
        author = User.objects.filter(username__iexact=name).first()
        if author is None:
            raise ValidationError("There is no member with that name.")
        return author

    def clean_thread(self) -> Thread | None:
        pk = self.cleaned_data.get("thread")
        if pk is None:
            return None
        thread = Thread.objects.filter(pk=pk).first()
        if thread is None:
            raise ValidationError("There is no such thread.")
        return thread

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date is before the start date.")
        return data

    def filters(self) -> search.Filters:
        data = self.cleaned_data
        since, until = data.get("since"), data.get("until")
        return search.Filters(
            category_id=data["category"].pk if data.get("category") else None,
            author_id=data["author"].pk if data.get("author") else None,
            thread_id=data["thread"].pk if data.get("thread") else None,
            since=datetime.combine(since, time.min, tzinfo=UTC) if since else None,
            until=(
                datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC) if until else None
            ),
        )


class NotificationReadForm(forms.Form):
    """Mark one notification (`id`) or all (`all`) read; `next` is a page of the list."""

    id = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    all = forms.BooleanField(required=False)
    next = forms.RegexField(regex=r"^/notifications/(\?page=\d{1,6})?$", required=False)

    def clean(self):
        data = super().clean()
        if not data.get("all") and not data.get("id"):
            raise ValidationError("Choose a notification to mark read, or all of them.")
        return data


class SubscriptionForm(forms.Form):
    """Watch a thread, mute it, or neither ("normal": quotes and mentions only)."""

    level = forms.ChoiceField(
        choices=[
            (Subscription.Level.WATCHING, "Watch"),
            ("normal", "Normal"),
            (Subscription.Level.MUTED, "Mute"),
        ]
    )


class ThreadMoveForm(forms.Form):
    """A moderator moves a thread to another category (from the thread page)."""

    category = forms.ModelChoiceField(
        queryset=Category.objects.order_by("position", "name"),
        label="Move to",
        empty_label=None,
    )
