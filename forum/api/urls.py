"""/api/v1/ and the API's schema and docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from forum.api import views
from forum.api.exceptions import not_found

forum_patterns = [
    path("categories/", views.CategoryListView.as_view(), name="categories"),
    path("threads/", views.ThreadListView.as_view(), name="threads"),
    path("threads/<int:pk>/", views.ThreadDetailView.as_view(), name="thread"),
    path("threads/<int:pk>/posts/", views.ThreadPostsView.as_view(), name="thread_posts"),
    path("threads/<int:pk>/lock/", views.ThreadLockView.as_view(), name="thread_lock"),
    path("threads/<int:pk>/pin/", views.ThreadPinView.as_view(), name="thread_pin"),
    path("threads/<int:pk>/move/", views.ThreadMoveView.as_view(), name="thread_move"),
    path("threads/<int:pk>/read/", views.ThreadReadView.as_view(), name="thread_read"),
    path(
        "threads/<int:pk>/subscription/",
        views.ThreadSubscriptionView.as_view(),
        name="thread_subscription",
    ),
    path("posts/<int:pk>/", views.PostDetailView.as_view(), name="post"),
    path("posts/<int:pk>/revisions/", views.PostRevisionsView.as_view(), name="post_revisions"),
    path("posts/<int:pk>/quote/", views.PostQuoteView.as_view(), name="post_quote"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
    path(
        "notifications/unread-count/",
        views.NotificationUnreadCountView.as_view(),
        name="notifications_unread",
    ),
    path(
        "notifications/read/", views.NotificationMarkReadView.as_view(), name="notifications_read"
    ),
]

v1_patterns = [
    *forum_patterns,
    path("", include("accounts.api.urls")),
    path("", include("moderation.api.urls")),
    path("", include("integrations.api.urls")),
]

urlpatterns = [
    path("v1/", include((v1_patterns, "api"), namespace="api")),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script, so the
    # page works under the site's CSP (script-src 'self').
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    re_path(r"^", not_found),
]
