"""`./firstline demo`'s process lifecycle (firstline/cli.py), with cheap stand-ins for
the server and the worker: SIGTERM or SIGINT to the parent stops both children and
frees the port; a child that stops stops the other; a port in use is refused in one
line before anything starts; the banner shows the real host and port."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from firstline import cli

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def processes_with(marker: str) -> list[int]:
    """Pids that have `marker` as one of their arguments (Linux /proc)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                args = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
            except OSError:
                continue
            if marker in args:
                found.append(int(proc.name))
    return found


def wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc for orphans")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_the_parent_stops_server_and_worker_and_frees_the_port(signum):
    port, marker = free_port(), f"firstline-test-{uuid.uuid4().hex}"
    server = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    worker = [sys.executable, "-c", "import time, sys; time.sleep(120)", marker]
    parent = subprocess.Popen(  # noqa: S603 - our own argv
        [
            sys.executable,
            "-c",
            "import sys; from firstline import cli; "
            f"sys.exit(cli.run_together({[server, worker]!r}))",
        ],
        cwd=REPO,
    )
    try:
        assert wait_for(lambda: accepts(port)), "the stand-in server never listened"
        assert processes_with(marker), "the stand-in worker never started"
        parent.send_signal(signum)
        assert parent.wait(timeout=15) == 0
    finally:
        if parent.poll() is None:
            parent.kill()
    assert not accepts(port)
    assert cli.listen_problem("127.0.0.1", port) is None  # free to listen on again
    assert wait_for(lambda: not processes_with(marker), timeout=5), "an orphan is left"


def test_a_child_that_stops_stops_the_other_and_gives_its_code(tmp_path):
    marker = f"firstline-test-{uuid.uuid4().hex}"
    told = tmp_path / "told"
    # The long-running child notes the SIGTERM it is sent: it was stopped, not waited for.
    sleeper = (
        "import signal, sys, time\n"
        "def stop(*_):\n"
        f"    open({str(told)!r}, 'w').write('SIGTERM')\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        "time.sleep(3600)\n"
    )
    code = cli.run_together(
        [
            [sys.executable, "-c", sleeper, marker],
            [sys.executable, "-c", "import sys, time; time.sleep(1); sys.exit(3)"],
        ]
    )
    assert code == 3
    assert told.read_text() == "SIGTERM"
    assert not processes_with(marker)


@pytest.mark.parametrize("command", ["demo", "serve"])
def test_a_port_in_use_is_one_line_and_an_exit_code_before_anything_starts(
    command, monkeypatch, capsys
):
    def must_not_run(*args, **kwargs):
        raise AssertionError("started although the port is taken")

    for name in ("load_secrets", "manage", "run_together", "database_is_empty", "replace_with"):
        monkeypatch.setattr(cli, name, must_not_run)
    monkeypatch.setattr(cli.subprocess, "call", must_not_run)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = cli.main([command, "--port", str(port)])
    assert code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("firstline: ")
    assert f"http://127.0.0.1:{port}/" in err and "in use" in err


def test_the_banner_shows_the_real_host_and_port(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "VAR", tmp_path)
    (tmp_path / "demo-accounts.json").write_text(
        json.dumps([{"role": "guard", "username": "guard_1", "password": "pw"}])
    )
    cli.print_logins("10.0.0.5", 8123)
    out = capsys.readouterr().out
    assert "http://10.0.0.5:8123/" in out and "guard_1" in out
    assert "8000" not in out


def test_the_worker_command_is_the_one_with_the_scheduler():
    assert cli.worker_cmd()[-2:] == ["django", "worker"]
