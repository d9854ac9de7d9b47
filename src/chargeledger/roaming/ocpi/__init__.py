"""OCPI 2.2.1 CDR objects: our sessions as CDRs (with credit CDRs for re-pricing), partner CDRs read back."""
