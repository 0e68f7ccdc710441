from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models

from accounts.forms import AdminLoginForm, AdminSignupForm, AdminUserChangeForm
from accounts.models import User

# The admin's login goes through the same sign-in limiter as the pages and the API; this form
# shows its message.
admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = AdminUserChangeForm
    add_form = AdminSignupForm
    # As on the profile page: a website typed without a scheme is an https:// one.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("username", "email", "display_name", "post_count", "is_staff", "last_seen")
    search_fields = ("username", "email", "display_name")
    readonly_fields = ("post_count", "last_seen", "date_joined", "last_login")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (
            "Profile",
            {
                "fields": (
                    "display_name",
                    "bio",
                    "location",
                    "website",
                    "avatar",
                    "signature",
                    "post_count",
                    "last_seen",
                    "imported_from",
                )
            },
        ),
    )

    # Moderators may read member accounts (view_user) but have no need for their e-mail
    # addresses; only administrators see and search them.
    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if request.user.is_superuser else tuple(f for f in shown if f != "email")

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        return fields if request.user.is_superuser else tuple(f for f in fields if f != "email")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return tuple(
            (name, {**opts, "fields": tuple(f for f in opts["fields"] if f != "email")})
            for name, opts in fieldsets
        )
