"""The receipt PDF: the same price breakdown the session page shows, laid out as an invoice-style page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..web import formatting

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape())
formatting.install(_env)


def receipt_html(page: dict[str, Any]) -> str:
    return _env.get_template("receipt.html").render(**page)


def receipt_pdf(page: dict[str, Any]) -> bytes:
    from weasyprint import HTML  # heavy import: only when a receipt is rendered

    return HTML(string=receipt_html(page)).write_pdf()
