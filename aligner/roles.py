"""Who may do what to which work: roles per user, in the spirit of InterText's server.

* ``admin``: every work, every action (and, as before roles existed, every
  entry of a users file that names no role: an old file keeps working as it did).
* ``supervisor``: may edit, confirm and re-align; every work, or only the works
  listed for them when any are.
* ``editor``: may edit only the works assigned to them, and only as drafts:
  setting a slot to ``confirmed``, or changing a slot a supervisor confirmed,
  is a supervisor's call.

The role and the works are kept with the password hash in the users file
(:mod:`aligner.web.auth`; ``aligner user add NAME --role editor --work SLUG``) and read
anew whenever it changes, so a change of role takes effect at once. This
module only decides; the plugin asks it through Datasette's permissions
(``aligner-edit``, ``aligner-confirm``, ``aligner-realign``, with the work as
the resource) and before every save (:func:`refusal`).
"""

from __future__ import annotations

ROLES = ("admin", "supervisor", "editor")
#: The role of a users-file entry that names none (files written before roles existed).
DEFAULT_ROLE = "admin"
EDIT, CONFIRM, REALIGN = "aligner-edit", "aligner-confirm", "aligner-realign"
ACTIONS = (EDIT, CONFIRM, REALIGN)
_SUPERVISING = {EDIT, CONFIRM, REALIGN}


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    return role


def may(user: dict | None, action: str, work: str | None) -> bool:
    """Whether ``user`` (an entry of the users file: ``role``, ``works``) may do ``action`` to ``work``."""
    if not user or action not in ACTIONS:
        return False
    role = user.get("role") or DEFAULT_ROLE
    works = user.get("works") or []
    if role == "admin":
        return True
    if role == "supervisor":
        return action in _SUPERVISING and (not works or work in works)
    if role == "editor":
        return action == EDIT and work in works
    return False


def refusal(user: dict | None, work: str, new_status: str, old_status: str | None) -> str | None:
    """Why ``user`` may not save a slot of ``work`` from ``old_status`` to ``new_status`` (None: they may)."""
    if not may(user, EDIT, work):
        return "You are signed in, but not as a translator who may edit this work."
    if "confirmed" in (new_status, old_status) and not may(user, CONFIRM, work):
        if old_status == "confirmed":
            return "This slot was confirmed by a supervisor: only a supervisor may change it."
        return "Only a supervisor may confirm a slot: save it as a draft."
    return None


def statuses_for(user: dict | None, work: str, statuses: tuple[str, ...]) -> tuple[str, ...]:
    """The statuses the edit form offers ``user``: without ``confirmed`` unless they may confirm."""
    return tuple(s for s in statuses if s != "confirmed" or may(user, CONFIRM, work))
