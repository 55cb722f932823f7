# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plain SVG plots with the standard library: grouped bars (with min-max whiskers) and lines.

Pure functions returning the SVG text; every label is XML-escaped.
"""

import math
from xml.sax.saxutils import escape

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f")
FONT = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""


def nice_ticks(low, high, count=5):
    """Round tick values covering low..high (low is usually 0)."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / float(count)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _num(value):
    """Short label: 3 significant digits, k/M for large values."""
    if value == 0:
        return "0"
    if abs(value) >= 1e6:
        return "%.3gM" % (value / 1e6)
    if abs(value) >= 1e4:
        return "%.3gk" % (value / 1e3)
    return "%.3g" % value


class _Canvas:
    def __init__(self, width, height, title):
        self.width = width
        self.height = height
        self.parts = [
            '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img">'
            % (width, height, width, height),
            "<title>%s</title>" % escape(title),
            '<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>' % (width, height),
            '<text x="%d" y="22" text-anchor="middle" font-size="15" font-weight="bold" %s>%s</text>'
            % (width // 2, FONT, escape(title)),
        ]

    def text(self, x, y, value, size=11, anchor="middle", color="#333333", rotate=None, weight="normal"):
        transform = ' transform="rotate(%d %.1f %.1f)"' % (rotate, x, y) if rotate else ""
        self.parts.append('<text x="%.1f" y="%.1f" text-anchor="%s" font-size="%d" fill="%s" font-weight="%s"%s %s>'
                          '%s</text>' % (x, y, anchor, size, color, weight, transform, FONT, escape(str(value))))

    def line(self, x1, y1, x2, y2, color="#999999", width=1, dash=None):
        extra = ' stroke-dasharray="%s"' % dash if dash else ""
        self.parts.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%s"%s/>'
                          % (x1, y1, x2, y2, color, width, extra))

    def rect(self, x, y, w, h, color, tooltip=None):
        title = "<title>%s</title>" % escape(tooltip) if tooltip else ""
        self.parts.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s">%s</rect>'
                          % (x, y, max(w, 0.0), max(h, 0.0), color, title))

    def polyline(self, points, color, dash=None, width=2):
        extra = ' stroke-dasharray="%s"' % dash if dash else ""
        self.parts.append('<polyline fill="none" stroke="%s" stroke-width="%d"%s points="%s"/>'
                          % (color, width, extra, " ".join("%.1f,%.1f" % p for p in points)))

    def circle(self, x, y, color, tooltip=None):
        title = "<title>%s</title>" % escape(tooltip) if tooltip else ""
        self.parts.append('<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s">%s</circle>' % (x, y, color, title))

    def legend(self, items, x, y):
        for i, (name, color, dash) in enumerate(items):
            yy = y + i * 17
            if dash is None:
                self.rect(x, yy - 9, 12, 10, color)
            else:
                self.line(x - 2, yy - 4, x + 14, yy - 4, color=color, width=2.5, dash=dash or None)
            self.text(x + 18, yy, name, size=11, anchor="start")

    def svg(self):
        return "\n".join(self.parts + ["</svg>"]) + "\n"


def _axes(c, left, top, right, bottom, ticks, y_label, to_y):
    for tick in ticks:
        y = to_y(tick)
        c.line(left, y, right, y, color="#e3e3e3")
        c.text(left - 6, y + 4, _num(tick), size=10, anchor="end")
    c.line(left, top, left, bottom, color="#555555")
    c.line(left, bottom, right, bottom, color="#555555")
    c.text(16, (top + bottom) / 2.0, y_label, size=11, rotate=-90)


