"""Every command is documented: in the README's table and with an example in its --help."""

import re

import pytest
from click.testing import CliRunner

from aligner.cli import cli

from .helpers import ROOT


def all_commands(group=cli, prefix=""):
    for name, cmd in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        if hasattr(cmd, "commands"):
            yield from all_commands(cmd, full + " ")
        else:
            yield full, cmd


@pytest.mark.parametrize("name,cmd", list(all_commands()), ids=lambda x: x if isinstance(x, str) else "")
def test_command_is_in_readme(name, cmd):
    readme = (ROOT / "README.md").read_text("utf-8")
    assert re.search(rf"`aligner {re.escape(name)}\b", readme), f"aligner {name} is not in README.md"


@pytest.mark.parametrize("name,cmd", list(all_commands()), ids=lambda x: x if isinstance(x, str) else "")
def test_command_help_has_an_example(name, cmd):
    r = CliRunner().invoke(cli, name.split() + ["--help"])
    assert r.exit_code == 0
    assert "Example:" in r.output and f"aligner {name.split()[0]}" in r.output.split("Example:")[1]


def test_python_api_is_exposed_at_the_top():
    import aligner

    for name in aligner.__all__:
        assert getattr(aligner, name) is not None
    doc = aligner.segment_text("Dear Sir,\nIt rains. It pours.", "en")
    assert [s.ref for s in doc.segments] == ["1.1", "2.1", "2.2"]


def readme_commands():
    """The README's two commands: the indented lines of its "Two commands" section."""
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    ") and line.strip()]


def test_readme_has_two_commands_that_make_their_own_environment():
    main, tests = readme_commands()
    for command in (main, tests):
        assert command.startswith("{ [ -x .venv/bin/python ] || python3 -m venv .venv; } && .venv/bin/python -m pip install"), command
        assert " pip install -e" not in command.replace(".venv/bin/python -m pip install -q -e", ""), command
    assert main.endswith(".venv/bin/aligner build && .venv/bin/aligner serve")
    assert ".venv/bin/python -m pytest" in tests


def test_ci_runs_the_readme_test_command_verbatim_with_the_distribution_python_first():
    _, tests = readme_commands()
    run = (ROOT / ".ci" / "run").read_text("utf-8")
    lines = [line for line in run.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert lines[-1] == tests
    path_line = run.index('export PATH="/usr/bin:$PATH"')
    assert path_line < run.index(tests)
