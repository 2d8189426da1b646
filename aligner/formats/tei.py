"""TEI P5 export of a parallel edition: every version as a ``<text>``, alignments as ``<linkGrp>``.

Why TEI: it is what digital editions and corpus tools (InterText, TXM,
teiCorpus pipelines) read, and it keeps both the letters' structure
(``<opener>``, ``<dateline>``, ``<salute>``, ``<closer>``, ``<signed>``) and
the sentence alignment in one file. Each sentence is an ``<s>`` with an
``xml:id`` of the form ``<version>_<ref>`` (``en_24.1``, ``ru_3.1``; a
translator's typed text gets ``ru_t24.1-24.2``); each filled alignment is a
``<link>`` whose ``@target`` points at the pivot sentences and then the
version's, with the bead type in ``@type`` (``2-1``), the status in
``@subtype``, the aligner's confidence in ``@cert`` and the person in ``@resp``.

Validation uses the RELAX NG schema ``tei_all.rng`` with jing:
:func:`aligner.formats.validate.validate_tei`.
"""

from __future__ import annotations

import re

from lxml import etree

from ..corpus import queries
from ..text.segment import FRONT_KINDS
from .base import WorkFormat, tool_version
from .validate import validate_tei

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
T = "{%s}" % TEI_NS
XML_ID = "{%s}id" % XML_NS
XML_LANG = "{%s}lang" % XML_NS


def xml_id(key: str, ref: str) -> str:
    """An NCName for a segment: ``ru_24.1``; typed text (``@24.1``) becomes ``ru_t24.1``."""
    ref = "t" + ref[1:] if ref.startswith("@") else ref
    return re.sub(r"[^\w.\-]", "_", f"{key}_{ref}")


