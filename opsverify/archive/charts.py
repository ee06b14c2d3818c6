"""Inline SVG charts for the archive's index page: no script, no external file, readable when printed."""

from __future__ import annotations

import datetime as dt
from html import escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 40
_AXIS = "stroke:#888;stroke-width:1"
_TEXT = "font:11px sans-serif;fill:#333"


def _frame(title: str, body: str, width: int = WIDTH) -> str:
    """The SVG element with a title, a plot area and its content."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" '
            f'viewBox="0 0 {width} {HEIGHT}" role="img" aria-label="{escape(title)}">'
            f'<title>{escape(title)}</title>'
            f'<text x="{LEFT}" y="16" style="font:bold 12px sans-serif;fill:#222">{escape(title)}</text>'
            f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" style="{_AXIS}"/>'
            f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{width - RIGHT}" y2="{HEIGHT - BOTTOM}" style="{_AXIS}"/>'
            f"{body}</svg>")


def _y(value: float, low: float, high: float) -> float:
    """The vertical position of a value between low (bottom) and high (top)."""
    span = (high - low) or 1.0
    return round(HEIGHT - BOTTOM - (value - low) / span * (HEIGHT - TOP - BOTTOM), 1)


def bars(title: str, points: list[tuple[str, float]]) -> str:
    """A bar per label (a month) of a share between 0 and 1, labelled with its percentage."""
    step = 44
    width = max(WIDTH // 2, LEFT + RIGHT + step * len(points))
    body = [f'<text x="{LEFT - 6}" y="{_y(1, 0, 1) + 4}" text-anchor="end" style="{_TEXT}">100%</text>',
            f'<text x="{LEFT - 6}" y="{_y(0.5, 0, 1) + 4}" text-anchor="end" style="{_TEXT}">50%</text>',
            f'<text x="{LEFT - 6}" y="{_y(0, 0, 1) + 4}" text-anchor="end" style="{_TEXT}">0%</text>']
    for n, (label, share) in enumerate(points):
        x, top = LEFT + 8 + n * step, _y(share, 0, 1)
        colour = "#1a7f37" if share >= 0.999 else "#bf8700" if share >= 0.9 else "#cf222e"
        body.append(f'<rect x="{x}" y="{top}" width="{step - 14}" height="{round(HEIGHT - BOTTOM - top, 1)}" '
                    f'style="fill:{colour}"><title>{escape(label)}: {share * 100:.1f}%</title></rect>'
                    f'<text x="{x + (step - 14) / 2}" y="{top - 3}" text-anchor="middle" style="{_TEXT}">'
                    f'{share * 100:.0f}%</text>'
                    f'<text x="{x + (step - 14) / 2}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" '
                    f'style="{_TEXT}">{escape(label)}</text>')
    return _frame(title, "".join(body), width)


def line(title: str, points: list[tuple[dt.datetime, float]], unit: str = "") -> str:
    """Measured values over time: a line through every run's value, the axes labelled with the range."""
    points = sorted(points)
    low, high = min(v for _, v in points), max(v for _, v in points)
    if low == high:
        low, high = low - (abs(low) or 1) * 0.1, high + (abs(high) or 1) * 0.1
    start, end = points[0][0], points[-1][0]
    span = (end - start).total_seconds() or 1.0

    def x(at: dt.datetime) -> float:
        """The horizontal position of a moment."""
        return round(LEFT + 8 + (at - start).total_seconds() / span * (WIDTH - LEFT - RIGHT - 16), 1)

    path = " ".join(f"{x(at)},{_y(v, low, high)}" for at, v in points)
    dots = "".join(f'<circle cx="{x(at)}" cy="{_y(v, low, high)}" r="3" style="fill:#0969da">'
                   f"<title>{at:%Y-%m-%d %H:%M}Z: {_num(v)} {escape(unit)}</title></circle>" for at, v in points)
    body = (f'<text x="{LEFT - 6}" y="{_y(high, low, high) + 4}" text-anchor="end" style="{_TEXT}">'
            f"{_num(high)}</text>"
            f'<text x="{LEFT - 6}" y="{_y(low, low, high) + 4}" text-anchor="end" style="{_TEXT}">{_num(low)}</text>'
            f'<text x="{LEFT - 6}" y="{TOP - 4}" text-anchor="end" style="{_TEXT}">{escape(unit)}</text>'
            f'<text x="{LEFT + 8}" y="{HEIGHT - BOTTOM + 14}" style="{_TEXT}">{start:%Y-%m-%d}</text>'
            f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - BOTTOM + 14}" text-anchor="end" style="{_TEXT}">'
            f"{end:%Y-%m-%d}</text>"
            f'<polyline points="{path}" style="fill:none;stroke:#0969da;stroke-width:2"/>{dots}')
    return _frame(title, body)


def _num(value: float) -> str:
    """A value with as many digits as it needs."""
    return f"{value:.4g}"
