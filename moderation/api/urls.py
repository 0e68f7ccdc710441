from django.urls import path

from moderation.api import views

urlpatterns = [
    path("posts/<int:pk>/report/", views.PostReportView.as_view(), name="post_report"),
    path("posts/<int:pk>/hide/", views.PostHideView.as_view(), name="post_hide"),
    path("posts/<int:pk>/restore/", views.PostRestoreView.as_view(), name="post_restore"),
    path("posts/<int:pk>/notices/", views.PostNoticeView.as_view(), name="post_notice"),
    path(
        "moderation/notices/<int:pk>/remove/",
        views.NoticeRemoveView.as_view(),
        name="notice_remove",
    ),
    path("moderation/reports/", views.ReportListView.as_view(), name="reports"),
    path("moderation/queue/", views.QueueView.as_view(), name="queue"),
    path("moderation/queue/<int:pk>/confirm/", views.ReviewConfirmView.as_view(), name="confirm"),
    path("moderation/queue/<int:pk>/dismiss/", views.ReviewDismissView.as_view(), name="dismiss"),
    path(
        "moderation/queue/<int:pk>/severity/", views.ReviewSeverityView.as_view(), name="severity"
    ),
    path("moderation/queue/<int:pk>/undo/", views.ReviewUndoView.as_view(), name="undo"),
    path(
        "moderation/queue/<int:pk>/reports/",
        views.ReviewReportsView.as_view(),
        name="resolve_reports",
    ),
    path(
        "moderation/members/<str:username>/sanctions/",
        views.MemberSanctionsView.as_view(),
        name="member_sanctions",
    ),
    path(
        "moderation/members/<str:username>/lift/",
        views.MemberLiftView.as_view(),
        name="member_lift",
    ),
]