def _sub(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    el = etree.SubElement(parent, T + tag)
    for k, v in attrs.items():
        if v is not None:
            el.set(k, str(v))
    if text is not None:
        el.text = text
    return el


def _sentences(parent, segs: list[dict], key: str) -> None:
    for s in segs:
        el = _sub(parent, "s", s["text"])
        el.set(XML_ID, xml_id(key, s["ref"]))
        el.set("n", s["ref"])


def _version_text(group, conn, work: dict, v: dict) -> None:
    text = _sub(group, "text", type=v["role"], n=v["key"])
    text.set(XML_ID, re.sub(r"[^\w.\-]", "_", v["key"]))
    text.set(XML_LANG, v["language"])
    body = _sub(text, "body")
    segs = queries.version_segments(conn, v["id"])
    labels = queries.division_labels(conn, v["id"])
    by_div: dict[int, list[dict]] = {}
    for s in segs:
        by_div.setdefault(s["division"] or 1, []).append(s)
    if not segs:
        _sub(body, "p")  # a declared version with no text yet: an empty paragraph keeps the body valid
        return
    for n in sorted(by_div):
        segs = by_div[n]
        # The title page (it opens the first part) stays a division of its own, before the part it opens.
        k = 0
        while k < len(segs) and segs[k]["kind"] in FRONT_KINDS and not segs[k]["typed"]:
            k += 1
        if k:
            _blocks(_sub(body, "div", type="front"), _grouped(segs[:k]), v["key"])
        if k == len(segs):
            continue
        div = _sub(body, "div", type="part", n=str(n))
        if labels.get(n):
            _sub(div, "head", labels[n]).set("type", "label")
        _blocks(div, _grouped(segs[k:]), v["key"])


def _grouped(segs: list[dict]) -> list[list[dict]]:
    """Segments as blocks: the sentences of one block together, typed text a block of its own."""
    blocks: list[list[dict]] = []
    for s in segs:
        if s["typed"] or s["block"] is None:
            blocks.append([s])
        elif blocks and not blocks[-1][0]["typed"] and blocks[-1][0]["block"] == s["block"]:
            blocks[-1].append(s)
        else:
            blocks.append([s])
    return blocks


OPENER = {"dateline": "dateline", "salutation": "salute"}
CLOSER = {"closing": "salute", "signature": "signed"}


def _blocks(div, blocks: list[list[dict]], key: str) -> None:
    """Openers before the first paragraph, closers after the last; everything else as p or ab."""
    kinds = [b[0]["kind"] for b in blocks]
    body_idx = [i for i, k in enumerate(kinds) if k not in OPENER and k not in CLOSER]
    first_body = body_idx[0] if body_idx else len(blocks)
    last_body = body_idx[-1] if body_idx else -1
    opener = closer = None
    for i, b in enumerate(blocks):
        kind = kinds[i]
        if kind in OPENER and i < first_body:
            opener = opener if opener is not None else _sub(div, "opener")
            _sentences(_sub(opener, OPENER[kind]), b, key)
        elif kind in CLOSER and i > last_body:
            closer = closer if closer is not None else _sub(div, "closer")
            _sentences(_sub(closer, CLOSER[kind]), b, key)
        elif kind == "paragraph":
            _sentences(_sub(div, "p"), b, key)
        else:
            _sentences(_sub(div, "ab", type=kind), b, key)


def export_tei(store, work: str, keys: list[str] | None = None) -> bytes:
    """The work as one TEI P5 document: the pivot and the chosen versions, with their alignments."""
    conn = store.db.conn
    w = store.work(work)
    versions = queries.version_rows(conn, w["id"])
    pivot = next(v for v in versions if v["key"] == w["pivot"])
    others = [v for v in versions if v["key"] != w["pivot"] and (keys is None or v["key"] in keys)]
    if keys:
        missing = set(keys) - {v["key"] for v in others}
        if missing:
            store.version(w["id"], sorted(missing)[0])  # raises the usual unknown-version error
    root = etree.Element(T + "TEI", nsmap={None: TEI_NS})
    header = _sub(root, "teiHeader")
    fd = _sub(header, "fileDesc")
    ts = _sub(fd, "titleStmt")
    _sub(ts, "title", w["title"])
    if w["author"]:
        _sub(ts, "author", w["author"])
    ps = _sub(fd, "publicationStmt")
    _sub(ps, "p", w["licence"] or "Licence: see the source.")
    sd = _sub(fd, "sourceDesc")
    for v in [pivot, *others]:
        bits = [f"{v['key']} ({v['language']}, {v['role']})", v["title"], v["translator"] and f"translated by {v['translator']}",
                v["year"] and str(v["year"]), v["source"], v["transcription"] and f"transcription: {v['transcription']}",
                v["licence"], v["note"]]
        _sub(sd, "p", "; ".join(str(b) for b in bits if b))
    ed = _sub(header, "encodingDesc")
    ai = _sub(ed, "appInfo")
    # TEI's data.version allows only up to four dotted numbers
    ver = re.match(r"\d+(\.\d+){0,3}", tool_version())
    app = _sub(ai, "application", ident="aligner", version=ver.group(0) if ver else "0")
    _sub(app, "label", "aligner")
    text = _sub(root, "text")
    group = _sub(text, "group")
    for v in [pivot, *others]:
        _version_text(group, conn, w, v)
    for v in others:
        rows = queries.version_links(conn, v["id"])
        lg = _sub(text, "linkGrp", type="alignment", corresp=f"#{pivot['key']} #{v['key']}")
        for r in rows:
            prefs = (r["prefs"] or "").split()
            trefs = (r["trefs"] or "").split()
            if not trefs:
                continue
            targets = [f"#{xml_id(pivot['key'], p)}" for p in prefs] + [f"#{xml_id(v['key'], t)}" for t in trefs]
            link = _sub(lg, "link", type=f"{len(prefs)}-{len(trefs)}", subtype=r["status"],
                        target=" ".join(targets))
            if r["score"] is not None:
                link.set("cert", f"{max(0.0, min(1.0, r['score'])):.3f}")
            if r["actor"]:
                link.set("resp", "#" + re.sub(r"[^\w.\-]", "_", r["actor"]))
        if not len(lg):
            text.remove(lg)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


class TeiFormat(WorkFormat):
    name = "tei"
    label = "TEI"
    suffixes = (".xml", ".tei")
    media_type = "application/tei+xml"

    def render(self, store, work: str, keys: list[str] | None) -> bytes:
        return export_tei(store, work, keys)

    def sniff(self, head: bytes, root: str | None) -> bool:
        return root == "TEI"

    def validate(self, path):
        return validate_tei(path)
