from __future__ import annotations

from django import forms

from moderation.models import Report


class ReportForm(forms.Form):
    reason = forms.ChoiceField(choices=Report.Reason.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=1000,
        help_text="Optional: what should the moderators know?",
    )
