"""Versioned REST API of the forum for mobile clients (/api/v1/)."""
