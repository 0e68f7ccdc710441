"""The search form's inputs, written in Python (forum.forms.PlainInput), are what Django's widget
templates write, for every field, bound or not, valid or not."""

from __future__ import annotations

import pytest
from django import forms

from forum.forms import PlainInput, SearchForm

pytestmark = pytest.mark.django_db

DJANGO_WIDGET = {
    "PlainTextInput": forms.TextInput,
    "PlainNumberInput": forms.NumberInput,
    "PlainDateInput": forms.DateInput,
    "PlainHiddenInput": forms.HiddenInput,
}


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"q": 'squat "tempo" <b>&amp;</b> -lunge', "since": "2025-01-02", "cursor": "abc"},
        {"q": "", "thread": "x", "since": "01/02/2024", "category": "no such"},
        {"q": "ok", "thread": "12", "author": "ann' onmouseover='x", "until": "2025-02-30"},
    ],
)
def test_the_search_inputs_are_what_djangos_widget_templates_write(data):
    form = SearchForm(data)
    form.is_valid()
    for field in form:
        widget = field.field.widget
        assert isinstance(widget, PlainInput)
        plain = str(field)
        # The same field with Django's own widget of that kind, its attributes copied.
        django_widget = DJANGO_WIDGET[type(widget).__name__](attrs=widget.attrs)
        field.field.widget = django_widget
        assert plain == str(type(field)(form, field.field, field.name)), field.name
        field.field.widget = widget


def test_a_search_value_cannot_break_out_of_its_input():
    form = SearchForm({"q": '"><script>alert(1)</script>'})
    html = str(form["q"])
    assert "<script>" not in html
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
