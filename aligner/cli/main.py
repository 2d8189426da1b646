"""The ``aligner`` command: a thin click layer over the library.

Every command turns library errors into a one-line ``Error: ...`` and a
non-zero exit; the work itself lives in the modules it calls.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import sqlite3
import sys
from pathlib import Path

import click

from .. import roles, state
from ..errors import AlignerError, ConflictError
from ..terminal import clean
from ..corpus import DEFAULT_DB, DEFAULT_TEXTS
from ..formats import registry


def say(message: object = "", **kwargs) -> None:
    """Print for people: control characters in texts, names and file names are shown, not obeyed."""
    click.echo(clean(message), **kwargs)


#: What the running command has committed so far (set by :func:`_after_write`), for its error message.
_committed: list[str] = []


def _what_was_committed() -> str:
    return _committed[-1] if _committed else "nothing was committed"


def _errors(fn):
    """Turn library errors (and file-system and database errors) into click's one-line errors, control
    characters shown; a failure to write says whether anything was committed before it."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _committed.clear()
        try:
            return fn(*args, **kwargs)
        except click.ClickException as e:
            e.message = clean(e.message, one_line=True)
            raise
        except BrokenPipeError:
            raise  # the reader stopped (| head): click ends quietly, it is no error of the command
        except (AlignerError, OSError) as e:
            message = str(e) if isinstance(e, AlignerError) else f"{e.filename or ''}: {e.strerror}".lstrip(": ")
            if _committed:
                message += f" ({_what_was_committed()})"
            raise click.ClickException(clean(message, one_line=True)) from None
        except sqlite3.Error as e:
            # A read-only, full or failing disk: SQLite rolled the transaction back.
            db = kwargs.get("db_path") or "the database"
            raise click.ClickException(clean(f"{db}: cannot write the database ({e}); {_what_was_committed()}",
                                             one_line=True)) from None

    return wrapper


def db_option(fn):
    return click.option(
        "-d", "--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
        envvar="ALIGNER_DB", help="Corpus database",
    )(fn)


def texts_option(fn):
    return click.option(
        "--texts", "texts_dir", default=DEFAULT_TEXTS, show_default=True, type=click.Path(file_okay=False),
        envvar="ALIGNER_TEXTS", help="Folder of work folders (the text-file record)",
    )(fn)


def dump_option(fn):
    return click.option(
        "--dump/--no-dump", default=True, show_default=True,
        help="After a change, write the version's slots and history back to its text files",
    )(fn)


def embeddings_option(fn):
    """``--no-embeddings``: the aligner without sentence embeddings even when the extra is installed, to compare."""
    return click.option(
        "--no-embeddings", "no_embeddings", is_flag=True,
        help="Align without sentence embeddings even when the embeddings extra is installed (as ALIGNER_EMBEDDINGS=0;"
             " the command's own example shows where it goes).",
    )(fn)


def _embeddings_flag(no_embeddings: bool) -> bool | None:
    """The option as the library takes it: False = off, None = on when installed (and not switched off)."""
    return False if no_embeddings else None


def _open_store(db_path: str, texts_dir: str | None = None, *, write: bool = False):
    """The corpus; for a command that writes, held under the writers' lock until the command ends, so that its
    change and its dump are one step no build can come between."""
    from ..corpus import Store

    store = Store(db_path, texts_dir)
    if write:
        click.get_current_context().with_resource(store.writing())
    return store


def _after_write(store, work: str, key: str, dump: bool) -> None:
    _committed.append(f"the change is committed to the database, but the text files of {work}/{key} were not "
                      "written: run 'aligner dump' once the disk is writable")
    if not dump:
        return
    wdir = Path(store.texts_dir or DEFAULT_TEXTS) / work
    if (wdir / "work.toml").exists():
        store.dump(store.texts_dir, work=work, key=store.version(work, key)["key"])
    else:
        say(f"Note: {wdir} not found, changes are in the database only; run 'aligner dump'", err=True)


