"""The alignment editor on the command line: one command per link operation, each one revertable revision.

Rows are named as in :mod:`aligner.corpus.links`: a pivot ref (``24.1``) names the row that holds that
sentence; the version's own sentences are written ``KEY:REF`` (``ru:4.1``) or, where a command takes only
them, plain (``4.1``).
"""

from __future__ import annotations

import click

from .main import _after_write, _errors, _open_store, cli, db_option, dump_option, say, texts_option


def editor_command(fn):
    """The arguments and options every editing command shares: WORK, LANG, who, where, and the dump."""
    fn = click.option("--as", "actor", help="Who is editing [default: $ALIGNER_USER, then git user.name]")(fn)
    fn = db_option(texts_option(dump_option(_errors(fn))))
    return fn


def _report(store, work: str, lang: str, what: str, rid: int | None, dump: bool) -> None:
    """Dump the version after a change and say what happened, with the revision to revert."""
    if rid is None:
        say(f"{what}: nothing changed")
        return
    _after_write(store, work, lang, dump)
    say(f"{what} (revision {rid}; undo with: aligner revert {rid})")


def _run(db_path, texts_dir, dump, work, lang, what, call):
    store = _open_store(db_path, texts_dir, write=True)
    w = store.work(work)["id"]
    key = store.version(w, lang)["key"]
    rid = call(store, w, key)
    _report(store, w, key, what, rid, dump)


@cli.command()
@click.argument("work")
@click.argument("lang")
@click.argument("pivot_range")
@click.argument("target_range")
@click.option("--status", type=click.Choice(["draft", "confirmed"]), default="confirmed", show_default=True)
@editor_command
def link(work, lang, pivot_range, target_range, status, actor, db_path, texts_dir, dump):
    """Link PIVOT_RANGE to the version's TARGET_RANGE as one row (n:m); other rows keep the rest.

    A range is one ref or FIRST-LAST. Give - for PIVOT_RANGE to confirm a sentence that is not in the
    pivot (0:1), or - for TARGET_RANGE to confirm that the pivot sentences have no counterpart (1:0).

    Example:

        aligner link kropotkin-two-letters-to-lenin ru 24.1-24.2 4.1
    """
    p = None if pivot_range == "-" else pivot_range
    t = None if target_range == "-" else target_range
    _run(db_path, texts_dir, dump, work, lang, f"{pivot_range} = {lang}:{target_range}",
         lambda s, w, k: s.link(w, k, p, t, status=status, actor=actor))


@cli.command()
@click.argument("work")
@click.argument("lang")
@click.option("--through", "through", help="Last row to confirm (default: the last row)")
@click.option("--from", "start", help="First row to confirm (default: the first row)")
@editor_command
def confirm(work, lang, through, start, actor, db_path, texts_dir, dump):
    """Confirm every automatic or draft row (with text) from --from through --through, links kept.

    Example:

        aligner confirm kropotkin-two-letters-to-lenin ru --through 25.1
    """
    _run(db_path, texts_dir, dump, work, lang, f"confirmed {start or 'start'}..{through or 'end'} {lang}",
         lambda s, w, k: s.confirm_through(w, k, through, start=start, actor=actor))


def _direction_command(name: str, method: str, doc: str):
    @click.argument("work")
    @click.argument("lang")
    @click.argument("row")
    @click.argument("direction", type=click.Choice(["up", "down"]))
    @editor_command
    def command(work, lang, row, direction, actor, db_path, texts_dir, dump):
        _run(db_path, texts_dir, dump, work, lang, f"{name} {row} {lang} {direction}",
             lambda s, w, k: getattr(s, method)(w, k, row, direction, actor=actor))

    command.__doc__ = doc
    return cli.command(name=name)(command)


_direction_command("move", "move", """Move one sentence of the version from ROW to the row above (up) or below (down).

    Up takes the row's first sentence, down its last.

    Example:

        aligner move kropotkin-two-letters-to-lenin ru 24.1 down
    """)
_direction_command("shift", "shift", """Shift the version's column from ROW on by one row: up closes a gap, down opens one.

    Up: ROW's text joins the row above and each later row takes the text of the row after it, as far as the
    first row holding several sentences (it gives up its first one only).
    Down: ROW is left empty and each later row takes the text of the row before it, as far as the first
    empty row (it takes the text pushed into it). With no such row, to the end of the part (a chapter).

    Example:

        aligner shift mark ru-synodal Mark.1.4.1 up
    """)


@cli.command()
@click.argument("work")
@click.argument("lang")
@click.argument("row")
@editor_command
def merge(work, lang, row, actor, db_path, texts_dir, dump):
    """Merge ROW with the row below it (both sides) into one n:m row.

    Example:

        aligner merge kropotkin-two-letters-to-lenin ru 24.1
    """
    _run(db_path, texts_dir, dump, work, lang, f"merged {row} {lang} with the next row",
         lambda s, w, k: s.merge(w, k, row, actor=actor))


@cli.command()
@click.argument("work")
@click.argument("lang")
@click.argument("row")
@click.option("--pivot-at", help="The pivot sentence that starts the second row (default: the row's last)")
@click.option("--target-at", help="The version's sentence that starts the second row (default: the row's last)")
@editor_command
def split(work, lang, row, pivot_at, target_at, actor, db_path, texts_dir, dump):
    """Split ROW in two rows; by default the last sentence of each side goes to the second row.

    Example:

        aligner split kropotkin-two-letters-to-lenin ru 24.1 --pivot-at 24.2
    """
    _run(db_path, texts_dir, dump, work, lang, f"split {row} {lang}",
         lambda s, w, k: s.split(w, k, row, pivot_at=pivot_at, target_at=target_at, actor=actor))


@cli.command()
@click.argument("work")
@click.argument("lang")
@click.argument("target")
@click.argument("row")
@editor_command
def attach(work, lang, target, row, actor, db_path, texts_dir, dump):
    """Attach the version's sentence TARGET (a leftover, or one taken from its row) to ROW.

    Example:

        aligner attach kropotkin-two-letters-to-lenin ru 1.1 21.1
    """
    _run(db_path, texts_dir, dump, work, lang, f"attached {lang}:{target} to {row}",
         lambda s, w, k: s.attach(w, k, target, row, actor=actor))


@cli.command()
@click.argument("work")
@click.argument("lang")
@click.argument("target")
@editor_command
def detach(work, lang, target, actor, db_path, texts_dir, dump):
    """Take the version's sentence TARGET out of its row: it stays, as a leftover row of its own.

    Example:

        aligner detach kropotkin-two-letters-to-lenin ru 1.1
    """
    _run(db_path, texts_dir, dump, work, lang, f"detached {lang}:{target}",
         lambda s, w, k: s.detach(w, k, target, actor=actor))


@cli.command()
@click.argument("work")
@click.argument("lang")
@click.argument("target")
@click.argument("text")
@editor_command
def correct(work, lang, target, text, actor, db_path, texts_dir, dump):
    """Correct the text of the version's sentence TARGET (a typo); its links stay. TEXT may be - (stdin).

    Example:

        aligner correct kropotkin-two-letters-to-lenin ru 2.1 "Владимир Ильич!"
    """
    if text == "-":
        text = click.get_text_stream("stdin").read()
    _run(db_path, texts_dir, dump, work, lang, f"corrected {lang}:{target}",
         lambda s, w, k: s.correct(w, k, target, text, actor=actor))
