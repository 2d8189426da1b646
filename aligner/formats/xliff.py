"""XLIFF export and import, for filling slots in a CAT tool (OmegaT, Okapi, Weblate, memoQ, Trados).

Export (:func:`write_xliff`), XLIFF 1.2 (default; valid against the OASIS
``xliff-core-1.2-strict.xsd``)
    ``<file original=WORK source-language target-language datatype="plaintext"
    tool-id="aligner">``, a ``<header>`` with ``<tool>`` and the translation
    version, then one ``<trans-unit id=ADDRESS resname=ADDRESS
    xml:space="preserve">`` per slot, *including empty ones* (those are the
    ones to fill). ``xml:space="preserve"`` keeps line breaks and spaces:
    Okapi otherwise "unwraps" them. States, ours -> XLIFF 1.2:

    ============  ==========================================================
    empty         ``<target state="needs-translation"/>`` (empty target)
    auto          ``state="needs-review-translation" state-qualifier="leveraged-tm"``
    draft         ``state="translated"``
    confirmed     ``state="signed-off"`` and ``approved="yes"`` on the trans-unit
    ============  ==========================================================

    An empty slot gets an *empty* ``<target state="needs-translation"/>``:
    that is what Okapi's XLIFF filter (also used inside OmegaT through the
    Okapi plugin) and Weblate read as untranslated. OmegaT's *built-in* XLIFF
    filter instead translates the content of ``<target>`` and skips units
    whose target is empty; for it pass ``copy_source=True``, which puts the
    English text into the empty targets (still ``needs-translation``) - the
    reader recognises an untouched copy and reads it back as empty - and puts
    the English of filled units into their note (OmegaT shows their current
    translation as the text to translate). OmegaT writes translations into
    ``<target>`` but leaves every attribute as it was (states included); the
    reader's rules below are made for that.

    The revision token goes into the trans-unit's ``extradata`` attribute as
    ``aligner:token=<token> aligner:status=<status>`` (the status at export).
    ``extradata`` is a core XLIFF 1.2 attribute ("data relevant to the element
    but not relevant to translation"), valid in the *strict* schema (which
    forbids ``x-`` attributes in the XLIFF namespace), invisible to the
    translator, and kept by tools that write the file back from its skeleton
    (verified with OmegaT 3.6; Okapi's XLIFF filter also writes from a
    skeleton). Provenance (who, when, how,
    score, which pivot sentences, stale) goes into one
    ``<note from="aligner">``, which OmegaT and Okapi show as a comment.

Export, XLIFF 2.0 (``version="2.0"``; valid against ``xliff_core_2.0.xsd``)
    ``<xliff srcLang trgLang>`` / ``<file id="f1" original=WORK>`` / one
    ``<unit id=ADDRESS name=ADDRESS>`` per slot with one ``<segment>``:
    empty -> ``initial`` without target; auto -> ``initial`` with target;
    draft -> ``translated``; confirmed -> ``reviewed``; ``subState`` always
    ``aligner:<status>``. The token is ``<note category="aligner:token">``
    (2.0 units take no free attributes in the core namespace). Characters XML
    cannot carry are written as ``<cp hex="..."/>``, so 2.0 is lossless.

Import (:func:`read_xliff`), 1.2 (also 1.0/1.1 and namespace-less) and 2.0/2.1
    Detected by namespace. Units are addressed by ``resname``, else ``id``
    (2.0: ``name``, else ``id``); the source text is always returned too, so the
    store can match by exact English text when the address is unknown.
    ``translate="no"`` units are skipped. States, XLIFF -> ours:

    * no ``<target>`` -> empty;
    * 1.2 ``approved="yes"``, ``signed-off``, ``final``; 2.0 ``reviewed``,
      ``final`` -> confirmed;
    * ``translated``, a target without a state, any other state with a
      non-empty target -> draft;
    * ``needs-review-*`` (2.0: ``initial`` with a target) -> draft;
    * ``new``/``needs-translation`` (and no state, and 2.0 ``initial``) with
      an empty target or a target equal to the source -> empty (an
      untranslated unit, or a copy of the source); with any other text ->
      draft.

    Then the export record (token, and the exported status from
    ``extradata``/``subState``) settles what the attributes cannot say,
    because OmegaT and other skeleton-based tools write translations back
    but leave every attribute as it was (:func:`aligner.formats.base.settle_status`):
    text and attributes as exported -> the exported status (an untouched
    ``auto`` unit stays ``auto``); text changed but attributes as exported ->
    ``draft``, even for a unit exported as ``confirmed`` (nobody confirmed
    the new text); attributes changed -> the mapping above.

    A file whose languages differ from ``src_lang``/``tgt_lang`` (compared by
    primary language, case-insensitively) is refused, as is XLIFF 2.2 (new
    namespace), with one-line errors naming the file and line.
"""

