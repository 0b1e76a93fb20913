"""Charts as server-rendered SVG: no CDN, no script, no style attributes (strict CSP).

Each chart is an ``<svg role="img">`` named by its ``<title>`` and summarised in ``<desc>``;
every bar carries its own ``<title>`` with the number. Colours are classes styled in
static/charts.css. Pages put a plain table with the same numbers after each chart.

Text in a chart (titles, labels, "No data") is in the reader's language: the page passes its
titles and labels translated, and labels may be lazy strings (made text here, then escaped).
"""
from markupsafe import Markup, escape

from workflow.i18n import _

FONT_PX = 12


def _text_width(text, size=FONT_PX):
    """Rough width: CJK characters are square, Latin ones about half as wide."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.56 for ch in str(text))


def _number(value):
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return f"{int(value)}"


def _nice_max(value, whole=False):
    """The axis end: five ticks of 1, 2 or 5 times a power of ten, at or above ``value``
    (whole numbers only when counting)."""
    step = 1 if whole else 0.2
    while value > step * 5:
        step = step * 2.5 if str(step).lstrip("0.").startswith("2") else step * 2
        step = float(f"{step:.6g}")
    return step * 5


def _ticks(top, count=5):
    step = top / count
    return [round(step * i, 6) for i in range(count + 1)]


def _open(chart_id, title, desc, width, height):
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d">',
        f'<title id="{escape(chart_id)}-t">{escape(str(title))}</title>',
        f'<desc id="{escape(chart_id)}-d">{escape(str(desc))}</desc>',
    ]


def hbar(chart_id, title, rows, unit="", width=560):
    """Horizontal bars, one per (label, value): long labels stay readable."""
    rows = [(str(label), value) for label, value in rows]
    unit = str(unit)
    desc = "; ".join(f"{label}: {_number(value)}{unit}" for label, value in rows) or _("No data")
    if not rows:
        out = _open(chart_id, title, desc, width, 40)
        out.append(f'<text x="8" y="24">{escape(_("No data"))}</text></svg>')
        return Markup("".join(out))
    label_w = min(260, max(_text_width(label) for label, _ in rows) + 12)
    bar_h, gap, top, bottom = 20, 8, 8, 24
    height = top + len(rows) * (bar_h + gap) + bottom
    plot_x, plot_w = label_w, width - label_w - 48
    high = _nice_max(max(value for _, value in rows), whole=all(isinstance(v, int) for _, v in rows))
    out = _open(chart_id, title, desc, width, height)
    base = top + len(rows) * (bar_h + gap)
    for tick in _ticks(high):
        x = plot_x + plot_w * tick / high
        out.append(f'<line class="grid" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{base:.1f}"/>'
                   f'<text class="tick" x="{x:.1f}" y="{base + 15:.1f}" text-anchor="middle">{_number(tick)}</text>')
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = plot_w * value / high if high else 0
        shown = str(label) if _text_width(label) <= label_w - 8 else _clip(str(label), label_w - 8)
        out.append(f'<text x="{label_w - 8:.1f}" y="{y + bar_h - 5:.1f}" text-anchor="end">{escape(shown)}</text>'
                   f'<rect class="bar s0" x="{plot_x:.1f}" y="{y:.1f}" width="{max(w, 0.5):.1f}" height="{bar_h}">'
                   f'<title>{escape(label)}: {_number(value)}{escape(unit)}</title></rect>'
                   f'<text class="value" x="{plot_x + w + 4:.1f}" y="{y + bar_h - 5:.1f}">{_number(value)}{escape(unit)}</text>')
    out.append(f'<line class="axis" x1="{plot_x:.1f}" y1="{top}" x2="{plot_x:.1f}" y2="{base:.1f}"/>')
    out.append("</svg>")
    return Markup("".join(out))


def vbars(chart_id, title, categories, series, width=560, height=260):
    """Grouped vertical bars: ``categories`` along the bottom (years), ``series`` is
    [(name, [value per category])]; the key is drawn by the page (a list), not in the SVG."""
    categories = [str(cat) for cat in categories]
    series = [(str(name), list(values)) for name, values in series]
    desc = "; ".join(f"{cat}: " + ", ".join(f"{name} {_number(values[i])}" for name, values in series)
                     for i, cat in enumerate(categories)) or _("No data")
    out = _open(chart_id, title, desc, width, height)
    left, right, top, bottom = 40, 10, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    values_all = [v for _, values in series for v in values]
    high = _nice_max(max(values_all + [0]), whole=all(isinstance(v, int) for v in values_all))
    for tick in _ticks(high):
        y = top + plot_h - plot_h * tick / high
        out.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>'
                   f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(tick)}</text>')
    slot = plot_w / max(len(categories), 1)
    bar_w = min(36, (slot - 12) / max(len(series), 1))
    for i, cat in enumerate(categories):
        x0 = left + i * slot + (slot - bar_w * len(series)) / 2
        for j, (name, values) in enumerate(series):
            value = values[i]
            h = plot_h * value / high
            x, y = x0 + j * bar_w, top + plot_h - h
            out.append(f'<rect class="bar s{j % 4}" x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{max(h, 0.5):.1f}">'
                       f'<title>{escape(cat)} · {escape(name)}: {_number(value)}</title></rect>')
            if value:
                out.append(f'<text class="value" x="{x + (bar_w - 2) / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{_number(value)}</text>')
        out.append(f'<text class="tick" x="{left + i * slot + slot / 2:.1f}" y="{height - 8}" text-anchor="middle">{escape(cat)}</text>')
    out.append(f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}"/>')
    out.append("</svg>")
    return Markup("".join(out))


def _clip(text, room):
    out = ""
    for ch in text:
        if _text_width(out + ch + "…") > room:
            return out + "…"
        out += ch
    return out
