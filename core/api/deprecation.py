"""Marking an API operation deprecated, as the README's versioning policy promises: its
answers carry `Deprecation` (RFC 9745: when it was deprecated), `Sunset` (RFC 8594: when it
stops working) and a `Link` to what replaces it, and the schema marks it `deprecated`, so
generated clients warn at build time and apps can log the headers at run time.

    @deprecated(since=date(2026, 12, 1), sunset=date(2027, 6, 1), link="/api/v1/new/")
    class OldView(APIView): ...
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from django.utils.http import http_date
from drf_spectacular.utils import extend_schema

# The policy's shortest notice: a deprecated operation keeps working at least this long.
MINIMUM_NOTICE_DAYS = 180


@dataclass(frozen=True)
class Deprecation:
    since: date
    sunset: date
    link: str | None = None

    def headers(self) -> dict[str, str]:
        # Midnight UTC of each day, in seconds since the epoch.
        headers = {
            "Deprecation": f"@{calendar.timegm(self.since.timetuple())}",
            "Sunset": http_date(calendar.timegm(self.sunset.timetuple())),
        }
        if self.link:
            headers["Link"] = f'<{self.link}>; rel="deprecation"'
        return headers


def deprecated(*, since: date, sunset: date, link: str | None = None):
    """Class decorator for an API view: every answer (errors too) carries the deprecation
    headers, and the schema marks the view's operations deprecated. A sunset sooner than
    MINIMUM_NOTICE_DAYS after `since` is refused: the policy's notice is a promise."""
    if (sunset - since).days < MINIMUM_NOTICE_DAYS:
        raise ValueError(f"A sunset needs at least {MINIMUM_NOTICE_DAYS} days' notice.")
    notice = Deprecation(since=since, sunset=sunset, link=link)

    def decorate(view_class):
        original = view_class.finalize_response

        def finalize_response(self, request, response, *args, **kwargs):
            response = original(self, request, response, *args, **kwargs)
            for name, value in notice.headers().items():
                response[name] = value
            return response

        view_class.finalize_response = finalize_response
        view_class.deprecation = notice
        description = (
            f"Deprecated since {since.isoformat()}; stops working on {sunset.isoformat()}."
        )
        if link:
            description += f" Use {link} instead."
        return extend_schema(deprecated=True, description=description)(view_class)

    return decorate
