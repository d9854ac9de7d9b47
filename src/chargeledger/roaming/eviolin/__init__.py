"""eViolin CSV, the Dutch CDR exchange format: write per-eMSP files, read partner files back."""
