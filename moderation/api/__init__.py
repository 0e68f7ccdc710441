"""API of moderation: reports from members, the review queue and decisions for moderators."""
