from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.forms import AdminLoginForm
from accounts.models import User

# The admin's login goes through the same sign-in limiter as the pages and the API; this form
# shows its message.
admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "display_name", "post_count", "is_staff", "last_seen")
    search_fields = ("username", "email", "display_name")
    readonly_fields = ("post_count", "last_seen", "date_joined", "last_login")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
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
