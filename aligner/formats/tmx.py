"""TMX 1.4b export and import (translation memories for OmegaT, memoQ, Trados, Okapi).

Export (:func:`write_tmx`)
    One ``<tu>`` per *filled* slot: status other than ``empty`` and a
    non-empty translation (a TM entry with an empty target would be offered
    to translators as an empty "translation"). Header: ``creationtool="aligner"``,
    ``segtype="sentence"`` (``paragraph`` would make OmegaT re-segment our
    deliberately grouped units), ``datatype="plaintext"``, ``o-tmf="aligner"``,
    ``adminlang="en"``, a real ``srclang``. Per unit:

    * ``tuid`` = the slot address ("24.1", "24.1-24.2");
    * ``<prop type="x-work">``, ``x-version``, one ``x-segment`` per pivot
      sentence the slot covers, ``x-status`` (empty/auto/draft/confirmed),
      ``x-token`` (revision token for conflict detection), ``x-method`` and
      ``x-stale`` when known. The ``x-`` prefix is what Trados needs to import
      custom fields; OmegaT and Okapi keep all props;
    * ``changeid``/``changedate`` from the slot's provenance (actor, time) in
      TMX's ``YYYYMMDDThhmmssZ`` UTC form; ``creationid``/``creationdate`` are
      not written, because the slot records only its last change;
    * ``<tuv xml:lang=src_lang>`` with the English (pivot) text and
      ``<tuv xml:lang=tgt_lang>`` with the translation, as plain text (TMX
      level 1). Characters XML 1.0 cannot carry (C0 controls other than tab,
      LF, CR) are dropped.

Import (:func:`read_tmx`)
    Each ``<tu>`` becomes an :class:`~aligner.model.Edit`:

    * address: ``tuid``, else the first and last ``x-segment`` props, else
      None; ``source_text`` is always the source-language text, so the store
      can fall back to matching by exact English text (TMs from other tools);
    * status: the ``x-status`` prop if present (case-insensitive; anything
      else is an error naming the unit), else ``draft``. A unit whose text no
      longer matches its ``x-token`` was edited by a person after the export
      (TM editors keep props as they are), so whatever ``x-status`` says it is
      read as ``draft``;
    * token: ``x-token`` or None.

    Languages are matched case-insensitively, by full tag or by primary
    language (``ru`` finds ``ru-RU``), preferring an exact match. If
    ``tgt_lang`` is not given it is inferred when the file has exactly one
    language besides the source. **Decision:** a file in which no unit has
    both languages is refused as a whole ("no unit has both en and ru; the
    file has de, en"); a single unit lacking one of them is refused with its
    tuid and line, rather than silently dropped - a TM that is only partly
    for our language pair is not something to half-import. Units whose target
    segment is empty are skipped (they carry no translation). Inline codes
    (``bpt/ept/ph/it/ut``) are dropped, the text of ``hi``/``sub`` is kept.
"""

from __future__ import annotations

import os
from typing import IO, Iterable

from lxml import etree

from ..errors import InputError
from .base import EditList, SlotFormat, compact_utc, lang_matches, settle_status, write_output
from .base import tool_version as _installed_version
from .validate import validate_tmx
from .xmlsafe import XML_DECLARATION, local_name, parse_xml, xml_text
from ..model import STATUSES, Edit, Slot, make_address

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DOCTYPE = '<!DOCTYPE tmx SYSTEM "tmx14.dtd">'

# inline elements whose content is native code, not text
_CODE_ELEMENTS = {"bpt", "ept", "ph", "it", "ut"}


def _prop(parent, type_: str, value: str) -> None:
    p = etree.SubElement(parent, "prop", type=type_)
    p.text = xml_text(value)


