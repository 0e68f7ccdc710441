from django.contrib.auth.hashers import PBKDF2PasswordHasher


class ModeratePBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's hasher at a test-friendly cost: slow enough (tens of ms) that a branch
    skipping it stands out, fast enough for the suite."""

    iterations = 60_000
