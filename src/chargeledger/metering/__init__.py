"""Signed meter data (OCMF): found in a session's OCPP messages, verified with pyocmf, and written out in the form
the German transparency software (S.A.F.E. Transparenzsoftware) reads."""
