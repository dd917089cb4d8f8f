"""`dmreports serve`: waitress in one process per CPU, each on its own socket of one port.

Python runs one thread at a time per process, so a single server process tops
out at what one core can do; the workers are forked after the sockets are
bound and the app is built, and the parent only supervises them: SIGTERM or
Ctrl-C to the parent stops them all, and a worker stops by itself when the
parent dies.

Each worker listens on a socket of its own, all bound to the same port
(SO_REUSEPORT): the kernel spreads new connections over them. On one shared
socket the workers race to accept, and a worker that keeps winning can end
up with every keep-alive connection while the other cores idle.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys
from contextlib import suppress

from flask import Flask

# prctl(PR_SET_PDEATHSIG): the kernel signals a worker when its parent dies.
_PR_SET_PDEATHSIG = 1
SERVER_IDENT = "dmreports"


def listen(host: str, port: int, count: int = 1) -> list[socket.socket]:
    """Return `count` listening sockets sharing host:port (port 0: any free port)."""
    share = count > 1
    sockets = [socket.create_server((host, port), backlog=1024, reuse_port=share)]
    try:
        port = sockets[0].getsockname()[1]
        for _ in range(count - 1):
            sockets.append(socket.create_server((host, port), backlog=1024, reuse_port=share))
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def serve(app: Flask, sockets: list[socket.socket], threads: int) -> None:
    """Serve app with one process of `threads` threads per socket; return when stopped."""
    if len(sockets) == 1:
        _run(app, sockets[0], threads)
        return
    children = []
    for sock in sockets:
        pid = os.fork()
        if pid == 0:
            for other in sockets:
                if other is not sock:
                    other.close()
            _child(app, sock, threads)
        children.append(pid)
    for sock in sockets:
        sock.close()

    def stop(signum, _frame) -> None:
        for pid in children:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for pid in children:
        while True:
            try:
                os.waitpid(pid, 0)
                break
            except ChildProcessError:
                break
            except InterruptedError:
                continue


def _child(app: Flask, sock: socket.socket, threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(0)
    code = 0
    try:
        _run(app, sock, threads)
    except BaseException:  # noqa: BLE001 - a worker never unwinds into the parent's code
        code = 1
    finally:
        sys.stdout.flush()
        os._exit(code)


def _run(app: Flask, sock: socket.socket, threads: int) -> None:
    from waitress import serve as waitress_serve

    from web.render import compile_templates
    from web.store import warm

    compile_templates(app)  # the first page of each worker renders, not compiles
    warm(app)  # the index is ready before the first request is accepted
    waitress_serve(app, sockets=[sock], threads=threads, ident=SERVER_IDENT)