from __future__ import annotations

import os
import re
from typing import IO, Iterable

from lxml import etree

from ..errors import InputError
from .base import (
    EditList,
    SlotFormat,
    exported_status,
    lang_matches,
    settle_status,
    tool_version,
    write_output,
)
from .validate import validate_xliff
from .xmlsafe import NOT_XML_CHAR, XML_DECLARATION, local_name, namespace, parse_xml, xml_text
from ..model import Edit, Slot, slot_token

NS12 = "urn:oasis:names:tc:xliff:document:1.2"
NS1X = {NS12, "urn:oasis:names:tc:xliff:document:1.1", "urn:oasis:names:tc:xliff:document:1.0", ""}
NS20 = "urn:oasis:names:tc:xliff:document:2.0"
NS22 = "urn:oasis:names:tc:xliff:document:2.2"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_LANG = f"{{{XML_NS}}}lang"
XML_SPACE = f"{{{XML_NS}}}space"
TOKEN_PREFIX = "aligner:token="
STATUS_PREFIX = "aligner:status="
TOKEN_NOTE = "aligner:token"

_STATE12 = {
    "empty": ("needs-translation", None),
    "auto": ("needs-review-translation", "leveraged-tm"),
    "draft": ("translated", None),
    "confirmed": ("signed-off", None),
}
_STATE20 = {"empty": "initial", "auto": "initial", "draft": "translated", "confirmed": "reviewed"}
_RANK20 = {"initial": 0, "translated": 1, "reviewed": 2, "final": 3}

# 1.2 inline elements whose content is native code; 2.0 elements that carry no text
_CODE12 = {"bpt", "ept", "ph", "it", "sub"}
_NMTOKEN = re.compile(r"^[\w.:\-\u00B7\u0300-\u036F\u203F-\u2040]+$")


def _provenance(slot: Slot) -> str:
    parts = [f"status: {slot.status}"]
    if len(slot.pivot_refs) > 1:
        parts.append("covers " + " ".join(slot.pivot_refs))
    who = []
    if slot.at:
        who.append(slot.at)
    if slot.actor:
        who.append(f"by {slot.actor}")
    if slot.method:
        who.append(f"({slot.method})")
    if who:
        parts.append("last change " + " ".join(who))
    if slot.score is not None:
        parts.append(f"aligner score {slot.score:.3f}")
    if slot.stale:
        parts.append("STALE: the English text changed after this was confirmed")
    return "; ".join(parts)


def write_xliff(
    slots: Iterable[Slot],
    fp_or_path: str | os.PathLike | IO,
    *,
    work: str,
    src_lang: str,
    tgt_lang: str,
    version: str = "1.2",
    copy_source: bool = False,
) -> int:
    """Write every slot as an XLIFF unit; returns the number of units.

    ``version`` is "1.2" (default) or "2.0"; ``copy_source`` fills empty
    targets with the English text (for OmegaT's built-in XLIFF filter).
    """
    if version == "1.2":
        root, count = _build12(slots, work, src_lang, tgt_lang, copy_source)
    elif version in ("2.0", "2.1"):
        root, count = _build20(slots, work, src_lang, tgt_lang, version, copy_source)
    else:
        raise ValueError(f"unsupported XLIFF version {version!r}: use '1.2' or '2.0'")
    data = XML_DECLARATION + etree.tostring(
        etree.ElementTree(root), xml_declaration=False, encoding="UTF-8", pretty_print=True
    )
    write_output(fp_or_path, data)
    return count


