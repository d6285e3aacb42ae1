"""Every non-trivial read of this app."""
