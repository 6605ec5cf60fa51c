"""The PDF executive report: what it shows (model), how it is drawn (pdf, layout, charts, fonts,
colour, logo) and where it is kept (service)."""