@click.group()
@click.version_option(package_name="aligner")
def cli():
    """Segment, align, edit and publish parallel editions of texts.

    A work lives in texts/<work>/ (work.toml and its texts); 'aligner build'
    makes db/corpus.db from it, 'aligner serve' publishes it with Datasette,
    and translators fill slots with set, import, the browser, or add-version.

    Example:

        aligner build && aligner serve
    """


# ---------------------------------------------------------------------------
# Segmenting


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--lang", default="en", show_default=True, help="Language of the text (BCP 47)")
@click.option("--no-structure", is_flag=True, help="Treat the input as running prose: sentences only, no blocks")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of segments")
@_errors
def segment(file, lang, no_structure, as_json):
    """Split a text into blocks (dateline, salutation, paragraph ...) and sentences.

    FILE may be - for standard input. A .tsv file with the columns
    book, chapter, verse, text is read as reference-keyed verses.

    Example:

        aligner segment texts/kropotkin-two-letters-to-lenin/en.txt
    """
    from ..text.segment import is_tsv, read_text, segment_text, segment_tsv

    text = read_text(file)
    if is_tsv(file):
        doc = segment_tsv(text, lang, path=file)
    else:
        doc = segment_text(text, lang, structure_pass=not no_structure)
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in doc.segments], ensure_ascii=False, indent=1))
        return
    last_block = None
    for s in doc.segments:
        if s.block != last_block and last_block is not None:
            say()
        last_block = s.block
        label = f"{s.ref:>8}  {s.kind:<10} "
        say(label + " ".join(s.text.split()))


# ---------------------------------------------------------------------------
# Building and serving


@cli.command()
@click.argument("texts_dir", default=DEFAULT_TEXTS, type=click.Path(file_okay=False))
@db_option
@click.option("--force", is_flag=True, help="Replace a database that holds revisions not yet dumped to text")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
              help="Worker processes building the next works while one is copied in (default: one per core for "
                   "a large corpus; 0: build in this process)")
@embeddings_option
@_errors
def build(texts_dir, db_path, force, as_json, jobs, no_embeddings):
    """Build the corpus database from the work folders in TEXTS_DIR.

    Builds into a temporary file and swaps it in only when everything
    succeeded: bad input leaves the old database as it was.

    Example:

        aligner build texts -d db/corpus.db --jobs 3
    """
    from ..record import find_works
    from ..corpus import build as do_build

    n = len(find_works(texts_dir))
    with click.progressbar(length=n, label="Building", file=sys.stderr, show_pos=True) as bar:
        report = do_build(texts_dir, db_path, force=force, jobs=jobs, progress=lambda _: bar.update(1),
                          embeddings=_embeddings_flag(no_embeddings))
    if as_json:
        click.echo(json.dumps(report.__dict__, ensure_ascii=False))
    else:
        say(
            f"{report.db_path}: {report.works} work(s), {report.versions} versions, {report.segments} segments, "
            f"{report.alignments} alignments, {report.revisions} revisions"
            + (f", {report.stale} stale" if report.stale else "")
        )
    for w in report.warnings:
        say(f"warning: {w}", err=True)


@cli.command()
@click.argument("db_path", default=DEFAULT_DB, type=click.Path(dir_okay=False))
@click.option("-h", "--host", default="127.0.0.1", show_default=True)
@click.option("-p", "--port", default=8001, show_default=True, type=int)
@click.option("-m", "--metadata", "metadata_path", default="db/metadata.yml", show_default=True,
              type=click.Path(dir_okay=False), help="Datasette metadata/config file")
@texts_option
@click.option("--immutable", is_flag=True, help="Serve read-only (a published copy: no editing)")
@click.option("--build/--no-build", "rebuild", default=False, help="Build the database from texts first")
@click.option("--secure-cookies", is_flag=True, envvar="ALIGNER_SECURE_COOKIES",
              help="Mark every cookie Secure and send HSTS (behind an HTTPS proxy)")
