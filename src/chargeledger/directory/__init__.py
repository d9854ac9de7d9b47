"""The operator's network in storage: organisations, sites, stations with EVSEs and connectors, drivers, tokens."""
