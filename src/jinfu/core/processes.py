"""Which process runs a piece of work, as "host:pid", and whether a recorded one is still alive.

Import jobs and scheduled runs record the process that works on them; when a worker starts, work left
running by a process of this host that no longer exists (kill -9, power loss) is found with :func:`alive`
and marked interrupted. A process of another host is never judged from here.
"""

from __future__ import annotations

import os
import socket


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def alive(process: str) -> bool:
    """False only for a process of this host that no longer exists; True for another machine's process
    (not ours to judge), a value that is not "host:pid", or a process we may not signal."""
    host, _, pid = process.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
