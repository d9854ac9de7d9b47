"""OCPP 2.0.1: what a charging station sends us and what we answer."""
