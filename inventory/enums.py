"""Status TextChoices and their allowed transitions."""
