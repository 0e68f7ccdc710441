from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path

from accounts import views
from accounts.forms import QueuedPasswordResetForm

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/done/", views.signup_done, name="signup_done"),
    path("activate/resend/", views.activation_resend, name="activation_resend"),
    path("activate/<str:uidb64>/<str:token>/", views.activate, name="activate"),
    path("profile/", views.profile_edit, name="profile_edit"),
    path("profile/avatar/", views.avatar_edit, name="avatar"),
    path("u/<str:username>/", views.profile, name="profile"),
]

# Django's own login, logout and password views, un-namespaced as Django expects them.
auth_patterns: list[URLPattern | URLResolver] = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password_reset/",
        views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
        name="password_reset",
    ),
    path("", include("django.contrib.auth.urls")),
]
