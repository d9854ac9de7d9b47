"""OCPI 2.2.1 tariffs and pricing: a pure package (no I/O), money in Decimal.

    tariff = Tariff.from_json(text)                    # validated, TariffError lists (field_path, reason)
    priced = price_cdr(tariff, cdr_dict, "Europe/Amsterdam")
    priced = price_usage(compile_tariff(tariff), usage, "Europe/Amsterdam")
    priced.totals.to_ocpi()                            # OCPI CDR total fields, 4 decimals
    charging_periods_to_ocpi(priced, tariff_id)        # OCPI CDR charging_periods that re-price to those totals
"""

from chargeledger.pricing.cdr_periods import charging_periods_to_ocpi
from chargeledger.pricing.compiled import CompiledTariff, compile_tariff
from chargeledger.pricing.engine import price_cdr, price_usage
from chargeledger.pricing.errors import CdrError, TariffError, UsageError
from chargeledger.pricing.result import CdrTotals, Money, PricedLine, PricedPeriod, PricedSession
from chargeledger.pricing.tariff import Price, PriceComponent, Tariff, TariffElement, TariffRestrictions
from chargeledger.pricing.usage import Reservation, Usage, UsagePoint

__all__ = [
    "CdrError", "CdrTotals", "CompiledTariff", "Money", "Price", "PriceComponent", "PricedLine", "PricedPeriod",
    "PricedSession", "Reservation", "Tariff", "TariffElement", "TariffError", "TariffRestrictions", "Usage",
    "UsageError", "UsagePoint", "charging_periods_to_ocpi", "compile_tariff", "price_cdr", "price_usage",
]
