"""Neutral infrastructure every app may use (API errors, parsers, pagination, conditional
requests, throttles, request middleware); it imports none of accounts, forum or moderation."""
