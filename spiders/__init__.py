"""The news spider and its discovery helpers."""
