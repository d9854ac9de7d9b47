"""The column lists exactly as the seed documents name them (seeds 000, 001, 002), to check every file against."""

ROAMING_SESSIONS = [
    "Month", "Network", "CDR ID", "Station ID", "EVSE-ID", "Station name", "Start time", "Stop time", "Energy (Wh)",
    "Meter start", "Meter stop", "Price", "Currency", "Public/Private", "Free usage", "Plug type", "Charge method",
    "Operator", "Provider ID", "Transaction ID", "Duration", "VAT rate", "VAT amount",
]

SESSIONS = ["Name", "Sticker", "Serial", "Initiator", "Identity", "Start", "Plug Duration", "Charge Duration",
            "Energy", "Cost", "Bill Details"]

STATEMENT_HEAD = [
    "Session Date", "Session ID",
    "Site", "Site ID", "Country", "State", "Station ID", "Port ID", "Charging Type", "Connector Type", "Serial Number",
    "Session Start Time", "Session End Time", "Session Duration (hh:mm:ss)", "Session Duration (Min)",
    "Charging Duration (hh:mm:ss)", "Charging Duration (Min)", "Energy Delivered (kWh)", "Activation Method",
    "Completion Status", "Roaming – Party", "Roaming – CDR ID",
    "Payment Method", "Payment Gateway", "Credit Card", "Additional Payment Info", "Discount Plan",
    "Discount Plan Name",
    "Display Currency", "Connection Fee", "Session Fee", "Occupancy Fee", "Mem. Discount", "Code Discount",
    "Subtotal", "Unsettled Amount", "Total Tax", "Payment Total", "Failed Payment Amount", "Failed Payment Reason",
]
STATEMENT_FINANCE = [
    "Payment Gateway Fee", "My Revenue", "EV OS Fee", "Settlement Currency", "Exchange Rate",
    "Payment Gateway Fee (Settlement Currency)", "My Revenue (Settlement Currency)",
    "EV OS Fee (Settlement Currency)", "Net Revenue Recipient (Incl. Tax)", "Net Revenue Received (Incl. Tax)",
    "Total Tax Owed",
]
STATEMENT_TAX_TYPE = ["Taxes Type"]
STATEMENT_TAIL = [
    "Excise Tax",
    "Site ZIP", "Site City", "Site Address", "Time Zone", "Data Verification Date", "Reporting Entity",
    "Station Status", "Station Vendor", "Station Note", "Estimated CO2 Emission Reduction (kgCO₂e)", "Note",
    "Driver Information",
]


def statement(jurisdictions: list[str], finance: bool = True) -> list[str]:
    return [*STATEMENT_HEAD, *(STATEMENT_FINANCE if finance else []), *STATEMENT_TAX_TYPE,
            *[f"Tax – {j}" for j in jurisdictions], *STATEMENT_TAIL]
