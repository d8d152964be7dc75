"""Blueprints by audience: auth, main (staff dashboard), admin."""
