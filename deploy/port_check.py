"""Whether `make run` can listen on a port and, when it cannot, which process holds it (from /proc)."""
from __future__ import annotations

import errno
import os
import socket
from pathlib import Path


def listening_socket_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(inode)
    return inodes


def command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    text = raw.rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")
    return text if len(text) <= 300 else text[:297] + "..."


def port_holders(port: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process with a listening socket on ``port`` that this user may see."""
    wanted = {f"socket:[{inode}]" for inode in listening_socket_inodes(port)}
    holders = []
    if not wanted:
        return holders
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in wanted for fd in (proc / "fd").iterdir()):
                holders.append((int(proc.name), command_line(int(proc.name))))
        except OSError:  # gone, or another user's
            continue
    return sorted(holders)


def port_problem(host: str, port: int) -> str | None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        # As gunicorn binds: a port in TIME_WAIT is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return f"cannot listen on {host}:{port}: {exc.strerror}"
        else:
            return None
    holders = port_holders(port)
    if not holders:
        return f"port {port} is already in use by a process this user cannot see (try: ss -ltnp 'sport = :{port}')"
    return f"port {port} is already in use by " + "; ".join(f"pid {pid}: {cmd}" for pid, cmd in holders)
