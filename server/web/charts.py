"""Charts as inline SVG (no script, no CDN): columns over days, horizontal bars, lines over evaluation runs.

Each chart carries a French title for screen readers; the figures are also in the table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

COLOURS = ("#000091", "#c9191e", "#18753c", "#b34000", "#6a6af4", "#695240")


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'class="chart" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _fmt(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}".replace(".", ",")


def columns(points: Sequence[tuple[str, float]], title: str, width: int = 720, height: int = 180) -> Markup:
    """Vertical columns, one per point (e.g. requests per day); labels thinned out to stay legible."""
    if not points:
        return _svg(width, 40, title, ['<text x="4" y="24">Aucune donnée</text>'])
    top = max(v for _, v in points) or 1.0
    left, bottom, plot_h = 36, 24, height - 34
    step = (width - left - 4) / len(points)
    every = max(1, round(len(points) / 12))
    body = [
        f'<line x1="{left}" y1="{10 + plot_h}" x2="{width - 4}" y2="{10 + plot_h}" stroke="#666"/>',
        f'<text x="{left - 4}" y="16" text-anchor="end" font-size="11">{_fmt(top)}</text>',
        f'<text x="{left - 4}" y="{10 + plot_h}" text-anchor="end" font-size="11">0</text>',
    ]
    for i, (label, value) in enumerate(points):
        h = plot_h * value / top
        x = left + i * step
        body.append(
            f'<rect x="{x + 1:.1f}" y="{10 + plot_h - h:.1f}" width="{max(step - 2, 1):.1f}" height="{h:.1f}" '
            f'fill="{COLOURS[0]}"><title>{escape(label)} : {_fmt(value)}</title></rect>'
        )
        if i % every == 0:
            body.append(
                f'<text x="{x + step / 2:.1f}" y="{height - bottom + 18}" text-anchor="middle" font-size="10">'
                f"{escape(label)}</text>"
            )
    return _svg(width, height, title, body)


def bars(items: Sequence[tuple[str, float]], title: str, width: int = 560, percent: bool = False) -> Markup:
    """Horizontal bars with their label and value (shares shown as percentages when ``percent``)."""
    if not items:
        return _svg(width, 40, title, ['<text x="4" y="24">Aucune donnée</text>'])
    row, label_w = 22, 190
    top = max(v for _, v in items) or 1.0
    body = []
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        w = (width - label_w - 70) * value / top
        shown = f"{value:.0%}" if percent else _fmt(value)
        name = str(label) if len(str(label)) <= 30 else str(label)[:29] + "…"
        body.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{COLOURS[0]}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="12">{escape(shown)}</text>'
        )
    return _svg(width, 8 + row * len(items), title, body)


def lines(runs: Sequence[tuple[str, dict[str, float | None]]], names: dict[str, str], title: str) -> Markup:
    """Metrics between 0 and 1 over successive runs, one line and legend entry per metric."""
    width, height, left, plot_h = 720, 220, 36, 150
    if not runs:
        return _svg(width, 40, title, ['<text x="4" y="24">Aucune évaluation terminée</text>'])
    step = (width - left - 20) / max(len(runs) - 1, 1)
    body = [f'<line x1="{left}" y1="{10 + plot_h}" x2="{width - 10}" y2="{10 + plot_h}" stroke="#666"/>']
    for tick in (0.0, 0.5, 1.0):
        y = 10 + plot_h * (1 - tick)
        body.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{_fmt(tick)}</text>')
    legend_x, legend_y = left, height - 22
    for k, (key, name) in enumerate(names.items()):
        colour = COLOURS[k % len(COLOURS)]
        pts = [
            (left + i * step, 10 + plot_h * (1 - float(value)))
            for i, (_, m) in enumerate(runs)
            if (value := m.get(key)) is not None
        ]
        if len(pts) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in pts)
        entry_width = 14 + 7 * len(name) + 18  # each entry as wide as its name (at 11 px), so names never overlap
        if legend_x + entry_width > width and legend_x > left:
            legend_x, legend_y = left, legend_y + 16
        body.append(
            f'<rect x="{legend_x}" y="{legend_y}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{legend_x + 14}" y="{legend_y + 9}" font-size="11">{escape(name)}</text>'
        )
        legend_x += entry_width
    return _svg(width, max(height, legend_y + 16), title, body)
