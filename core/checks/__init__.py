"""The check catalogue: metadata plus a pure evaluation function per check."""
