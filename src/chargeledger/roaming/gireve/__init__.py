"""Girève (IOP): OCPI 2.2.1 CDRs with Girève's rules."""
