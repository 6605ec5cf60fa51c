"""The local sign-in provider: issues Entra-shaped v2 access tokens for demo users."""
