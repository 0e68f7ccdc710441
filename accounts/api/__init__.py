"""API of accounts: tokens for mobile apps, profiles, the viewer's own account."""
