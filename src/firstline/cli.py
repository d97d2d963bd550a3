"""`./firstline SUBCOMMAND`: the one command-line entry (the shell script installs, then runs this)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NoReturn

from firstline.core.personal.crypto import new_hmac_key, new_key_spec

REPO = Path(__file__).resolve().parent.parent.parent
VAR = Path(os.environ.get("FIRSTLINE_VAR_DIR", REPO / "var"))
SECRETS = VAR / "secrets.env"
PY = sys.executable


def load_secrets(*, create: bool) -> None:
    """Read var/secrets.env into the environment (never over values already set);
    with create, generate it once: the demo's keys stay the same across runs."""
    VAR.mkdir(parents=True, exist_ok=True)
    if not SECRETS.exists() and create:
        SECRETS.write_text(
            f"FIRSTLINE_SECRET_KEY={secrets.token_urlsafe(50)}\n"
            f"FIRSTLINE_DATA_KEYS={new_key_spec('k1')}\n"
            f"FIRSTLINE_HMAC_KEY={new_hmac_key()}\n"
        )
        SECRETS.chmod(0o600)
    if SECRETS.exists():
        for line in SECRETS.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() and not key.startswith("#"):
                os.environ.setdefault(key.strip(), value.strip())


def django_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "firstline.settings")
    return env


def manage(*args: str, check: bool = True) -> int:
    rc = subprocess.call([PY, "-m", "django", *args], env=django_env())
    if check and rc:
        sys.exit(rc)
    return rc


def gunicorn_cmd(host: str, port: int, workers: int, threads: int = 8) -> list[str]:
    return [
        PY,
        "-m",
        "gunicorn",
        "firstline.wsgi",
        "--bind",
        f"{host}:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--access-logfile",
        "-",
        "--timeout",
        "120",
    ]


def worker_cmd() -> list[str]:
    """The task worker with the periodic jobs' scheduler in it (core's `manage worker`):
    db_worker, or rqworker when REDIS_URL is set."""
    return [PY, "-m", "django", "worker"]


def listen_problem(host: str, port: int) -> str | None:
    """Why nothing could listen on host:port (e.g. "Address already in use"), or None.
    Binds and lets go at once, with SO_REUSEADDR as the server does, so a port whose
    last connections are still closing counts as free."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def refuse_busy_port(host: str, port: int) -> int | None:
    """Before anything starts: one line on stderr and exit code 1 if host:port is taken."""
    problem = listen_problem(host, port)
    if problem is None:
        return None
    print(
        f"firstline: cannot listen on {url_of(host, port)}: {problem}; "
        "stop what uses it or choose another with --port",
        file=sys.stderr,
    )
    return 1


def url_of(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


class Stop(Exception):
    """SIGTERM reached the parent: stop the children as on Ctrl-C."""


def _stop(signum, frame):
    raise Stop(signum)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM if the parent dies without stopping it (SIGKILL)."""
    parent = os.getppid()
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent went before prctl took hold
            os.kill(os.getpid(), signal.SIGTERM)


def run_together(commands: list[list[str]], *, grace: float = 10.0) -> int:
    """Start the web server and the worker; stop all of them when one stops, on Ctrl-C
    (SIGINT) or on SIGTERM. Each child runs in its own process group (a Ctrl-C in the
    terminal reaches only this parent, which stops each child once) and gets SIGTERM,
    is waited for, and is killed with its group after `grace` seconds: nothing is left
    behind listening on the port. Returns 0 on a requested stop, else the exit code of
    the child that stopped first."""
    previous = signal.signal(signal.SIGTERM, _stop)
    procs: list[subprocess.Popen] = []
    try:
        for cmd in commands:
            procs.append(
                subprocess.Popen(
                    cmd,
                    env=django_env(),
                    process_group=0,
                    preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                )
            )
        while True:
            for p in procs:
                if p.poll() is not None:
                    return p.returncode
            with contextlib.suppress(subprocess.TimeoutExpired):
                procs[0].wait(timeout=1)
    except (KeyboardInterrupt, Stop):
        return 0
    finally:
        # A second signal must not cut the clean-up short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for p in procs:
            try:
                p.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        signal.signal(signal.SIGINT, interrupt)
        signal.signal(signal.SIGTERM, previous)


