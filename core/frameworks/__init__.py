"""CIS Microsoft 365 Foundations and CISA SCuBA: which controls the checks cover.

The mappings are data, one JSON file per framework version in this package (`mappings` loads
them); `coverage` turns a tenant's findings into a per-control scorecard. docs/frameworks.md says
which versions are cited and how to add a mapping.
"""
