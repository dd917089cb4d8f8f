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
# At most this many axis labels, and never closer than a label's width, so they never overlap.
MAX_LABELS = 12
TICK_WIDTH = 58  # "Sep 2017" at 11px, with a gap
DUE_LABEL_WIDTH = 70  # "2017-05-31" at 11px, with a gap
DUE_LABEL_HEIGHT = 14
BAR_FILL = 0.8
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_month(month: str | None) -> str:
    """Return "Oct 2017" for "2017-10"."""
    if not month or len(month) != 7 or not month[5:].isdigit():
        return month or "?"
    return f"{MONTH_ABBR[int(month[5:]) - 1]} {month[:4]}"


def tick_every(count: int, slot: float) -> int:
    """Return n so that labelling every n-th of count slots (slot units wide) never overlaps."""
    if not count:
        return 1
    return max(math.ceil(count / MAX_LABELS), math.ceil(TICK_WIDTH / slot) if slot else 1)


def bar_chart(bars: list[dict]) -> dict:
    """Lay out bars ({month, label, count, url, selected}) oldest to newest."""
    n = len(bars)
    plot_w = BAR_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = BAR_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    top = max((b["count"] for b in bars), default=0) or 1
    slot = plot_w / max(n, 1)
    every = tick_every(n, slot)
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
    """Lay out a milestone's due date (y) in each report that listed it (x), changes marked.

    Each point carries its change ("slipped", "pulled in", "unchanged") and a
    marker shape (a triangle up for a slip, down for a pull-in, else a dot).
    The first and last due dates and every change are labelled, as long as a
    label does not overlap one already placed (changes placed first).
    """
    dated = [(e, _day(e["due"])) for e in entries]
    days = [d for _, d in dated if d]
    plot_w = DUE_WIDTH - MARGIN_LEFT * 3 - MARGIN_RIGHT
    plot_h = DUE_HEIGHT - DUE_MARGIN_TOP - MARGIN_BOTTOM
    left = MARGIN_LEFT * 3
    low = min(days, default=None)
    high = max(days, default=None)
    span = (high - low).days if low and high else 0
    slot = plot_w / max(len(entries), 1)
    every = tick_every(len(entries), slot)
    points = []
    for i, (entry, day) in enumerate(dated):
        x = left + (i + 0.5) * slot
        y = None
        if day is not None:
            frac = (day - low).days / span if span else 0.5
            y = DUE_MARGIN_TOP + plot_h * (1 - frac)
        change = entry.get("change") or ("slipped" if entry["slipped"] else "unchanged")
        points.append(
            {
                "x": round(x, 1),
                "y": round(y, 1) if y is not None else None,
                "label": False,
                "label_y": round(y - 10, 1) if y is not None else None,
                "due": entry["due"],
                "month": entry["month"],
                "slipped": change == "slipped",
                "change": change,
                "marker": _marker(change, x, y) if y is not None else "",
                "tick": short_month(entry["month"]) if i % every == 0 else "",
            }
        )
    _place_due_labels(points)
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


def _marker(change: str, x: float, y: float) -> str:
    # Shape as well as colour tells a slip (up) from a pull-in (down).
    if change == "slipped":
        pts = ((x, y - 7), (x - 7, y + 5), (x + 7, y + 5))
    elif change == "pulled in":
        pts = ((x, y + 7), (x - 7, y - 5), (x + 7, y - 5))
    else:
        return ""
    return " ".join(f"{round(px, 1)},{round(py, 1)}" for px, py in pts)


def _place_due_labels(points: list[dict]) -> None:
    dated = [i for i, p in enumerate(points) if p["y"] is not None]
    if not dated:
        return
    changed = [i for i in dated if points[i]["change"] != "unchanged"]
    order = list(dict.fromkeys([*changed, dated[-1], dated[0]]))
    placed: list[tuple[float, float]] = []
    for i in order:
        p = points[i]
        box = (p["x"], p["label_y"])
        if all(
            abs(box[0] - x) >= DUE_LABEL_WIDTH or abs(box[1] - y) >= DUE_LABEL_HEIGHT
            for x, y in placed
        ):
            p["label"] = True
            placed.append(box)