def write_tmx(
    slots: Iterable[Slot],
    fp_or_path: str | os.PathLike | IO,
    *,
    work: str,
    src_lang: str = "en",
    tgt_lang: str,
    tool_version: str | None = None,
) -> int:
    """Write the filled slots as a TMX 1.4b file; returns the number of units written."""
    version = tool_version or _installed_version()
    root = etree.Element("tmx", version="1.4")
    header = etree.SubElement(
        root,
        "header",
        creationtool="aligner",
        creationtoolversion=version,
        segtype="sentence",
        **{"o-tmf": "aligner"},
        adminlang="en",
        srclang=src_lang,
        datatype="plaintext",
    )
    _prop(header, "x-work", work)
    body = etree.SubElement(root, "body")
    count = 0
    for slot in slots:
        if slot.status == "empty" or not slot.text:
            continue
        tu = etree.SubElement(body, "tu", tuid=xml_text(slot.address))
        if slot.actor:
            tu.set("changeid", xml_text(slot.actor))
        when = compact_utc(slot.at)
        if when:
            tu.set("changedate", when)
        _prop(tu, "x-work", work)
        if slot.version:
            _prop(tu, "x-version", slot.version)
        for ref in slot.pivot_refs or [slot.address]:
            _prop(tu, "x-segment", ref)
        _prop(tu, "x-status", slot.status)
        _prop(tu, "x-token", slot.token)
        if slot.method:
            _prop(tu, "x-method", slot.method)
        if slot.stale:
            _prop(tu, "x-stale", "yes")
        for lang, text in ((src_lang, slot.pivot_text), (tgt_lang, slot.text)):
            tuv = etree.SubElement(tu, "tuv", {XML_LANG: lang})
            seg = etree.SubElement(tuv, "seg")
            seg.text = xml_text(text)
        count += 1
    data = XML_DECLARATION + etree.tostring(
        etree.ElementTree(root), xml_declaration=False, encoding="UTF-8", pretty_print=True, doctype=DOCTYPE
    )
    write_output(fp_or_path, data)
    return count


