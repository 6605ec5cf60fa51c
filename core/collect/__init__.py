"""Collecting a tenant's configuration: Graph, the Exchange admin API and DNS."""
