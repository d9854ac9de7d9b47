"""OCPI tariffs in storage: versions, assignments to organisation/site/station/EVSE, import/export of exact JSON."""
