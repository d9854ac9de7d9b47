"""OCPP 1.6J: what a charger sends us and what we answer."""