@_errors
def serve(db_path, host, port, metadata_path, texts_dir, immutable, rebuild, secure_cookies):
    """Publish the corpus with Datasette (reading pages, search, JSON API, editing).

    Example:

        aligner serve db/corpus.db --port 8001 --secure-cookies
    """
    if rebuild:
        from ..corpus import build as do_build

        do_build(texts_dir, db_path)
    if not Path(db_path).exists():
        raise click.ClickException(f"{db_path}: no such database (run 'aligner build' first)")
    if not immutable:
        from ..corpus.schema import upgrade

        upgrade(db_path)
    # Settings that depend on the corpus's size (facet suggestions) are chosen by the plugin at start-up, so
    # plain `datasette db/corpus.db -m db/metadata.yml` serves the same way.
    args = [sys.executable, "-m", "datasette", "serve", "--host", host, "--port", str(port),
            "--setting", "truncate_cells_html", "0", "--setting", "sql_time_limit_ms", "3000"]
    args += ["--immutable" if immutable else "", db_path]
    args = [a for a in args if a]
    if Path(metadata_path).exists():
        args += ["-m", metadata_path]
    env = dict(os.environ, ALIGNER_TEXTS=str(Path(texts_dir).resolve()))
    if secure_cookies:
        env["ALIGNER_SECURE_COOKIES"] = "1"
    env.setdefault(state.ENV_USERS, str(state.users_file()))
    if "DATASETTE_SECRET" not in env:
        # Kept in the per-user config folder, never beside the database or under texts/ (aligner.state).
        env["DATASETTE_SECRET"] = state.stable_secret()
    say(f"Serving {db_path} at http://{host}:{port}/", err=True)
    os.execve(sys.executable, args, env)


@cli.group()
def user():
    """Translators who may edit in the browser (their passwords are stored hashed, outside the repo).

    Roles: admin (everything), supervisor (may also confirm and re-align;
    all works, or the --work ones), editor (drafts in the --work works only).

    Example:

        aligner user add anna --role editor --work kropotkin-two-letters-to-lenin
    """


def users_file_option(fn):
    return click.option("--users-file", type=click.Path(dir_okay=False),
                        help="[default: $ALIGNER_USERS, else ~/.config/aligner/users.json]")(fn)


def _users_path(users_file: str | None) -> Path:
    return Path(users_file) if users_file else state.users_file()


def _describe(name: str, entry: dict) -> str:
    works = ", ".join(entry["works"]) or ("every work" if entry["role"] != "editor" else "no work yet")
    return f"{clean(name, one_line=True)}: {entry['role']} ({clean(works, one_line=True)})"


@user.command(name="add")
@click.argument("name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Asked for when not given")
@click.option("--role", type=click.Choice(roles.ROLES), help="[default: kept; a new user is an admin]")
@click.option("--work", "works", multiple=True, help="A work the user may edit (repeat for several)")
@users_file_option
@_errors
def user_add(name, password, role, works, users_file):
    """Add a translator (or change their password; --role and --work change those too).

    Example:

        aligner user add anna --role editor --work kropotkin-two-letters-to-lenin
    """
    from ..web.auth import add_user, read_users

    path = _users_path(users_file)
    try:
        add_user(path, name, password, role=role, works=list(works) if works else None)
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    entry = read_users(path)[name.strip()]
    say(f"{_describe(name, entry)}; can now sign in at /-/aligner-login (users file: {path})")


@user.command(name="set")
@click.argument("name")
@click.option("--role", type=click.Choice(roles.ROLES), help="The new role")
@click.option("--work", "works", multiple=True, help="Replace the user's works with these (repeat for several)")
@click.option("--add-work", "add_works", multiple=True, help="Add a work to the user's works")
@click.option("--remove-work", "remove_works", multiple=True, help="Take a work from the user's works")
@click.option("--all-works", is_flag=True, help="No list of works (a supervisor then covers every work)")
@users_file_option
@_errors
def user_set(name, role, works, add_works, remove_works, all_works, users_file):
    """Change a translator's role or works (takes effect at once, also in a running server).

    Example:

        aligner user set anna --role supervisor --all-works
    """
    from ..web.auth import set_role

    if not (role or works or add_works or remove_works or all_works):
        raise click.UsageError("give --role, --work, --add-work, --remove-work or --all-works")
    new_works = [] if all_works else (list(works) if works else None)
    try:
        entry = set_role(_users_path(users_file), name, role=role, works=new_works, add_works=list(add_works),
                         remove_works=list(remove_works))
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    say(_describe(name, entry))


