"""An inline SVG line chart of daily volume per outlet (no external JS or CSS)."""

from __future__ import annotations

from markupsafe import Markup, escape

from crawler.web.queries import DailyVolume

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22")
WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 150, 16, 40


def _ticks(top: int) -> list[int]:
    if top <= 4:
        return list(range(top + 1))
    step = max(1, round(top / 4))
    return list(range(0, top + 1, step))


def volume_chart(volume: DailyVolume, names: dict[str, str] | None = None) -> Markup:
    """A line per outlet over the days; labels escaped; an empty note when there is no data."""
    names = names or {}
    if not volume.series:
        return Markup('<p class="empty">아직 수집 기록이 없습니다.</p>')
    n = len(volume.days)
    top = max(1, max(max(v) for v in volume.series.values()))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: int) -> float:
        return TOP + plot_h - plot_h * v / top

    parts = [Markup('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
                    'viewBox="0 0 {w} {h}" width="{w}" height="{h}">').format(w=WIDTH, h=HEIGHT),
             Markup("<title>매체별 일일 신규 기사 수</title>")]
    for t in _ticks(top):
        parts.append(Markup('<line x1="{a}" x2="{b}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>'
                            '<text x="{t}" y="{ty:.1f}" font-size="11" text-anchor="end" fill="#555">{v}</text>')
                     .format(a=LEFT, b=LEFT + plot_w, y=y(t), t=LEFT - 6, ty=y(t) + 4, v=t))
    for i, day in enumerate(volume.days):
        if n <= 8 or i % 2 == (n - 1) % 2:
            parts.append(Markup('<text x="{x:.1f}" y="{y}" font-size="11" text-anchor="middle" fill="#555">'
                                '{d}</text>').format(x=x(i), y=HEIGHT - BOTTOM + 16, d=day[5:]))
    for k, (outlet_id, counts) in enumerate(volume.series.items()):
        color = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(counts))
        label = names.get(outlet_id) or outlet_id
        parts.append(Markup('<polyline fill="none" stroke="{c}" stroke-width="2" points="{p}">'
                            '<title>{l}</title></polyline>').format(c=color, p=points, l=label))
        ly = TOP + 14 + 16 * k
        if ly < HEIGHT - BOTTOM:
            parts.append(Markup('<rect x="{x}" y="{y}" width="10" height="10" fill="{c}"/>'
                                '<text x="{tx}" y="{ty}" font-size="12" fill="#222">{l} ({s})</text>')
                         .format(x=WIDTH - RIGHT + 12, y=ly - 9, c=color, tx=WIDTH - RIGHT + 26, ty=ly,
                                 l=label[:16], s=sum(counts)))
    parts.append(Markup("</svg>"))
    return Markup("").join(escape(p) for p in parts)
