"""Hubject OICP 2.3 ChargeDetailRecord: the CDR as Hubject receives it (no prices: OICP carries none)."""
