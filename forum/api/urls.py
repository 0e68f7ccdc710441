"""The forum's API under /api/v1/ (composed with the other apps' in stoa/urls.py)."""

from django.urls import path

from forum.api import views

urlpatterns = [
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
    path("posts/<int:pk>/reactions/", views.PostReactionsView.as_view(), name="post_reactions"),
    path(
        "posts/<int:pk>/reactions/<str:kind>/",
        views.PostReactionDetailView.as_view(),
        name="post_reaction",
    ),
    path("me/blocks/", views.BlockListView.as_view(), name="blocks"),
    path("me/blocks/<str:username>/", views.BlockDetailView.as_view(), name="block"),
    path("me/bookmarks/", views.BookmarkListView.as_view(), name="bookmarks"),
    path("me/bookmarks/<int:pk>/", views.BookmarkDetailView.as_view(), name="bookmark"),
    path("me/following/", views.FollowingListView.as_view(), name="following"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("changes/", views.ChangeFeedView.as_view(), name="changes"),
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
