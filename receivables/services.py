"""Every write of this app: <entity>_<verb>(*, ..., actor), atomic, locked, audited."""