def _build12(slots, work, src_lang, tgt_lang, copy_source):
    q = lambda name: f"{{{NS12}}}{name}"  # noqa: E731
    root = etree.Element(q("xliff"), version="1.2", nsmap={None: NS12})
    file_ = etree.SubElement(
        root,
        q("file"),
        {
            "original": xml_text(work),
            "source-language": src_lang,
            "target-language": tgt_lang,
            "datatype": "plaintext",
            "tool-id": "aligner",
        },
    )
    header = etree.SubElement(file_, q("header"))
    etree.SubElement(
        header, q("tool"), {"tool-id": "aligner", "tool-name": "aligner", "tool-version": tool_version()}
    )
    body = etree.SubElement(file_, q("body"))
    count = 0
    versions = set()
    for slot in slots:
        if slot.version:
            versions.add(slot.version)
        addr = xml_text(slot.address)
        tu = etree.SubElement(body, q("trans-unit"), {"id": addr, "resname": addr, XML_SPACE: "preserve"})
        if slot.token:
            tu.set("extradata", f"{TOKEN_PREFIX}{xml_text(slot.token)} {STATUS_PREFIX}{slot.status}")
        state, qualifier = _STATE12.get(slot.status, ("translated", None))
        if slot.status == "confirmed":
            tu.set("approved", "yes")
        src = etree.SubElement(tu, q("source"), {XML_LANG: src_lang})
        src.text = xml_text(slot.pivot_text)
        tgt = etree.SubElement(tu, q("target"), {XML_LANG: tgt_lang, "state": state})
        if qualifier:
            tgt.set("state-qualifier", qualifier)
        text = slot.text
        if slot.status == "empty" and not text and copy_source:
            text = slot.pivot_text
        tgt.text = xml_text(text)
        note = etree.SubElement(tu, q("note"), {"from": "aligner"})
        info = _provenance(slot)
        if copy_source and text != slot.pivot_text:
            # OmegaT's built-in filter shows the target as the text to translate, so
            # the English of a filled unit is visible only here
            info = f"English: {slot.pivot_text}\n{info}"
        note.text = xml_text(info)
        count += 1
    if len(versions) == 1:
        note = etree.Element(q("note"), {"from": "aligner:version"})
        note.text = xml_text(versions.pop())
        header.append(note)
    return root, count


def _set_text20(el, text: str) -> None:
    """Set mixed content, writing characters XML cannot carry as ``<cp hex=.../>``."""
    pieces = NOT_XML_CHAR.split(text)
    bad = NOT_XML_CHAR.findall(text)
    el.text = pieces[0]
    for ch, tail in zip(bad, pieces[1:]):
        cp = etree.SubElement(el, f"{{{NS20}}}cp", hex=f"{ord(ch):04X}")
        cp.tail = tail


def _build20(slots, work, src_lang, tgt_lang, version, copy_source):
    q = lambda name: f"{{{NS20}}}{name}"  # noqa: E731
    root = etree.Element(
        q("xliff"), {"version": "2.0", "srcLang": src_lang, "trgLang": tgt_lang}, nsmap={None: NS20}
    )
    file_ = etree.SubElement(root, q("file"), {"id": "f1", "original": xml_text(work)})
    count = 0
    used: set[str] = set()
    for n, slot in enumerate(slots, 1):
        addr = xml_text(slot.address)
        uid = addr if _NMTOKEN.match(addr) and addr not in used else f"u{n}"
        used.add(uid)
        unit = etree.SubElement(file_, q("unit"), {"id": uid, "name": addr, XML_SPACE: "preserve"})
        notes = etree.SubElement(unit, q("notes"))
        if slot.token:
            etree.SubElement(notes, q("note"), category=TOKEN_NOTE).text = xml_text(slot.token)
        etree.SubElement(notes, q("note"), category="aligner:provenance").text = xml_text(_provenance(slot))
        if slot.version:
            etree.SubElement(notes, q("note"), category="aligner:version").text = xml_text(slot.version)
        seg = etree.SubElement(
            unit,
            q("segment"),
            {"id": "s1", "state": _STATE20.get(slot.status, "translated"), "subState": f"aligner:{slot.status}"},
        )
        _set_text20(etree.SubElement(seg, q("source")), slot.pivot_text or "")
        text = slot.text
        if slot.status == "empty" and not text:
            if copy_source:
                _set_text20(etree.SubElement(seg, q("target")), slot.pivot_text or "")
        else:
            _set_text20(etree.SubElement(seg, q("target")), text or "")
        count += 1
    return root, count


