"""The forum's pages (the project's URLs are composed in stoa/urls.py)."""

from django.urls import path

from forum import views

app_name = "forum"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notification_read, name="notifications_read"),
    path("bookmarks/", views.bookmark_list, name="bookmarks"),
    path("following/", views.following, name="following"),
    path("blocked/", views.blocked_list, name="blocked"),
    path("members/<str:username>/block/", views.member_block, name="member_block"),
    path("c/<slug:slug>/", views.category_detail, name="category"),
    path("c/<slug:slug>/new/", views.thread_create, name="thread_create"),
    path("t/<int:pk>/", views.thread_detail, name="thread_short"),
    path("t/<int:pk>/reply/", views.post_reply, name="reply"),
    path("t/<int:pk>/subscription/", views.thread_subscription, name="thread_subscription"),
    path("t/<int:pk>/rename/", views.thread_rename, name="thread_rename"),
    path("t/<int:pk>/lock/", views.thread_lock, name="thread_lock"),
    path("t/<int:pk>/pin/", views.thread_pin, name="thread_pin"),
    path("t/<int:pk>/move/", views.thread_move, name="thread_move"),
    path("t/<int:pk>/bookmark/", views.thread_bookmark, name="thread_bookmark"),
    path("t/<int:pk>/unread/", views.thread_unread, name="thread_unread"),
    path("t/<int:pk>/<slug:slug>/", views.thread_detail, name="thread"),
    path("p/<int:pk>/", views.post_detail, name="post"),
    path("p/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("p/<int:pk>/delete/", views.post_delete, name="post_delete"),
    path("p/<int:pk>/undelete/", views.post_undelete, name="post_undelete"),
    path("p/<int:pk>/hide/", views.post_hide, name="post_hide"),
    path("p/<int:pk>/restore/", views.post_restore, name="post_restore"),
    path("p/<int:pk>/react/", views.post_react, name="post_react"),
    path("p/<int:pk>/bookmark/", views.post_bookmark, name="post_bookmark"),
    path("p/<int:pk>/history/", views.post_history, name="post_history"),
]
