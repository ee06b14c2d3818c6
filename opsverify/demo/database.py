"""The demo's SQLite database: users (two admins), products and recent orders, and its SQL dump."""

from __future__ import annotations

import datetime as dt
import os
import random
import sqlite3
from pathlib import Path

TABLES = ("users", "products", "orders")
SCHEMA = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL DEFAULT 'customer', created_at TEXT NOT NULL);
CREATE TABLE products (
    id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, name TEXT NOT NULL, description TEXT NOT NULL,
    price_cents INTEGER NOT NULL, stock INTEGER NOT NULL);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
    product_id INTEGER NOT NULL REFERENCES products(id), qty INTEGER NOT NULL,
    total_cents INTEGER NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX orders_created_at ON orders(created_at);
"""
PRODUCTS = (
    ("Business cards", "350 g matt card, printed both sides, box of 250", 2490),
    ("Flyers A5", "135 g gloss paper, printed both sides, pack of 500", 3900),
    ("Posters A2", "170 g satin paper, vivid colours, pack of 10", 4550),
    ("Roll-up banner", "85 x 200 cm with aluminium stand and carry bag", 8900),
    ("Stickers", "die-cut vinyl stickers, weatherproof, sheet of 48", 1790),
    ("Letterheads", "100 g uncoated paper, one side, pack of 500", 5200),
    ("Envelopes C5", "printed envelopes with window, pack of 250", 6100),
    ("Brochures A4", "8 pages, stapled, 150 g silk, pack of 100", 12900),
    ("Greeting cards", "A6 folded, with envelopes, pack of 50", 3450),
    ("Canvas print", "40 x 60 cm on a 2 cm wooden frame", 4990),
    ("Notebooks", "A5 spiral-bound, printed cover, pack of 25", 11200),
    ("Tote bags", "cotton bags with one-colour print, pack of 20", 9600),
)
ADMINS = (("Operations Team", "ops@example.com"), ("Chief Technology Officer", "cto@example.com"))
FIRST = ("Anna", "Bram", "Chloe", "Daan", "Emma", "Finn", "Greta", "Hugo", "Iris", "Jonas")
LAST = ("de Vries", "Jansen", "Bakker", "Visser", "Smit")
ORDERS = 400  # over the last 60 days
NEWEST_ORDER = dt.timedelta(minutes=90)  # so the newest order predates the newest backup (1 h old)
STATUSES = ("paid",) * 46 + ("refunded", "refunded", "failed", "failed")
_STAMP = "%Y-%m-%d %H:%M:%S"


def _stamp(now: dt.datetime, age: dt.timedelta) -> str:
    """The timestamp `age` before now, as the app stores it."""
    return (now - age).strftime(_STAMP)


def _rows(now: dt.datetime) -> dict[str, list[tuple[object, ...]]]:
    """Deterministic rows for every table, dated relative to now (UTC)."""
    rng = random.Random(2026)
    people = [*ADMINS, *((f"{first} {last}", f"{first}.{last.replace(' ', '')}@example.org".lower())
                         for first in FIRST for last in LAST)]
    users = [(i, name, email, "admin" if i <= len(ADMINS) else "customer",
              _stamp(now, dt.timedelta(days=400 - 5 * i))) for i, (name, email) in enumerate(people, 1)]
    products = [(i, f"PRN-{i:03d}", name, text, price, rng.randint(0, 500))
                for i, (name, text, price) in enumerate(PRODUCTS, 1)]
    spread = (NEWEST_ORDER + dt.timedelta(minutes=rng.uniform(0, 60 * 24 * 60)) for _ in range(ORDERS - 1))
    ages = sorted((NEWEST_ORDER, *spread), reverse=True)
    orders = []
    for i, age in enumerate(ages, 1):
        product, qty = rng.randrange(len(PRODUCTS)), rng.randint(1, 10)
        orders.append((i, rng.randint(1, len(users)), product + 1, qty, qty * PRODUCTS[product][2],
                       rng.choice(STATUSES), _stamp(now, age)))
    return {"users": users, "products": products, "orders": orders}


def build(now: dt.datetime) -> sqlite3.Connection:
    """A fresh in-memory database with rows dated relative to now."""
    connection = sqlite3.connect(":memory:")
    with connection:
        connection.executescript(SCHEMA)
        for table, rows in _rows(now.astimezone(dt.timezone.utc)).items():
            marks = ", ".join("?" * len(rows[0]))
            connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    return connection


def dump(connection: sqlite3.Connection) -> str:
    """The SQL text of the database, as `sqlite3 app.db .dump` writes it."""
    return "\n".join(connection.iterdump()) + "\n"


def drop_table(connection: sqlite3.Connection, table: str) -> None:
    """Remove one table from the database."""
    with connection:
        connection.execute(f'DROP TABLE "{table}"')


def save(connection: sqlite3.Connection, path: Path) -> None:
    """Write the database to path, atomically replacing what was there."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    target = sqlite3.connect(temporary)
    try:
        connection.backup(target)
    finally:
        target.close()
    os.replace(temporary, path)


def connect_read_only(path: Path, timeout: float = 1.0) -> sqlite3.Connection:
    """A read-only connection to the database file; the app never writes."""
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=timeout)