@user.command(name="list")
@users_file_option
@_errors
def user_list(users_file):
    """Who may sign in, with their role and works.

    Example:

        aligner user list
    """
    from ..web.auth import read_users

    path = _users_path(users_file)
    try:
        found = read_users(path)
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    if not found:
        say(f"no users in {path}")
    for name, entry in sorted(found.items()):
        say(_describe(name, entry))


# ---------------------------------------------------------------------------
# Filling slots


def _work_and_key(store, work, lang, ref=None):
    w = store.work_of(ref, lang, work) if ref else store.work(work)
    v = store.version(w["id"], lang)
    return w["id"], v["key"]


@cli.command(name="set")
@click.argument("segment")
@click.argument("lang")
@click.argument("text", required=False)
@click.option("--status", type=click.Choice(["draft", "confirmed"]), default="draft", show_default=True)
@click.option("--clear", is_flag=True, help="Empty the slot")
@click.option("--as", "actor", help="Who is editing [default: $ALIGNER_USER, then git user.name]")
@click.option("--work", help="Work slug (needed only when the segment is in several works)")
@click.option("--token", help="Revision token your copy was made from: refuse if the slot changed since")
@db_option
@texts_option
@dump_option
@_errors
def set_(segment, lang, text, status, clear, actor, work, token, db_path, texts_dir, dump):
    """Fill, change or clear the LANG slot of a pivot SEGMENT, or give it a status.

    SEGMENT is an id such as 24.1, or a range 24.1-24.2 (or 24.1-2) for one
    alignment spanning several sentences. TEXT may be - for standard input.
    Without TEXT, --status confirms (or drafts) what the slot links to now,
    without copying it. Text the slot already shows is linked, not copied.

    Example:

        aligner set 24.1-24.2 ru "Неужели не нашлось среди Вас никого ..."
    """
    store = _open_store(db_path, texts_dir, write=True)
    w, key = _work_and_key(store, work, lang, segment)
    if text is None and not clear:
        if token:
            raise click.UsageError("--token goes with a TEXT")
        rid = store.set_status(w, key, segment, status, actor=actor, channel="cli")
        if rid is None:
            say(f"{segment} {key}: unchanged")
            return
        _after_write(store, w, key, dump)
        say(f"{segment} {key}: {status} (revision {rid})")
        return
    if clear:
        text, st = "", "empty"
    else:
        if text == "-":
            text = sys.stdin.read()
        if not text.strip():
            raise click.UsageError("TEXT is empty; use --clear to empty a slot")
        st = status
    try:
        rid = store.set_slot(w, key, segment, text, st, actor=actor, channel="cli", token=token)
    except ConflictError as e:
        raise click.ClickException(f"{e}; now: [{e.current_status}] {e.current_text}") from None
    if rid is None:
        say(f"{segment} {key}: unchanged")
        return
    _after_write(store, w, key, dump)
    say(f"{segment} {key}: {st} (revision {rid})")


@cli.command()
@click.option("--work", help="Only this work")
@click.option("--json", "as_json", is_flag=True)
@click.option("--csv", "as_csv", is_flag=True)
@db_option
@_errors
def status(work, as_json, as_csv, db_path):
    """How many slots of each version are empty, auto, draft, confirmed (and stale).

    Example:

        aligner status --json
    """
    store = _open_store(db_path)
    rows = store.status_counts(work)
    _print_rows(rows, as_json, as_csv, ["work", "version", "empty", "auto", "draft", "confirmed", "stale", "total"])


def _print_rows(rows: list[dict], as_json: bool, as_csv: bool, columns: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    elif as_csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buf.getvalue(), nl=False)
    else:
        from tabulate import tabulate

        say(tabulate([[r.get(c) for c in columns] for r in rows], headers=columns))


