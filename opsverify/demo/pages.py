"""The demo shop's HTML pages and stylesheet (no inline scripts or styles, so the CSP stays strict)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from html import escape

SHOP = "Demo Print Shop"
STYLESHEET = b"""body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1f2933;background:#f5f7fa}
header,main,footer{max-width:52rem;margin:0 auto;padding:1rem 1.5rem}
header{display:flex;justify-content:space-between;align-items:center}
a{color:#0b6bcb}table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.5rem;border-bottom:1px solid #e4e7eb}footer{color:#7b8794;font-size:.85rem}
"""


def _layout(title: str, body: str) -> str:
    """A whole HTML page around body."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} · {SHOP}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/app.css"></head>
<body><header><a href="/"><strong>{SHOP}</strong></a>
<nav><a href="/products">Products</a> · <a href="/login">Sign in</a></nav></header>
<main>{body}</main>
<footer>The built-in target of opsverify: a real app on your machine, broken on request.</footer>
</body></html>
"""


def _price(cents: int) -> str:
    """A price in euros."""
    return f"€{cents / 100:.2f}"


def home(product_count: int) -> str:
    """The home page."""
    return _layout("Welcome", f"""<h1>Welcome to the {SHOP}</h1>
<p>Business cards, flyers and posters, printed overnight. {product_count} products in the catalogue.</p>
<p><a href="/products">Browse the catalogue</a></p>""")


def product_list(rows: Iterable[sqlite3.Row]) -> str:
    """The catalogue as a table."""
    lines = "".join(f'<tr><td><a href="/products/{row["id"]}">{escape(row["name"])}</a></td>'
                    f'<td>{escape(row["sku"])}</td><td>{_price(row["price_cents"])}</td></tr>\n'
                    for row in rows)
    return _layout("Products", f"""<h1>Products</h1>
<table><thead><tr><th>Product</th><th>SKU</th><th>Price</th></tr></thead>
<tbody>
{lines}</tbody></table>""")


def product(row: sqlite3.Row) -> str:
    """One product."""
    stock = "in stock" if row["stock"] else "out of stock"
    return _layout(row["name"], f"""<h1>{escape(row["name"])}</h1>
<p>{escape(row["description"])}</p>
<p><strong>{_price(row["price_cents"])}</strong> · {stock} · SKU {escape(row["sku"])}</p>""")


def login(message: str = "") -> str:
    """The sign-in form (the demo knows e-mail addresses only, no passwords)."""
    note = f'<p role="alert">{escape(message)}</p>' if message else ""
    return _layout("Sign in", f"""<h1>Sign in</h1>{note}
<form method="post" action="/login"><label>E-mail <input type="email" name="email" required></label>
<button type="submit">Sign in</button></form>""")


def error(status: int, reason: str) -> str:
    """A plain error page: the status and its reason, nothing about the app's internals."""
    return _layout(f"{status} {reason}",
                   f'<h1>{status} {escape(reason)}</h1>\n<p><a href="/">Back to the shop</a></p>')
