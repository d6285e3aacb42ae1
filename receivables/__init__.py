"""Payments and allocation, bank statements, aging, reminders, disputes and credit holds."""