@cli.command()
@click.argument("segment")
@click.argument("lang", required=False)
@click.option("--work", help="Work slug (needed only when the segment is in several works)")
@click.option("--json", "as_json", is_flag=True)
@click.option("--csv", "as_csv", is_flag=True)
@db_option
@_errors
def history(segment, lang, work, as_json, as_csv, db_path):
    """Every change to the slots of a pivot SEGMENT (all versions, or LANG's).

    Example:

        aligner history 24.1 ru
    """
    store = _open_store(db_path)
    w = store.work_of(segment, lang, work)["id"]
    rows = store.history(w, segment, lang)
    if as_json or as_csv:
        _print_rows(rows, as_json, as_csv, list(rows[0]) if rows else ["id"])
        return
    if not rows:
        say(f"{segment}: no changes yet")
    for r in rows:
        what = f"reverts {r['reverts']}" if r["reverts"] else r["channel"] + (f" ({r['op']})" if r["op"] else "")
        say(f"#{r['id']} {r['at']} {clean(r['actor'], one_line=True)} via {clean(what, one_line=True)}: "
            f"{r['version']} {r['address']}")
        if r["op"] and r["op"] != "set":
            # a link operation moves sentences between rows, often with the same text: show the rows
            full = store.revision(r["id"])
            for sign, side in (("-", "before"), ("+", "after")):
                links = json.loads(full[side] or "{}").get("links", [])
                say(f"    {sign} " + clean(" | ".join(_layout(x) for x in links), one_line=True))
        else:
            say(f"    - [{r['old_status']}] {r['old_text']}")
            say(f"    + [{r['new_status']}] {r['new_text']}")


def _layout(link: dict) -> str:
    """One row of a link operation as the history shows it: ``24.1-24.2 = 4.1 4.2 [draft]``."""
    pivot = link.get("pivot") or []
    where = (pivot[0] if len(pivot) == 1 else f"{pivot[0]}-{pivot[-1]}") if pivot else "(no pivot)"
    return f"{where} = {' '.join(link.get('targets') or []) or '(nothing)'} [{link.get('status')}]"


@cli.command()
@click.argument("revision", type=int)
@click.option("--as", "actor", help="Who is reverting")
@db_option
@texts_option
@dump_option
@_errors
def revert(revision, actor, db_path, texts_dir, dump):
    """Undo REVISION: its slot goes back to the state before it, as a new revision.

    Example:

        aligner revert 17
    """
    store = _open_store(db_path, texts_dir, write=True)
    reverted = store.revision(revision)
    rid = store.revert(revision, actor=actor)
    if rid is None:
        say(f"revision {revision}: nothing to undo (the slot is already in that state)")
        return
    _after_write(store, reverted["work"], reverted["key"], dump)
    say(f"reverted revision {revision} as revision {rid}")


@cli.command()
@click.option("--work", help="Only this work")
@db_option
@texts_option
@_errors
def dump(work, db_path, texts_dir):
    """Write all translators' work (slots, statuses, provenance, history) to text files.

    The files are texts/<work>/<version>.slots.jsonl and .history.jsonl:
    stable order, one alignment or revision a line, so git diffs stay small.

    Example:

        aligner dump && git diff texts/
    """
    store = _open_store(db_path, texts_dir)
    files = store.dump(texts_dir, work=work)
    say(f"wrote {len(files)} file(s)")


# ---------------------------------------------------------------------------
# Whole texts and automatic alignment


@cli.command(name="new-work")
@click.argument("slug")
@click.option("--title", required=True, help="The work's title")
@click.option("--pivot", "pivot_file", required=True, type=click.Path(dir_okay=False),
              help="The pivot's text (plain text, or a book/chapter/verse TSV)")
