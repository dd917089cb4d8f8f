"""Geometry of the server-rendered SVG charts (templates draw it; no script, no inline style)."""

from __future__ import annotations

import datetime as dt
import math

# Chart canvas in SVG user units; the CSS scales the drawing to the column width.
BAR_WIDTH = 640
BAR_HEIGHT = 150
DUE_WIDTH = 640
DUE_HEIGHT = 220
MARGIN_LEFT = 36
MARGIN_RIGHT = 12
MARGIN_TOP = 12
MARGIN_BOTTOM = 30
# Room above the highest point of the due-date chart for its label.
DUE_MARGIN_TOP = 26
# At most this many axis labels, so they never overlap.
MAX_LABELS = 12
BAR_FILL = 0.8
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_month(month: str | None) -> str:
    """Return "Oct 2017" for "2017-10"."""
    if not month or len(month) != 7 or not month[5:].isdigit():
        return month or "?"
    return f"{MONTH_ABBR[int(month[5:]) - 1]} {month[:4]}"


def bar_chart(bars: list[dict]) -> dict:
    """Lay out bars ({month, label, count, url, selected}) oldest to newest."""
    n = len(bars)
    plot_w = BAR_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = BAR_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    top = max((b["count"] for b in bars), default=0) or 1
    slot = plot_w / max(n, 1)
    every = math.ceil(n / MAX_LABELS) if n else 1
    out = []
    for i, bar in enumerate(bars):
        h = plot_h * bar["count"] / top
        x = MARGIN_LEFT + i * slot + slot * (1 - BAR_FILL) / 2
        out.append(
            {
                **bar,
                "x": round(x, 1),
                "y": round(MARGIN_TOP + plot_h - h, 1),
                "width": round(slot * BAR_FILL, 1),
                "height": round(h, 1),
                "text_x": round(MARGIN_LEFT + (i + 0.5) * slot, 1),
                "tick": short_month(bar["month"]) if i % every == 0 else "",
            }
        )
    return {
        "width": BAR_WIDTH,
        "height": BAR_HEIGHT,
        "bars": out,
        "max": top,
        "axis_y": MARGIN_TOP + plot_h,
        "label_y": MARGIN_TOP + plot_h + 18,
        "left": MARGIN_LEFT,
        "right": BAR_WIDTH - MARGIN_RIGHT,
        "top": MARGIN_TOP,
    }


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def due_chart(entries: list[dict]) -> dict:
    """Lay out a milestone's due date (y) in each report that listed it (x), slips marked."""
    dated = [(e, _day(e["due"])) for e in entries]
    days = [d for _, d in dated if d]
    plot_w = DUE_WIDTH - MARGIN_LEFT * 3 - MARGIN_RIGHT
    plot_h = DUE_HEIGHT - DUE_MARGIN_TOP - MARGIN_BOTTOM
    left = MARGIN_LEFT * 3
    low = min(days, default=None)
    high = max(days, default=None)
    span = (high - low).days if low and high else 0
    slot = plot_w / max(len(entries), 1)
    every = math.ceil(len(entries) / MAX_LABELS) if entries else 1
    points = []
    for i, (entry, day) in enumerate(dated):
        x = left + (i + 0.5) * slot
        y = None
        if day is not None:
            frac = (day - low).days / span if span else 0.5
            y = DUE_MARGIN_TOP + plot_h * (1 - frac)
        changed = day is not None and (i == 0 or entry["slipped"] or i == len(dated) - 1)
        points.append(
            {
                "x": round(x, 1),
                "y": round(y, 1) if y is not None else None,
                # Label the first and last due dates and every slip, above the point.
                "label": changed,
                "label_y": round(y - 10, 1) if y is not None else None,
                "due": entry["due"],
                "month": entry["month"],
                "slipped": entry["slipped"],
                "tick": short_month(entry["month"]) if i % every == 0 else "",
            }
        )
    line = " ".join(f"{p['x']},{p['y']}" for p in points if p["y"] is not None)
    return {
        "width": DUE_WIDTH,
        "height": DUE_HEIGHT,
        "points": points,
        "line": line,
        "left": left,
        "right": DUE_WIDTH - MARGIN_RIGHT,
        "top": DUE_MARGIN_TOP,
        "axis_y": DUE_MARGIN_TOP + plot_h,
        "label_y": DUE_MARGIN_TOP + plot_h + 18,
        "high": high.isoformat() if high else None,
        "low": low.isoformat() if low and span else None,
        "high_y": DUE_MARGIN_TOP if span else DUE_MARGIN_TOP + plot_h / 2,
        "low_y": DUE_MARGIN_TOP + plot_h,
    }
