"""The demo's log files: a Laravel-style app.log and the backup job's backup.log, dated relative to now."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from pathlib import Path

from opsverify.demo.backups import Backup

APP_LOG_SPAN = dt.timedelta(days=4)
ERROR_AGES_H = (2.5, 9, 17, 29, 41, 55, 70, 88)  # a handful of errors: three in the last 24 h
SPIKE_ERRORS = 40  # error-spike: this many in the last hour
INFO = (
    'Order placed {{"order_id":{a},"user_id":{b}}}',
    'User signed in {{"user_id":{b}}}',
    'Quote requested {{"product_id":{c},"qty":{b}}}',
    'Proof PDF generated {{"order_id":{a},"pages":{c}}}',
    'Payment captured {{"order_id":{a},"provider":"stripe"}}',
    'Job processed {{"job":"App\\\\Jobs\\\\SendOrderConfirmation","order_id":{a}}}',
    'Cache cleared {{"tag":"products"}}',
)
WARNING = (
    'Slow query {{"ms":{a},"sql":"select * from `orders` where `user_id` = ?"}}',
    'Login throttled {{"ip":"203.0.113.{c}","attempts":5}}',
)
ERRORS = (
    "cURL error 28: Operation timed out after 30001 milliseconds (payment provider)",
    "Unable to render proof for order {a}: ghostscript exited with code 1",
    "Mail transport failed: connection to smtp.example.com:587 timed out",
)
SPIKE = "SQLSTATE[HY000] [2002] Connection refused (SQL: select * from `products`)"
TRACE = (
    ' {{"exception":"[object] (RuntimeException(code: 0): {message}'
    ' at /var/www/app/app/Services/Orders.php:88)',
    "[stacktrace]",
    "#0 /var/www/app/vendor/laravel/framework/src/Illuminate/Pipeline/Pipeline.php(180):"
    " App\\Services\\Orders->handle()",
    "#1 {{main}}",
    '"}}',
)


def _line(at: dt.datetime, level: str, message: str) -> str:
    """One Laravel log entry (an ERROR carries its stack trace on the following lines)."""
    head = f"[{at:%Y-%m-%d %H:%M:%S}] production.{level}: {message}"
    if level != "ERROR":
        return head
    first, *rest = (part.format(message=message) for part in TRACE)
    return "\n".join((head + first, *rest))


def _entries(now: dt.datetime, spike: bool) -> Iterable[tuple[dt.datetime, str]]:
    """The app's log entries over the last few days, unsorted."""
    rng = random.Random(7)
    at = now - APP_LOG_SPAN
    while at < now:
        roll = rng.random()  # one draw sets the level, the message and its numbers
        level, pool = ("WARNING", WARNING) if roll < 0.02 else ("INFO", INFO)
        numbers = {"a": 1000 + int(roll * 8999), "b": 1 + int(roll * 3571) % 60,
                   "c": 1 + int(roll * 997) % 12}
        yield at, _line(at, level, pool[int(roll * 7919) % len(pool)].format(**numbers))
        at += dt.timedelta(seconds=30 + 270 * rng.random())
    for index, hours in enumerate(ERROR_AGES_H):
        at = now - dt.timedelta(hours=hours)
        yield at, _line(at, "ERROR", ERRORS[index % len(ERRORS)].format(a=4000 + index))
    for index in range(SPIKE_ERRORS if spike else 0):
        at = now - dt.timedelta(seconds=85 * (index + 1))
        yield at, _line(at, "ERROR", SPIKE)


def write_app_log(path: Path, now: dt.datetime, spike: bool = False) -> None:
    """Replace app.log with entries ending at now (plus an error spike in the last hour if asked)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = sorted(_entries(now, spike), key=lambda entry: entry[0])
    path.write_text("".join(text + "\n" for _, text in entries))


def write_backup_log(path: Path, backups: Iterable[Backup]) -> None:
    """Replace backup.log with a started and a completed line for every backup, oldest first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for backup in sorted(backups, key=lambda b: b.finished):
        started = backup.finished - dt.timedelta(seconds=3)
        lines += [f"[{started:%Y-%m-%d %H:%M:%S}] backup started: {backup.path.name}",
                  f"[{backup.finished:%Y-%m-%d %H:%M:%S}] backup completed: {backup.path.name} "
                  f"({backup.size} bytes, sha256 {backup.sha256[:12]})"]
    path.write_text("".join(line + "\n" for line in lines))
