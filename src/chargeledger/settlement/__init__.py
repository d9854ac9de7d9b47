"""Settlement: what a priced session means in money for the driver, the team and the operator.

Pure parts: profile (billing profile JSON), lines, compute.settle, breakdown, electricity, currency.
Storage parts: store (settle_session, reprice, settlements_of), rates (exchange rates, hourly prices),
subscribers (freeze the tariff at start, settle on SETTLED).
"""
