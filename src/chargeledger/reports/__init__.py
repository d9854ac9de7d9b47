"""Reports and CDR exports: each declared once as data (catalogue/), written by format-neutral writers (writers/)."""
