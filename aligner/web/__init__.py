"""The Datasette plugin: reading, comparing, searching, editing and picturing aligned texts.

Registered through the ``datasette`` entry point, so ``datasette db/corpus.db``
(and ``aligner serve``) load it. Being a package, it gets from Datasette what
any plugin package gets: ``templates/`` joins the template path and
``static/`` is served at ``/-/static-plugins/<plugin>/``. This module holds
the hooks only; each page family is a module beside it:

* ``/-/works``, ``/-/work/<work>``, ``/-/read/<work>``: :mod:`.read` (``?with=ru,es``, ``?part=N``; ``.json``);
* ``/-/compare/<work>?a=..&b=..``: :mod:`.compare`, two versions side by side with a word diff;
* ``/-/search/<work>?q=..&lang=..``: :mod:`.search`, full-text search in every language;
* ``/-/map/<work>/<key>``: :mod:`.map`, the alignment path as a picture (:mod:`.svg`);
* ``/-/history/<work>``: :mod:`.history`, recent changes;
* ``/-/edit/<work>/<key>/<address>``: :mod:`.edit`, the editing form and its POST endpoint;
* ``/-/op/<work>/<key>``: :mod:`.editor`, the row operations of the editor on the reading page (POST);
* ``/-/aligner-login``, ``/-/aligner-logout``: :mod:`.login`, sign-in for translators (:mod:`.auth`).

Datasette's own table pages stay fast on a large corpus through :mod:`.scale` (counted facets, settings
chosen by the corpus's size at start-up, the database file mapped into memory).

What the pages read comes from :mod:`aligner.corpus.queries`; what they write
goes through :class:`aligner.corpus.Store`.

Configuration (``metadata.yml``, ``plugins: aligner: ...``) — all optional:
``users_file`` (else ``$ALIGNER_USERS``), ``texts_dir`` (else
``$ALIGNER_TEXTS``: where a saved edit is dumped as text), ``login_days``,
``secure_cookies`` (else ``$ALIGNER_SECURE_COOKIES``: behind HTTPS),
``max_body_bytes``. Roles per work decide who may edit what (:mod:`aligner.roles`);
:mod:`.guard` sits in front of every request (body limit, security headers).
"""

from __future__ import annotations

from datasette import hookimpl

from .. import roles
from . import auth, guard, scale
from .compare import compare_view
from .edit import edit_view
from .editor import op_view
from .history import history_view
from .login import login_view, logout_view
from .map import map_view
from .pages import static_url
from .read import read_view, work_view, works_view
from .search import search_view
from .tablesearch import search_rewriter


def ensure_registered() -> None:
    """Register this plugin with Datasette when the package is used without being installed."""
    import sys

    from datasette.plugins import pm

    module = sys.modules[__name__]
    if not pm.is_registered(module) and pm.get_plugin("aligner") is None:
        pm.register(module, name="aligner")


@hookimpl
def register_routes():
    work = r"(?P<work>[^/]+?)"
    fmt = r"(\.(?P<format>json))?"
    return [
        (r"^/-/works" + fmt + "$", works_view),
        (rf"^/-/work/{work}" + fmt + "$", work_view),
        (rf"^/-/read/{work}" + fmt + "$", read_view),
        (rf"^/-/compare/{work}" + fmt + "$", compare_view),
        (rf"^/-/search/{work}" + fmt + "$", search_view),
        (rf"^/-/map/{work}/(?P<key>[^/]+?)" + fmt + "$", map_view),
        (rf"^/-/history/{work}" + fmt + "$", history_view),
        (r"^/-/edit/(?P<work>[^/]+)/(?P<key>[^/]+)/(?P<address>[^/]+)$", edit_view),
        (r"^/-/op/(?P<work>[^/]+)/(?P<key>[^/]+)$", op_view),
        (r"^/-/aligner-login$", login_view),
        (r"^/-/aligner-logout$", logout_view),
    ]


@hookimpl
def asgi_wrapper(datasette):
    # Body limit, security headers, Secure cookies in front of every request (.guard); then Datasette's own
    # table search on segments normalised like the plugin's (.tablesearch).
    return lambda app: guard.wrap(search_rewriter(scale.facet_rewriter(app)), datasette)


@hookimpl
def register_facet_classes():
    # Facets read from the counts the build keeps when the filters allow it (.facets).
    return [scale.CountedFacet]


@hookimpl
def prepare_connection(conn):
    scale.map_file(conn)


@hookimpl
def startup(datasette):
    # Which corpora are large decides suggestions and facet caps (.facets).
    async def inner():
        await scale.note_sizes(datasette)

    return inner


@hookimpl
def extra_css_urls(template, datasette):
    if template and template.startswith("aligner_"):
        return [static_url(datasette, "aligner.css"), static_url(datasette, "layout.css")]
    return []


@hookimpl
def actor_from_request(datasette, request):
    # Our sign-ins are Datasette's own ds_actor cookie; we accept one only
    # while the user is still in the users file with the same password.
    return auth.actor_from_cookie(datasette, request)


@hookimpl
def permission_allowed(datasette, actor, action, resource):
    # aligner-edit, aligner-confirm, aligner-realign on a work: the user's role decides (.roles).
    if action not in roles.ACTIONS:
        return None
    entry = auth.entry_of(datasette, actor)
    if entry is not None:
        return roles.may(entry, action, resource)
    if actor and isinstance(actor, dict) and "aligner" in actor:
        return False  # signed in through us, but removed, signed out or password changed since
    return None


@hookimpl
def menu_links(datasette, actor):
    links = [{"href": datasette.urls.path("/-/works"), "label": "Read parallel texts"}]
    if not actor and auth.users_file(datasette) is not None:
        links.append({"href": datasette.urls.path("/-/aligner-login"), "label": "Sign in to edit"})
    return links


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - convenience for running from a checkout
    """``python -m aligner.web db/corpus.db``: Datasette with this plugin, installed or not."""
    import sys

    ensure_registered()
    from datasette.cli import cli

    cli(["serve", *(argv if argv is not None else sys.argv[1:])])
