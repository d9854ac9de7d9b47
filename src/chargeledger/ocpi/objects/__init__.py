"""OCPI 2.2.1 objects of the modules we serve and receive, one module of the spec per
file, field by field from the spec's tables.

Cardinality `1` is a required field, `?` optional (None, left out on the wire), `*`/`+` lists. Lengths follow the
CiString(n)/string(n) of each row. Every object we serve or push goes through these models first.
"""
