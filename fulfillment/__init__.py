"""Delivery scheduling, shipments (pick, pack, ship, deliver), backorders and returns."""