@click.option("--lang", required=True, help="The pivot's language (BCP 47: en, ru, es ...)")
@click.option("--key", help="The pivot version's key when it is not just the language (e.g. en-kjv)")
@click.option("--author")
@click.option("--year", type=int)
@click.option("--source", help="Where the text comes from")
@click.option("--licence", help="Licence or copyright note")
@click.option("--build/--no-build", "rebuild", default=True, show_default=True, help="Build the database afterwards")
@db_option
@texts_option
@_errors
def new_work(slug, title, pivot_file, lang, key, author, year, source, licence, rebuild, db_path, texts_dir):
    """Start a new work in texts/SLUG/: its pivot text copied in and a commented work.toml declaring it.

    Example:

        aligner new-work mark --title "The Gospel of Mark" --pivot mark.kjv.tsv --lang en --author "Mark"
    """
    from ..corpus import build as do_build
    from ..record import create_work

    folder = create_work(texts_dir, slug, title=title, lang=lang, key=key, pivot_file=pivot_file, author=author,
                         year=year, source=source, licence=licence)
    say(f"{folder}: new work, pivot {lang}; add versions with: aligner add-version {slug} LANG FILE")
    if rebuild:
        report = do_build(texts_dir, db_path)
        say(f"{report.db_path}: {report.works} work(s), {report.segments} segments")


@cli.command(name="add-version")
@click.argument("work")
@click.argument("lang")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--key", help="Version key when a language has several versions (e.g. es-1977) [default: LANG]")
@click.option("--translator", help="Who translated it")
@click.option("--year", type=int, help="Year of the translation or edition")
@click.option("--source", help="Where the text comes from")
@click.option("--licence", help="Licence or copyright note")
@click.option("--title", help="Title of this version")
@click.option("--role", type=click.Choice(["translation", "original"]), default="translation", show_default=True)
@click.option("--replace", is_flag=True, help="Replace a version's text; human alignments are kept where they still fit")
@db_option
@texts_option
@embeddings_option
@_errors
def add_version(work, lang, file, key, translator, year, source, licence, title, role, replace, db_path, texts_dir,
                no_embeddings):
    """Import a whole text as a version of WORK, segment it and align it to the pivot.

    The text is copied into texts/WORK/ and declared in work.toml; the
    database is rebuilt, and the new sentences are aligned automatically
    (status auto) around any alignments people already made.

    Example:

        aligner add-version kropotkin-two-letters-to-lenin ru letters.ru.txt --translator "—" --year 1923
    """
    from ..corpus import add_version as do_add
    from ..corpus import Store

    if Path(db_path).exists():
        # Everything typed so far goes to text first, so the rebuild loses nothing.
        Store(db_path, texts_dir).dump(texts_dir)
    report = do_add(texts_dir, work, lang, file, key=key, replace=replace, translator=translator, year=year,
                    source=source, licence=licence, title=title, role=role, db_path=db_path,
                    embeddings=_embeddings_flag(no_embeddings))
    store = Store(db_path, texts_dir)
    store.dump(texts_dir, work=work, key=report.key)
    counts = next(r for r in store.status_counts(work) if r["version"] == report.key)
    say(
        f"{work}/{report.key}: {report.sentences} sentences from {file}; slots: {counts['auto']} auto, "
        f"{counts['draft'] + counts['confirmed']} by people, {counts['empty']} empty, {counts['stale']} stale"
    )
    for w in report.notes:
        say(f"warning: {w}", err=True)


@cli.command()
@click.argument("work")
@click.argument("lang")
@click.option("--from", "start", help="Align again only from this row on (rows before it stay as they are)")
@click.option("--to", "end", help="Align again only up to this row")
@click.option("--as", "actor", help="Who is re-aligning [default: $ALIGNER_USER, then git user.name]")
@click.option("--json", "as_json", is_flag=True)
@db_option
@texts_option
@dump_option
@embeddings_option
@_errors
def align(work, lang, start, end, actor, as_json, db_path, texts_dir, dump, no_embeddings):
    """Re-run automatic alignment for one version; human links, statuses and clears stay as they are.

    The automatic rows it changes are one revision in the history, undone
    by 'aligner revert ID'; when it changes nothing, nothing is recorded.

    Example:

        aligner align kropotkin-two-letters-to-lenin ru --from 24.1
    """
    store = _open_store(db_path, texts_dir, write=True)
    w = store.work(work)["id"]
    report = store.realign(w, lang, start=start, end=end, embeddings=_embeddings_flag(no_embeddings), actor=actor,
                           channel="cli")
    for note in report.notes:
        say(f"warning: {note}", err=True)
    if report.revision is not None:
        _after_write(store, w, report.key, dump)
    if as_json:
        click.echo(json.dumps(report.__dict__, ensure_ascii=False))
    else:
        rid = report.revision
        say(f"{w}/{report.key}: {report.auto} automatic alignments ({report.changed} changed), "
            f"{report.kept} made by people kept"
            + (f" (revision {rid}; undo with: aligner revert {rid})" if rid is not None else "; nothing changed"))


