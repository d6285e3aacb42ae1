"""Admin registrations of this app's models."""
