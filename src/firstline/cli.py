"""`./firstline SUBCOMMAND`: the one command-line entry (the shell script installs, then runs this)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

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
    if os.environ.get("REDIS_URL"):
        # RQ must build jobs with django-tasks-rq's Job class to run Django Tasks.
        return [
            PY,
            "-m",
            "django",
            "rqworker",
            "default",
            "--with-scheduler",
            "--job-class",
            "django_tasks_rq.backend.Job",
        ]
    return [PY, "-m", "django", "db_worker", "--interval", "1"]


def run_together(commands: list[list[str]]) -> int:
    """Start the web server and the worker; stop both when either stops or on Ctrl-C."""
    procs = [subprocess.Popen(cmd, env=django_env()) for cmd in commands]
    try:
        while True:
            for p in procs:
                if p.poll() is not None:
                    return p.returncode
            with contextlib.suppress(subprocess.TimeoutExpired):
                procs[0].wait(timeout=1)
    except KeyboardInterrupt:
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


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


def print_logins() -> None:
    path = VAR / "demo-accounts.json"
    if not path.exists():
        return
    accounts = json.loads(path.read_text())
    print("\nFirstline demo: http://127.0.0.1:8000/  — demo logins:")
    for a in accounts:
        company = f"  ({a['company']})" if a.get("company") else ""
        print(f"  {a['role']:<20} {a['username']:<24} {a['password']}{company}")
    print()


def cmd_demo(args) -> int:
    load_secrets(create=True)
    os.environ.setdefault("FIRSTLINE_REQUIRE_2FA", "0")
    os.environ.setdefault("FIRSTLINE_SMS_SHOW_CODES", "1")  # the demo's SMS goes to the page
    manage("migrate", "--no-input", "-v", "0")
    if database_is_empty():
        print("firstline: loading the demo scenario (first run only)…", flush=True)
        manage("load_scenario", "--scale", "demo")
    print_logins()
    return run_together([gunicorn_cmd("127.0.0.1", args.port, 2), worker_cmd()])


def cmd_serve(args) -> int:
    load_secrets(create=False)
    os.environ.setdefault("FIRSTLINE_REQUIRE_2FA", "1")
    manage("migrate", "--no-input", "-v", "0")
    return subprocess.call(
        gunicorn_cmd(args.host, args.port, args.workers, args.threads), env=django_env()
    )


def cmd_worker(args) -> int:
    load_secrets(create=False)
    return subprocess.call(worker_cmd(), env=django_env())


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
        "demo", help="run with demo data on SQLite (web on 127.0.0.1:8000 and a task worker)"
    )
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
        "worker", help="the task worker (database backend, or RQ when REDIS_URL is set)"
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