# --- reading -----------------------------------------------------------------


def _text12(el) -> str:
    parts = [el.text or ""]
    for child in el:
        name = local_name(child)
        if name and name not in _CODE12:
            parts.append(_text12(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _text20(el) -> str:
    parts = [el.text or ""]
    for child in el:
        name = local_name(child)
        if name == "cp":
            try:
                parts.append(chr(int(child.get("hex", ""), 16)))
            except ValueError:
                pass
        elif name in ("pc", "mrk"):
            parts.append(_text20(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _check_langs(name, line, have_src, have_tgt, src_lang, tgt_lang):
    bad_src = src_lang and have_src and not lang_matches(have_src, src_lang)
    bad_tgt = tgt_lang and have_tgt and not lang_matches(have_tgt, tgt_lang)
    if bad_src or bad_tgt:
        raise InputError(
            name,
            f"wrong languages: the file is {have_src or '?'} -> {have_tgt or '?'}, "
            f"expected {src_lang or have_src} -> {tgt_lang or have_tgt}",
            line=line,
        )


def _status_from_text(state: str, text: str, source: str) -> tuple[str, str]:
    """Map an untranslated or needs-review state plus its target text to (status, text)."""
    if state.startswith("needs-review"):
        return ("draft", text) if text else ("empty", "")
    # new / needs-translation / no state / 2.0 initial
    if not text or text == source:
        return "empty", ""
    return "draft", text


def _settle(address, raw: str, text: str, status: str, token, declared, untouched_for) -> tuple[str, str]:
    """Apply the export record (see :func:`aligner.formats.base.settle_status`) to a mapped (status, text).

    ``raw`` is the target as found, ``text`` after reading a copy of the source
    as empty; if ``raw`` is exactly the exported text it is kept (a translation
    that happens to equal the English is not a copy).
    """
    exported = exported_status(address, raw, token, declared) or exported_status(address, text, token, declared)
    if exported is None:
        return status, text
    if raw != text and slot_token(address, raw, exported) == token:
        text = raw
    return settle_status(address, text, status, token, exported, untouched_for(exported)), text


def _extradata(value: str | None) -> tuple[str | None, str | None]:
    """(token, exported status) from ``extradata="aligner:token=T aligner:status=S"``."""
    token = status = None
    for part in (value or "").split():
        if part.startswith(TOKEN_PREFIX):
            token = part[len(TOKEN_PREFIX) :] or None
        elif part.startswith(STATUS_PREFIX):
            status = part[len(STATUS_PREFIX) :] or None
    return token, status


def read_xliff(
    path: str | os.PathLike,
    *,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    work: str | None = None,
) -> list[Edit]:
    """Read an XLIFF 1.2 or 2.0/2.1 file into Edits (see the module docstring).

    ``work``, if given, must equal each ``<file original>``: a file exported
    for another work is refused.
    """
    name = str(path)
    tree = parse_xml(path, kind="XLIFF")
    root = tree.getroot()
    ns = namespace(root)
    if local_name(root) != "xliff":
        raise InputError(name, f"not an XLIFF file: the root element is <{local_name(root)}>, not <xliff>")
    if ns == NS22 or (root.get("version") or "").startswith("2.2"):
        raise InputError(name, "XLIFF 2.2 is not supported: save the file as XLIFF 1.2 or 2.0/2.1")
    declared = (root.get("version") or "").strip()
    if ns == NS20:
        if declared not in ("2.0", "2.1"):
            raise InputError(name, f"XLIFF version {declared or '(none)'} in the 2.0 namespace: 2.0 or 2.1 expected",
                             line=root.sourceline)
        return _read20(name, root, src_lang, tgt_lang, work)
    if ns in NS1X:
        if declared and declared not in ("1.0", "1.1", "1.2"):
            raise InputError(name, f"XLIFF version {declared} is not supported: save the file as XLIFF 1.2 or 2.0/2.1",
                             line=root.sourceline)
        return _read12(name, root, ns, src_lang, tgt_lang, work)
    raise InputError(name, f"not an XLIFF file: unknown namespace {ns!r}", line=root.sourceline)


#: The target states XLIFF 1.2 defines (others must start with x-).
_STATES12 = frozenset({"final", "needs-adaptation", "needs-l10n", "needs-review-adaptation", "needs-review-l10n",
                       "needs-review-translation", "needs-translation", "new", "signed-off", "translated"})


def _read12(name, root, ns, src_lang, tgt_lang, work) -> list[Edit]:
    q = (lambda n: f"{{{ns}}}{n}") if ns else (lambda n: n)
    edits = EditList(name)
    files = root.findall(q("file"))
    if not files:
        raise InputError(name, "not an XLIFF file: it has no <file> element", line=root.sourceline)
    for file_ in files:
        _check_langs(
            name, file_.sourceline, file_.get("source-language"), file_.get("target-language"), src_lang, tgt_lang
        )
        original = file_.get("original")
        if work is not None and original != work:
            raise InputError(name, f"file is for work '{original}', not '{work}'", line=file_.sourceline)
        version = None
        header = file_.find(q("header"))
        if header is not None:
            for note in header.findall(q("note")):
                if note.get("from") == "aligner:version":
                    version = (note.text or "").strip() or None
        for tu in file_.iter(q("trans-unit")):
            if (tu.get("translate") or "yes").lower() == "no":
                continue
            line = tu.sourceline
            uid = tu.get("id")
            address = (tu.get("resname") or uid or "").strip() or None
            src_el = tu.find(q("source"))
            if src_el is None:
                raise InputError(name, "trans-unit has no <source>", line=line, unit=address)
            source = _text12(src_el)
            tgt_el = tu.find(q("target"))
            token, declared = _extradata(tu.get("extradata"))
            state = ""
            if tgt_el is None:
                status, text = "empty", ""
            else:
                text = raw = _text12(tgt_el)
                state = (tgt_el.get("state") or "").strip().lower()
                if state and state not in _STATES12 and not state.startswith("x-"):
                    # a hand-edited state would otherwise pass as "translated" (XLIFF 1.2 allows x- states only)
                    raise InputError(name, f"invalid target state '{state}' (XLIFF 1.2: {', '.join(sorted(_STATES12))},"
                                           " or x-…)", line=tgt_el.sourceline, unit=address)
                if tgt_lang and tgt_el.get(XML_LANG) and not lang_matches(tgt_el.get(XML_LANG), tgt_lang):
                    raise InputError(
                        name,
                        f"target is in {tgt_el.get(XML_LANG)}, expected {tgt_lang}",
                        line=tgt_el.sourceline,
                        unit=address,
                    )
                if (tu.get("approved") or "").lower() == "yes" or state in ("signed-off", "final"):
                    status = "confirmed"
                elif state == "translated":
                    status = "draft"
                elif state in ("", "new", "needs-translation") or state.startswith("needs-review"):
                    status, text = _status_from_text(state, text, source)
                else:  # needs-adaptation, needs-l10n, x-...: a target a person put there
                    status = "draft" if text else "empty"
                approved = (tu.get("approved") or "no").lower() == "yes"
                status, text = _settle(
                    address, raw, text, status, token, declared,
                    lambda exp: state == _STATE12[exp][0] and approved == (exp == "confirmed"),
                )
            extra = {"work": original} if original else {}
            if version:
                extra["version"] = version
            if state:
                extra["state"] = state
            edits.add(address=address, text=text, status=status, token=token, source_text=source, line=line,
                      unit=address, extra=extra)
    return list(edits)


def _read20(name, root, src_lang, tgt_lang, work) -> list[Edit]:
    q = lambda n: f"{{{NS20}}}{n}"  # noqa: E731
    _check_langs(name, root.sourceline, root.get("srcLang"), root.get("trgLang"), src_lang, tgt_lang)
    edits = EditList(name)
    for file_ in root.findall(q("file")):
        original = file_.get("original")
        if work is not None and original != work:
            raise InputError(name, f"file is for work '{original}', not '{work}'", line=file_.sourceline)
        for unit in file_.iter(q("unit")):
            if (unit.get("translate") or "yes").lower() == "no":
                continue
            line = unit.sourceline
            address = (unit.get("name") or unit.get("id") or "").strip() or None
            token = version = declared = None
            notes = unit.find(q("notes"))
            if notes is not None:
                for note in notes.findall(q("note")):
                    if note.get("category") == TOKEN_NOTE:
                        token = (note.text or "").strip() or None
                    elif note.get("category") == "aligner:version":
                        version = (note.text or "").strip() or None
            sources, targets, ranks, states, substates = [], [], [], [], []
            any_target = False
            for part in unit:
                kind = local_name(part)
                if kind not in ("segment", "ignorable"):
                    continue
                s_el, t_el = part.find(q("source")), part.find(q("target"))
                if s_el is None:
                    raise InputError(name, f"<{kind}> has no <source>", line=part.sourceline, unit=address)
                s_text = _text20(s_el)
                sources.append(s_text)
                if t_el is not None:
                    any_target = any_target or kind == "segment"
                    targets.append(_text20(t_el))
                else:
                    targets.append(s_text if kind == "ignorable" else "")
                if kind == "segment":
                    state = (part.get("state") or "initial").strip().lower()
                    if state not in _RANK20:
                        raise InputError(
                            name, f"invalid segment state '{state}'", line=part.sourceline, unit=address
                        )
                    ranks.append(_RANK20[state])
                    states.append(state)
                    substates.append(part.get("subState") or "")
            if not ranks:
                raise InputError(name, "unit has no <segment>", line=line, unit=address)
            source, text = "".join(sources), "".join(targets)
            raw = text if any_target else ""
            low = min(ranks)
            if not any_target:
                status, text = "empty", ""
            elif low >= _RANK20["reviewed"]:
                status = "confirmed"
            elif low == _RANK20["translated"]:
                status = "draft"
            else:
                status, text = _status_from_text("initial", text, source)
            if len(states) == 1 and substates[0].startswith("aligner:"):
                declared = substates[0].split(":", 1)[1]
            status, text = _settle(
                address, raw, text, status, token, declared,
                lambda exp: len(states) == 1 and states[0] == _STATE20[exp],
            )
            extra = {"work": original} if original else {}
            if version:
                extra["version"] = version
            edits.add(address=address, text=text, status=status, token=token, source_text=source, line=line,
                      unit=address, extra=extra)
    return list(edits)


def peek_xliff(path: str | os.PathLike) -> tuple[str | None, str | None]:
    """The work (``<file original>``) and the target language an XLIFF 1.2 or 2.0 file names."""
    root = parse_xml(path, kind="XLIFF").getroot()
    for el in root.iter():
        if local_name(el) == "file":
            return el.get("original"), el.get("target-language") or root.get("trgLang")
    return None, root.get("trgLang")


class XliffFormat(SlotFormat):
    """XLIFF 1.2 on export; any of 1.0-2.1 on import."""

    name = "xliff"
    label = "XLIFF"
    suffixes = (".xlf", ".xliff", ".sdlxliff")
    media_type = "application/xliff+xml"
    unit_word = "units"
    version = "1.2"

    def write(self, slots, out, *, work, lang, src_lang, tgt_lang, copy_source=False) -> int:
        return write_xliff(slots, out, work=work, src_lang=src_lang, tgt_lang=tgt_lang, version=self.version,
                           copy_source=copy_source)

    def peek(self, path):
        return peek_xliff(path)

    def read(self, path, *, work=None, lang=None, src_lang=None, tgt_lang=None) -> list[Edit]:
        return read_xliff(path, src_lang=src_lang, tgt_lang=tgt_lang, work=work)

    def sniff(self, head: bytes, root: str | None) -> bool:
        return root == "xliff"

    def validate(self, path):
        return validate_xliff(path)


class Xliff2Format(XliffFormat):
    """XLIFF 2.0 on export; imported as ``xliff`` (the reader tells the versions apart)."""

    name = "xliff2"
    label = "XLIFF 2.0"
    suffixes = ()
    version = "2.0"

    @property
    def can_read(self) -> bool:
        return False

    def sniff(self, head: bytes, root: str | None) -> bool:
        return False
