"""Read models: queries the pages, API and reports share. They read projections, never recompute money."""
