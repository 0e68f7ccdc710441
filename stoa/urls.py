"""Every URL of Stoa: each app's own URLs, composed here so no app includes another's."""

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.urls import auth_patterns
from core.api.exceptions import not_found

v1_patterns: list[URLPattern | URLResolver] = [
    path("", include("forum.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("moderation.api.urls")),
    path("", include("integrations.api.urls")),
]

api_patterns: list[URLPattern | URLResolver] = [
    path("v1/", include((v1_patterns, "api"), namespace="api")),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script, so the
    # page works under the site's CSP (script-src 'self').
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    re_path(r"^", not_found),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("forum.urls")),
    path("", include("moderation.urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include(auth_patterns)),
    path("api/", include(api_patterns)),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
