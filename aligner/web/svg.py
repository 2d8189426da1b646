"""Small pictures as inline SVG, written by hand: status bars, alignment maps, difference strips.

Every function returns :class:`markupsafe.Markup`; every piece of text that
goes into the SVG (titles, links) is escaped here. Colours come from CSS
classes (``st-confirmed`` …) defined in ``static/aligner.css``, so the
pictures follow the page's style.
"""

from __future__ import annotations

from typing import Callable, Iterable

from markupsafe import Markup, escape

STATUS_ORDER = ("confirmed", "draft", "auto", "empty")
STATUS_LABELS = {"confirmed": "confirmed", "draft": "draft", "auto": "automatic", "empty": "empty"}


def _f(x: float) -> str:
    """A compact number for SVG coordinates."""
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return s if s not in ("-0", "") else "0"


def status_bar(counts: dict, *, width: int = 240, height: int = 12, label: str = "") -> Markup:
    """A horizontal bar of slot statuses (confirmed, draft, auto, empty), with a text alternative."""
    total = sum(int(counts.get(s) or 0) for s in STATUS_ORDER)
    parts = []
    summary = ", ".join(f"{int(counts.get(s) or 0)} {STATUS_LABELS[s]}" for s in STATUS_ORDER)
    title = f"{label}: {summary}" if label else summary
    x = 0.0
    if total:
        for s in STATUS_ORDER:
            n = int(counts.get(s) or 0)
            if not n:
                continue
            w = width * n / total
            pct = 100.0 * n / total
            parts.append(
                f'<rect class="st-{s}" x="{_f(x)}" y="0" width="{_f(w)}" height="{height}">'
                f"<title>{escape(STATUS_LABELS[s])}: {n} ({pct:.1f}%)</title></rect>"
            )
            x += w
    else:
        parts.append(f'<rect class="st-empty" x="0" y="0" width="{width}" height="{height}"/>')
    return Markup(
        f'<svg class="status-bar" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )


def percent_bar(pct: float | None, *, width: int = 120, height: int = 10) -> Markup:
    """A small bar showing a percentage (words changed)."""
    if pct is None:
        return Markup(
            f'<svg class="pct-bar" role="img" aria-label="no text to compare" viewBox="0 0 {width} {height}"'
            f' width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
            f'<rect class="pct-none" x="0" y="0" width="{width}" height="{height}"/></svg>'
        )
    pct = max(0.0, min(100.0, float(pct)))
    w = width * pct / 100.0
    return Markup(
        f'<svg class="pct-bar" role="img" aria-label="{pct:.1f}% of words differ" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f'<rect class="pct-bg" x="0" y="0" width="{width}" height="{height}"/>'
        f'<rect class="pct-fg" x="0" y="0" width="{_f(w)}" height="{height}"/></svg>'
    )


def difference_strip(items: Iterable[dict], href: Callable[[dict], str], *, current: int | None = None,
                     height: int = 60) -> Markup:
    """One thin bar per division (height = percent of words changed), each a link to its part."""
    items = list(items)
    n = max(len(items), 1)
    bw = 4.0 if n > 150 else 8.0
    width = bw * n
    parts = []
    for i, it in enumerate(items):
        pct = it.get("pct")
        x = i * bw
        cls = "strip-cur" if it.get("n") == current else ("strip-none" if pct is None else "strip-bar")
        h = height * (pct or 0) / 100.0 if pct is not None else 2.0
        h = max(h, 1.5)
        label = f"{it.get('label')}: " + ("no text in both" if pct is None else f"{pct:.1f}% of words differ")
        parts.append(
            f'<a href="{escape(href(it))}"><rect class="{cls}" x="{_f(x)}" y="{_f(height - h)}"'
            f' width="{_f(bw - 1)}" height="{_f(h)}"><title>{escape(label)}</title></rect></a>'
        )
    return Markup(
        f'<svg class="diff-strip" role="img" aria-label="words changed per part" viewBox="0 0 {_f(width)} {height}"'
        f' width="{_f(width)}" height="{height}" preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">'
        f"{''.join(parts)}</svg>"
    )


def alignment_map(data: dict, href: Callable[[dict], str], *, size: int = 560, margin: int = 36,
                  x_label: str = "pivot", y_label: str = "translation") -> Markup:
    """The alignment path: each bead a box over its pivot (x) and target (y) sentence positions.

    Low-confidence beads are drawn larger in a warning colour, stale ones
    outlined; each bead links to its sentence on the reading page. Empty
    slots are ticks under the x axis.
    """
    beads, gaps, loose = data["beads"], data["gaps"], data.get("loose", [])
    xs = [b["x0"] for b in beads] + [b["x1"] for b in beads] + [g["x0"] for g in gaps] + [g["x1"] for g in gaps]
    ys = [b["y0"] for b in beads] + [b["y1"] for b in beads] + [lo["y0"] for lo in loose] + [lo["y1"] for lo in loose]
    if not xs:
        return Markup('<p class="map-empty">Nothing aligned here yet.</p>')
    x_min, x_max = min(xs), max(xs) + 1
    y_min, y_max = (min(ys), max(ys) + 1) if ys else (0, 1)
    inner = size - 2 * margin
    sx = inner / max(x_max - x_min, 1)
    sy = inner / max(y_max - y_min, 1)
    min_side = 2.0

    def X(v):
        return margin + (v - x_min) * sx

    def Y(v):  # y grows downwards from the top, as a dot plot of a text read top to bottom
        return margin + (v - y_min) * sy

    out = [
        f'<rect class="map-frame" x="{margin}" y="{margin}" width="{inner}" height="{inner}"/>',
        f'<line class="map-diag" x1="{margin}" y1="{margin}" x2="{margin + inner}" y2="{margin + inner}"/>',
        f'<text class="map-label" x="{margin + inner / 2}" y="{size - 6}" text-anchor="middle">'
        f"{escape(x_label)} sentence →</text>",
        f'<text class="map-label" x="12" y="{margin + inner / 2}" text-anchor="middle"'
        f' transform="rotate(-90 12 {margin + inner / 2})">{escape(y_label)} sentence →</text>',
        f'<text class="map-tick" x="{margin}" y="{margin - 6}">{int(x_min) + 1}</text>',
        f'<text class="map-tick" x="{margin + inner}" y="{margin - 6}" text-anchor="end">{int(x_max)}</text>',
    ]
    for g in gaps:
        x = X(g["x0"])
        w = max((g["x1"] - g["x0"] + 1) * sx, 1.0)
        title = f"{g['address']}: empty"
        out.append(
            f'<a href="{escape(href(g))}"><rect class="map-gap" x="{_f(x)}" y="{margin + inner + 3}" width="{_f(w)}"'
            f' height="5"><title>{escape(title)}</title></rect></a>'
        )
    for lo in loose:
        y = Y(lo["y0"])
        h = max((lo["y1"] - lo["y0"] + 1) * sy, 1.0)
        out.append(
            f'<rect class="map-loose" x="{margin - 8}" y="{_f(y)}" width="5" height="{_f(h)}">'
            "<title>text aligned to no pivot sentence</title></rect>"
        )
    ordered = sorted(beads, key=lambda b: b.get("low", False))  # low-confidence ones drawn last, on top
    for b in ordered:
        x0, x1 = X(b["x0"]), X(b["x1"] + 1)
        y0, y1 = Y(b["y0"]), Y(b["y1"] + 1)
        w, h = max(x1 - x0, min_side), max(y1 - y0, min_side)
        classes = ["bead", f"st-{b['status']}"]
        if b.get("low"):
            classes.append("bead-low")
            pad = 3.0
            x0, y0, w, h = x0 - pad, y0 - pad, w + 2 * pad, h + 2 * pad
        if b.get("stale"):
            classes.append("bead-stale")
        title = f"{b['address']}: {b['status']}"
        if b.get("score") is not None:
            title += f", score {b['score']:.2f}"
        if b.get("stale"):
            title += ", stale"
        out.append(
            f'<a href="{escape(href(b))}"><rect class="{" ".join(classes)}" x="{_f(x0)}" y="{_f(y0)}"'
            f' width="{_f(w)}" height="{_f(h)}"><title>{escape(title)}</title></rect></a>'
        )
    return Markup(
        f'<svg class="align-map" role="img" aria-label="alignment map: {len(beads)} alignments, {len(gaps)} empty"'
        f' viewBox="0 0 {size} {size}" width="{size}" height="{size}" xmlns="http://www.w3.org/2000/svg">'
        f"{''.join(out)}</svg>"
    )
