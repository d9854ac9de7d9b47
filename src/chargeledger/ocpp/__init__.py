"""The OCPP 1.6J and 2.0.1 central system: chargers connect here and their messages become ledger facts."""