@cli.command(name="align-files")
@click.argument("src", type=click.Path(dir_okay=False, allow_dash=True))
@click.argument("tgt", type=click.Path(dir_okay=False))
@click.option("--src-lang", default="en", show_default=True)
@click.option("--tgt-lang", required=True)
@click.option("--presegmented", is_flag=True, help="One sentence per line, taken as given")
@click.option("--format", "fmt", type=click.Choice(["ladder", "tsv", "json"]), default="ladder", show_default=True)
@click.option("--partial/--no-partial", default=None, help="The target covers only part of the source [default: guess]")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-")
@click.option("--model1", is_flag=True, hidden=True,
              help="Kept for older scripts: the same as --no-embeddings. The word translation model (IBM Model 1) "
                   "learnt from the two texts is on by default, and added to the embeddings' term when they are used")
@embeddings_option
@_errors
def align_files(src, tgt, src_lang, tgt_lang, presegmented, fmt, partial, output, model1, no_embeddings):
    """Align two texts without a database, as hunalign or Vecalign do.

    ladder prints one bead per line as [src ids]:[tgt ids] (0-based);
    tsv prints source and target text side by side with the score.

    Example:

        aligner align-files de.txt fr.txt --src-lang de --tgt-lang fr --presegmented
    """
    from ..align import Block, align_blocks, align_sentences
    from ..text.segment import blocks_of, is_tsv, read_text, segment_text, segment_tsv

    def load(path, lang):
        text = read_text(path)
        if presegmented:
            # Every line is a sentence, empty ones included, so ids are line numbers (0-based).
            lines = text.split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            return lines, None
        # a keyed .tsv (verses) is read as the corpus reads it: its keys pair blocks, its header is no sentence
        doc = segment_tsv(text, lang, path=path) if is_tsv(path) else segment_text(text, lang)
        blocks = [Block(kind=b[0].kind, sentences=[s.text for s in b], key=b[0].key, division=b[0].division)
                  for b in blocks_of(doc.segments)]
        return [s.text for s in doc.segments], blocks

    s_sents, s_blocks = load(src, src_lang)
    t_sents, t_blocks = load(tgt, tgt_lang)
    kwargs = {} if partial is None else {"partial": partial}
    from ..align.embed import default_embedder

    if not model1:  # --model1 once meant "Model 1 instead of embeddings"; Model 1 is on either way now
        embedder = default_embedder(None, _embeddings_flag(no_embeddings))  # no database: vectors cached in memory
        if embedder is not None:
            kwargs["embedder"] = embedder
    if presegmented:
        beads = align_sentences(s_sents, t_sents, src_lang, tgt_lang, **kwargs)
    else:
        beads = align_blocks(s_blocks, t_blocks, src_lang, tgt_lang, **kwargs)
    for b in beads:
        if fmt == "ladder":
            output.write(f"{list(b.src)}:{list(b.tgt)}\n")
        elif fmt == "tsv":
            # one bead a line: a sentence's own line breaks (a two-line dateline) and tabs become spaces
            s = " ".join(" ".join(s_sents[i].split()) for i in b.src)
            t = " ".join(" ".join(t_sents[j].split()) for j in b.tgt)
            output.write(f"{s}\t{t}\t{b.score:.3f}\n")
        else:
            output.write(json.dumps({"src": list(b.src), "tgt": list(b.tgt), "score": round(b.score, 4)}) + "\n")