def seg_text(seg) -> str:
    """The plain text of a ``<seg>``: text and ``hi``/``sub`` content, without native codes."""
    parts: list[str] = [seg.text or ""]
    for child in seg:
        name = local_name(child)
        if name and name not in _CODE_ELEMENTS:
            parts.append(seg_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _tuv_lang(tuv) -> str:
    return (tuv.get(XML_LANG) or tuv.get("lang") or "").strip()


def _pick(tuvs: list, lang: str):
    exact = [t for t in tuvs if _tuv_lang(t).lower().replace("_", "-") == lang.lower().replace("_", "-")]
    if exact:
        return exact[0]
    loose = [t for t in tuvs if lang_matches(_tuv_lang(t), lang)]
    return loose[0] if loose else None


def read_tmx(
    path: str | os.PathLike,
    *,
    src_lang: str = "en",
    tgt_lang: str | None = None,
    work: str | None = None,
) -> list[Edit]:
    """Read a TMX file into Edits; see the module docstring for the rules.

    ``work``, if given, is checked against the units' ``x-work`` props: a file
    exported for another work is refused.
    """
    name = str(path)
    tree = parse_xml(path, kind="TMX")
    root = tree.getroot()
    if local_name(root) != "tmx":
        raise InputError(name, f"not a TMX file: the root element is <{local_name(root)}>, not <tmx>")
    body = root.find("body")
    if body is None:
        raise InputError(name, "not a TMX file: it has no <body>", line=root.sourceline)
    tus = [tu for tu in body if local_name(tu) == "tu"]

    all_langs: dict[str, None] = {}
    for tu in tus:
        for tuv in tu.findall("tuv"):
            lang = _tuv_lang(tuv)
            if lang:
                all_langs.setdefault(lang, None)
    langs_text = ", ".join(sorted(all_langs, key=str.lower)) or "none"
    if tgt_lang is None:
        others = {lang.lower().replace("_", "-").split("-")[0] for lang in all_langs if not lang_matches(lang, src_lang)}
        if len(others) == 1:
            tgt_lang = others.pop()
        elif not others:
            raise InputError(name, f"no target language: every unit is in {src_lang} only (languages: {langs_text})")
        else:
            raise InputError(
                name, f"several target languages ({', '.join(sorted(others))}): say which one to import"
            )
    if tus and not any(
        _pick(tu.findall("tuv"), src_lang) is not None and _pick(tu.findall("tuv"), tgt_lang) is not None
        for tu in tus
    ):
        raise InputError(
            name, f"wrong languages: no unit has both {src_lang} and {tgt_lang} (the file has: {langs_text})"
        )

    edits = EditList(name)
    for tu in tus:
        tuid = (tu.get("tuid") or "").strip() or None
        line = tu.sourceline
        tuvs = tu.findall("tuv")
        src = _pick(tuvs, src_lang)
        tgt = _pick(tuvs, tgt_lang)
        if src is None or tgt is None:
            have = ", ".join(_tuv_lang(t) or "?" for t in tuvs) or "none"
            missing = src_lang if src is None else tgt_lang
            raise InputError(name, f"unit has no {missing} variant (it has: {have})", line=line, unit=tuid)
        src_seg, tgt_seg = src.find("seg"), tgt.find("seg")
        if src_seg is None or tgt_seg is None:
            raise InputError(name, "a <tuv> has no <seg>", line=line, unit=tuid)
        source_text = seg_text(src_seg)
        text = seg_text(tgt_seg)

        props: dict[str, list[str]] = {}
        for p in tu.findall("prop"):
            props.setdefault((p.get("type") or "").strip(), []).append((p.text or "").strip())
        file_work = (props.get("x-work") or [None])[0]
        if work is not None and file_work and file_work != work:
            raise InputError(
                name, f"unit belongs to work '{file_work}', not '{work}'", line=line, unit=tuid
            )
        refs = [r for r in props.get("x-segment", []) if r]
        address = tuid or (make_address(refs[0], refs[-1]) if refs else None)
        token = (props.get("x-token") or [None])[0] or None
        raw_status = (props.get("x-status") or [None])[0]
        if raw_status is not None:
            status = raw_status.strip().lower()
            if status not in STATUSES:
                raise InputError(
                    name,
                    f"invalid status '{raw_status}' (expected one of: {', '.join(STATUSES)})",
                    line=line,
                    unit=tuid,
                )
        else:
            status = "draft"
        if not text and raw_status is None:
            continue  # an empty target in a foreign TM carries nothing
        if raw_status is not None:
            # x-status is what we wrote; a unit whose text changed since was edited by a person
            status = settle_status(address, text, status, token, status, untouched=True)
        extra: dict = {}
        if file_work:
            extra["work"] = file_work
        if props.get("x-version"):
            extra["version"] = props["x-version"][0]
        if refs:
            extra["refs"] = refs
        edits.add(address=address, text=text, status=status, token=token, source_text=source_text, line=line,
                  unit=tuid, extra=extra)
    return list(edits)


def peek_tmx(path: str | os.PathLike) -> tuple[str | None, str | None]:
    """The work (``x-work`` prop) and the target language (the first variant not in ``srclang``) a TMX names."""
    root = parse_xml(path, kind="TMX").getroot()
    header = root.find("header")
    src = header.get("srclang") if header is not None else None
    work = lang = None
    for el in root.iter():
        if local_name(el) == "prop" and el.get("type") == "x-work" and work is None:
            work = (el.text or "").strip() or None
        if local_name(el) == "tuv" and lang is None:
            tag = el.get(XML_LANG) or el.get("lang")
            if tag and src and tag.lower() != src.lower():
                lang = tag
    return work, lang


class TmxFormat(SlotFormat):
    name = "tmx"
    label = "TMX"
    suffixes = (".tmx",)
    media_type = "application/x-tmx+xml"
    unit_word = "units"

    def write(self, slots, out, *, work, lang, src_lang, tgt_lang, copy_source=False) -> int:
        return write_tmx(slots, out, work=work, src_lang=src_lang, tgt_lang=tgt_lang)

    def peek(self, path):
        return peek_tmx(path)

    def read(self, path, *, work=None, lang=None, src_lang=None, tgt_lang=None) -> list[Edit]:
        return read_tmx(path, src_lang=src_lang or "en", tgt_lang=tgt_lang, work=work)

    def sniff(self, head: bytes, root: str | None) -> bool:
        return root == "tmx"

    def validate(self, path):
        return validate_tmx(path)
