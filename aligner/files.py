"""Writing files so that a reader never sees half of one: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str | os.PathLike, data: bytes | str, *, private: bool = False) -> None:
    """Replace ``path`` with ``data`` in one step (text is written as UTF-8 with LF line ends).

    ``private`` makes the file readable by its owner only (password files);
    otherwise it gets the usual permissions (0666 less the umask), not
    mkstemp's 0600.
    """
    target = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        fd, tmp = tempfile.mkstemp(dir=str(target.parent.resolve()), prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:  # name the file asked for, not the temporary one (a missing folder, no permission)
        raise OSError(e.errno, f"cannot write {target}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fp:
            fp.write(data)
        if private:
            os.chmod(tmp, 0o600)
        else:
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.remove(tmp)
        except FileNotFoundError:
            pass
        raise