# ---------------------------------------------------------------------------
# Round trips: spreadsheets, CAT tools, readers' formats


@cli.command()
@click.argument("work")
@click.option("--lang", "lang", help="Version to export (key or language); for html/tei a comma list [default: all]")
@click.option("-f", "--format", "fmt", type=click.Choice(registry.names()),
              help="Output format [default: from -o's suffix]")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, allow_dash=True), help="File to write (- for stdout)")
@click.option("--copy-source", is_flag=True, help="XLIFF: fill empty targets with the English (for OmegaT)")
@click.option("--validate/--no-validate", default=False, help="Validate TMX/XLIFF/TEI output against its schema")
@db_option
@_errors
def export(work, lang, fmt, output, copy_source, validate, db_path):
    """Write a version's slots for translators (csv, xlsx, tmx, xliff, xliff2) or readers (html, tei).

    Example:

        aligner export kropotkin-two-letters-to-lenin --lang ru --format csv -o ru.csv
    """
    form = registry.for_output(output, fmt)
    store = _open_store(db_path)
    w = store.work(work)
    if form.needs_lang and not lang:
        raise click.UsageError("give --lang: the version to export")
    if output == "-" and not form.streams:
        raise click.UsageError(f"{form.label} cannot go to standard output; give -o FILE")
    n = form.export(store, w["id"], lang, sys.stdout.buffer if output == "-" else output, copy_source=copy_source)
    if validate and output != "-":
        _validate(form, output)
    if output != "-":
        say(f"wrote {n} {form.unit_word} to {output}" if form.unit_word else f"wrote {output}", err=True)


def _validate(form, output: str) -> None:
    try:
        errors = form.validate(output)
    except RuntimeError as e:
        raise click.ClickException(str(e)) from None
    if errors is None:
        return
    if errors:
        raise click.ClickException(f"{output}: not valid {form.name.upper()}: {errors[0]}")
    say(f"{output}: valid {form.name.upper()}", err=True)


@cli.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--work", help="Work slug [default: the one the file names, or the only one]")
@click.option("--lang", help="Version (key or language) [default: the one the file names]")
@click.option("-f", "--format", "fmt", type=click.Choice(registry.names(readable=True)),
              help="[default: from the suffix, else the content]")
@click.option("--force", is_flag=True, help="Apply rows even where the slot changed since the export")
@click.option("--as", "actor", help="Who is importing [default: $ALIGNER_USER, then git user.name]")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
@db_option
@texts_option
@dump_option
@_errors
def import_(file, work, lang, fmt, force, actor, as_json, db_path, texts_dir, dump):
    """Read translators' work back from a CSV, XLSX, TMX or XLIFF file.

    Changed rows become new revisions; untouched rows change nothing; a row
    whose slot someone else changed since the export is reported as a
    conflict and left alone (unless --force). Units are matched by id, then
    by exact English text; what cannot be matched is listed. The whole import
    is one transaction: an error anywhere changes nothing.

    Example:

        aligner import ru.csv --as anna
    """
    store = _open_store(db_path, texts_dir, write=True)
    try:
        form = registry.for_input(file, fmt)
        w, v, edits = form.load(store, file, work=work, lang=lang)
        report = store.apply_edits(w["id"], v["key"], edits, actor=actor, channel=form.name, force=force)
    except AlignerError as e:
        msg = str(e)
        raise click.ClickException(msg if msg.startswith(file) else f"{file}: {msg.removeprefix('<input>: ')}") from None
    if report.applied:
        _after_write(store, w["id"], v["key"], dump)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    else:
        say(f"{file}: {len(report.applied)} applied, {len(report.unchanged)} unchanged, "
                   f"{len(report.conflicts)} conflicts, {len(report.unmatched)} unmatched")
        for e, s in report.conflicts:
            say(f"  conflict {e.address} ({e.where}): now [{s.status}] {s.text!r}; yours {e.text!r}")
        for e in report.unmatched:
            say(f"  unmatched {e.where}: {e.address or (e.source_text or '')[:60]!r}")
    if report.conflicts or report.unmatched:
        sys.exit(3)
