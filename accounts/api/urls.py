from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/token/", views.TokenCreateView.as_view(), name="token"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="token_refresh"),
    path("auth/signup/", views.SignupView.as_view(), name="signup"),
    path("auth/activate/", views.ActivationView.as_view(), name="activate"),
    path("auth/activate/resend/", views.ActivationResendView.as_view(), name="activation_resend"),
    path("auth/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "auth/password-reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("me/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("auth/tokens/", views.TokenListView.as_view(), name="tokens"),
    path("auth/tokens/<str:key>/", views.TokenDetailView.as_view(), name="token_detail"),
    path("me/", views.MeView.as_view(), name="me"),
    path("me/avatar/", views.AvatarView.as_view(), name="avatar"),
    path("users/<str:username>/", views.ProfileView.as_view(), name="profile"),
]
