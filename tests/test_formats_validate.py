"""Finding the published schemas (TMX DTD, XLIFF XSDs) and the validator's command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from aligner.formats import validate
from aligner.formats.validate import SchemaNotInstalled, validate_xliff
from aligner.formats.xliff import NS12, write_xliff
from aligner.model import Slot

from .helpers import not_installed


def _write(tmp_path) -> Path:
    p = tmp_path / "letters-1.2.xlf"
    slot = Slot("letters", "ru", "24.1", ["24.1"], "Dear Vladimir Ilyich,", "Дорогой Владимир Ильич!", "draft")
    write_xliff([slot], p, work="letters", src_lang="en", tgt_lang="ru")
    return p


def _schema_errors(path):
    try:
        return validate_xliff(path)
    except SchemaNotInstalled as e:  # pragma: no cover - CI installs php-symfony-translation
        not_installed(f"XLIFF schema not installed: {e}")


def test_schema_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ALIGNER_SCHEMAS", str(tmp_path))
    monkeypatch.setattr(validate, "OMEGAT_JAR", tmp_path / "none" / "OmegaT.jar")
    monkeypatch.setattr(validate, "SYMFONY_SCHEMAS", tmp_path / "none")
    validate._tmx_dtd.cache_clear()
    try:
        with pytest.raises(SchemaNotInstalled, match="php-symfony-translation"):
            validate.find_xliff_xsd("1.2")
        with pytest.raises(SchemaNotInstalled, match="'omegat'"):
            validate.find_tmx_dtd()
    finally:
        validate._tmx_dtd.cache_clear()


def test_aligner_schemas_folder_is_searched_first(tmp_path, monkeypatch):
    try:
        xsd = validate.find_xliff_xsd("1.2")
        where, dtd = validate.find_tmx_dtd()
    except SchemaNotInstalled as e:
        not_installed(str(e))
    folder = tmp_path / "schemas"
    folder.mkdir()
    for name in ("xliff-core-1.2-strict.xsd", "xml.xsd"):
        (folder / name).write_bytes((xsd.parent / name).read_bytes())
    (folder / "tmx14.dtd").write_bytes(dtd)
    monkeypatch.setenv("ALIGNER_SCHEMAS", str(folder))
    assert validate.find_xliff_xsd("1.2") == folder / "xliff-core-1.2-strict.xsd"
    assert validate.find_tmx_dtd()[0] == str(folder / "tmx14.dtd")
    assert _schema_errors(_write(tmp_path)) == []


def test_validate_command_line(tmp_path, capsys):
    good = _write(tmp_path)
    bad = tmp_path / "bad.xlf"
    bad.write_text(f'<xliff xmlns="{NS12}" version="1.2"><file/></xliff>', encoding="utf-8")
    try:
        assert validate.main([str(good)]) == 0
    except SchemaNotInstalled as e:  # pragma: no cover
        not_installed(str(e))
    assert validate.main([str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{good}: valid" in out and f"{bad}: line 1:" in out
