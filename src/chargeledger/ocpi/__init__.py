"""Live OCPI 2.2.1, the CPO side: partners register, pull our objects and receive pushes (docs/ocpi.md)."""