def bar_chart(title, categories, series, y_label, width=800, height=380, note=None, value_labels=True):
    """series: [{"name", "values": [v per category], "low": [...], "high": [...]}] (low/high optional).

    None values are drawn as 'n/a'. Whiskers show low..high (e.g. min..max over repetitions).
    """
    c = _Canvas(width, height, title)
    left, top, right = 70, 44, width - 170
    bottom = height - (62 if note else 46)
    peak = max([v for s in series for v in (s.get("high") or s["values"]) if v is not None] + [0])
    ticks = nice_ticks(0, peak * 1.08 if peak > 0 else 1.0)
    top_value = ticks[-1]

    def to_y(v):
        return bottom - (bottom - top) * (v / float(top_value))

    _axes(c, left, top, right, bottom, ticks, y_label, to_y)
    group_w = (right - left) / float(max(1, len(categories)))
    bar_w = group_w * 0.8 / max(1, len(series))
    for ci, cat in enumerate(categories):
        gx = left + ci * group_w + group_w * 0.1
        c.text(left + ci * group_w + group_w / 2.0, bottom + 16, cat, size=11)
        for si, s in enumerate(series):
            color = s.get("color") or PALETTE[si % len(PALETTE)]
            x = gx + si * bar_w
            v = s["values"][ci]
            if v is None:
                c.text(x + bar_w / 2.0, bottom - 4, "n/a", size=9, color="#888888")
                continue
            c.rect(x + 1, to_y(v), bar_w - 2, bottom - to_y(v), color, tooltip="%s %s: %s" % (s["name"], cat, _num(v)))
            low = (s.get("low") or [None] * len(categories))[ci]
            high = (s.get("high") or [None] * len(categories))[ci]
            if low is not None and high is not None and high > low:
                mid = x + bar_w / 2.0
                c.line(mid, to_y(low), mid, to_y(high), color="#222222", width=1.2)
                c.line(mid - 4, to_y(low), mid + 4, to_y(low), color="#222222", width=1.2)
                c.line(mid - 4, to_y(high), mid + 4, to_y(high), color="#222222", width=1.2)
            if value_labels:
                label_y = to_y(high if high is not None and high > v else v) - 4
                c.text(x + bar_w / 2.0, label_y, _num(v), size=9)
    c.legend([(s["name"], s.get("color") or PALETTE[i % len(PALETTE)], None) for i, s in enumerate(series)],
             right + 18, top + 10)
    if note:
        c.text(width / 2.0, height - 10, note, size=10, color="#555555")
    return c.svg()


def line_chart(title, series, x_label, y_label, width=860, height=400, note=None):
    """series: [{"name", "points": [(x, y)], "dash": "" or "6 4", "low"/"high": {x: v}}]."""
    c = _Canvas(width, height, title)
    left, top, right = 70, 44, width - 270
    bottom = height - (62 if note else 46)
    xs = sorted({x for s in series for x, y in s["points"] if y is not None})
    ys = [y for s in series for _, y in s["points"] if y is not None]
    ys += [v for s in series for v in (s.get("high") or {}).values() if v is not None]
    if not xs:
        xs = [0, 1]
    ticks = nice_ticks(0, max(ys + [1.0]) * 1.08)
    top_value = ticks[-1]
    x_min, x_max = 0, max(xs) * 1.04

    def to_x(v):
        return left + (right - left) * (v - x_min) / float(x_max - x_min)

    def to_y(v):
        return bottom - (bottom - top) * (v / float(top_value))

    _axes(c, left, top, right, bottom, ticks, y_label, to_y)
    for x in xs:
        c.line(to_x(x), bottom, to_x(x), bottom + 4, color="#555555")
        c.text(to_x(x), bottom + 16, _num(x), size=10)
    c.text((left + right) / 2.0, bottom + 32, x_label, size=11)
    legend = []
    for si, s in enumerate(series):
        color = s.get("color") or PALETTE[si % len(PALETTE)]
        pts = [(x, y) for x, y in sorted(s["points"]) if y is not None]
        if not pts:
            continue
        c.polyline([(to_x(x), to_y(y)) for x, y in pts], color, dash=s.get("dash") or None)
        for x, y in pts:
            low = (s.get("low") or {}).get(x)
            high = (s.get("high") or {}).get(x)
            if low is not None and high is not None and high > low:
                c.line(to_x(x), to_y(low), to_x(x), to_y(high), color=color, width=1.2)
            c.circle(to_x(x), to_y(y), color, tooltip="%s, %s hosts: %.2f" % (s["name"], _num(x), y))
        legend.append((s["name"], color, s.get("dash") or ""))
    c.legend(legend, right + 22, top + 10)
    if note:
        c.text(width / 2.0, height - 10, note, size=10, color="#555555")
    return c.svg()
