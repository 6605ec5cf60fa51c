"""Branded outputs: branding, the PDF executive report, and email summaries."""
