"""Roaming formats, one sibling package each (eviolin, ocpi, oicp, gireve): translations of the one session model.

Each package turns a CDR row (reports.cdr_source) into its format, and where partners send it, reads it back.
"""
