"""What the demo's security breaks serve: weakened headers and cookies, a leaked .env, a debug page (fake secrets only)."""

from __future__ import annotations

from html import escape

WEAKENED = ("Strict-Transport-Security", "Content-Security-Policy")  # what `missing-headers` drops
DOTENV = b"""APP_NAME="Demo Print Shop"
APP_ENV=production
APP_KEY=base64:ZGVtby1vbmx5LW5vdC1hLXJlYWwta2V5LTAwMDA=
APP_DEBUG=true
LOG_CHANNEL=stack
LOG_LEVEL=warning
DB_CONNECTION=sqlite
DB_PASSWORD=demo-only-not-a-secret
MAIL_PASSWORD=demo-only-not-a-secret
"""

Header = tuple[str, str]


def weakened(headers: tuple[Header, ...]) -> tuple[Header, ...]:
    """The security headers without HSTS and CSP."""
    return tuple(h for h in headers if h[0] not in WEAKENED)


def plain_cookies(headers: tuple[Header, ...]) -> tuple[Header, ...]:
    """Set-Cookie lines without their Secure, HttpOnly and SameSite attributes."""
    return tuple((name, "; ".join(part for part in value.split("; ")
                                  if part not in ("Secure", "HttpOnly") and not part.startswith("SameSite=")))
                 if name == "Set-Cookie" else (name, value) for name, value in headers)


def debug_page(path: str) -> str:
    """A Werkzeug-style debugger page with a traceback, as a Flask app in debug mode shows for a 404."""
    shown = escape(path)
    return f"""<!doctype html>
<html lang=en><head><title>werkzeug.exceptions.NotFound: 404 Not Found // Werkzeug Debugger</title></head>
<body style="background-color: #fff"><div class="debugger">
<h1>werkzeug.exceptions.NotFound</h1>
<div class="detail"><p class="errormsg">werkzeug.exceptions.NotFound: 404 Not Found: {shown}</p></div>
<h2 class="traceback">Traceback <em>(most recent call last)</em></h2>
<div class="traceback"><pre>File &quot;/srv/shop/venv/lib/python3.11/site-packages/flask/app.py&quot;, line 1484, in full_dispatch_request
File &quot;/srv/shop/shop/views.py&quot;, line 88, in page
    abort(404)</pre></div>
<div class="footer">Brought to you by <strong class="arthur">DON'T PANIC</strong>, your friendly Werkzeug powered
traceback interpreter.</div></div></body></html>
"""