def replace_with(cmd: list[str]) -> NoReturn:
    """Become `cmd` (exec): a signal to `./firstline serve` or `worker` reaches the
    server or worker itself, which stops cleanly; no parent is left to die alone
    and leave its child running."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(cmd[0], cmd, django_env())  # noqa: S606 - our own argv, no shell


def database_is_empty() -> bool:
    out = subprocess.run(
        [
            PY,
            "-m",
            "django",
            "shell",
            "-c",
            "from firstline.orgs.models import Company; print(Company.objects.exists())",
        ],
        env=django_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().endswith("False")


def print_logins(host: str, port: int) -> None:
    path = VAR / "demo-accounts.json"
    if not path.exists():
        print(f"\nFirstline demo: {url_of(host, port)}\n")
        return
    accounts = json.loads(path.read_text())
    print(f"\nFirstline demo: {url_of(host, port)}  — demo logins:")
    for a in accounts:
        company = f"  ({a['company']})" if a.get("company") else ""
        print(f"  {a['role']:<20} {a['username']:<24} {a['password']}{company}")
    print()


def cmd_demo(args) -> int:
    if (busy := refuse_busy_port(args.host, args.port)) is not None:
        return busy
    load_secrets(create=True)
    os.environ.setdefault("FIRSTLINE_REQUIRE_2FA", "0")
    os.environ.setdefault("FIRSTLINE_SMS_SHOW_CODES", "1")  # the demo's SMS goes to the page
    manage("migrate", "--no-input", "-v", "0")
    if database_is_empty():
        print("firstline: loading the demo scenario (first run only)…", flush=True)
        manage("load_scenario", "--scale", "demo")
    print_logins(args.host, args.port)
    return run_together([gunicorn_cmd(args.host, args.port, 2), worker_cmd()])


def cmd_serve(args) -> int:
    if (busy := refuse_busy_port(args.host, args.port)) is not None:
        return busy
    load_secrets(create=False)
    os.environ.setdefault("FIRSTLINE_REQUIRE_2FA", "1")
    manage("migrate", "--no-input", "-v", "0")
    print(f"Firstline: serving on {url_of(args.host, args.port)}", flush=True)
    replace_with(gunicorn_cmd(args.host, args.port, args.workers, args.threads))


def cmd_worker(args) -> int:
    load_secrets(create=False)
    replace_with(worker_cmd())


def cmd_scenario(args) -> int:
    load_secrets(create=True)
    manage("migrate", "--no-input", "-v", "0")
    extra = ["--seed", str(args.seed)] + (["--reset"] if args.reset else [])
    return manage("load_scenario", "--scale", args.scale, *extra)


def cmd_test(args) -> int:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "firstline.settings_test"}
    pytest_args = list(args.pytest_args)
    if not any(a.startswith("-n") for a in pytest_args):
        pytest_args = ["-n", os.environ.get("FIRSTLINE_TEST_WORKERS", "2"), *pytest_args]
    return subprocess.call([PY, "-m", "pytest", *pytest_args], env=env, cwd=REPO)


def cmd_bench(args) -> int:
    load_secrets(create=True)
    script = REPO / "bench" / f"{args.name}.py"
    if not script.exists():
        names = sorted(p.stem for p in (REPO / "bench").glob("*.py") if not p.stem.startswith("_"))
        print(
            f"firstline: no benchmark {args.name!r}; available: {', '.join(names)}", file=sys.stderr
        )
        return 2
    return subprocess.call(
        [PY, str(script), *(["--quick"] if args.quick else []), *args.rest],
        env=django_env(),
        cwd=REPO,
    )


def cmd_manage(args) -> int:
    load_secrets(create=True)
    return manage(*args.rest, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="firstline", description="Firstline: the front line's platform."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "demo",
        help="run with demo data on SQLite (web on 127.0.0.1:8000, a task worker and the "
        "periodic jobs)",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "test", help="run the whole test suite (PostgreSQL when DATABASE_URL is set)"
    )
    p.add_argument("pytest_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_test)

    p = sub.add_parser("serve", help="production-style server (gunicorn, threaded workers)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 1)))
    p.add_argument("--threads", type=int, default=8, help="threads per worker")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "worker",
        help="the task worker (database backend, or RQ when REDIS_URL is set) with the "
        "periodic jobs' scheduler",
    )
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("scenario", help="build the demo world")
    p.add_argument("--scale", choices=["demo", "wuhan"], default="demo")
    p.add_argument("--seed", type=int, default=2020)
    p.add_argument("--reset", action="store_true", help="delete the existing data first")
    p.set_defaults(func=cmd_scenario)

    p = sub.add_parser("bench", help="run bench/NAME.py; the last line printed is JSON")
    p.add_argument("name")
    p.add_argument("--quick", action="store_true")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("manage", help="Django's management commands", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)

    # test and manage pass everything after them through (argparse's REMAINDER
    # cannot start with an option such as -k).
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("test", "manage"):
        ns = argparse.Namespace(pytest_args=argv[1:], rest=argv[1:])
        return cmd_test(ns) if argv[0] == "test" else cmd_manage(ns)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
