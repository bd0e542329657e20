"""A real trytond on loopback, once per test session (recipe: shared/reference/tryton-erp.md).

The database is built once with ``trytond-admin -u party sale`` (about 20 s) into a
template SQLite file cached under the temp dir, keyed on the installed module versions;
later sessions copy it (0.01 s) and only pay the server start (about 1-2 s). Test modules
import the fixture from here (a non-root conftest may not declare plugins)::

    from tryton_server import TrytonServer, tryton_server  # noqa: F401

Set ``CHUB_TRYTON_CACHE`` to keep the template somewhere else (e.g. a CI cache dir).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import pytest

__all__ = ["TrytonServer", "tryton_server", "start_tryton"]

ADMIN_PASSWORD = "admin-secret-123"
MODULES = ("party", "sale")
_DISTS = ("trytond", "trytond-party", "trytond-sale", "trytond-company", "trytond-account")


@dataclass
class TrytonServer:
    url: str
    database: str
    login: str
    password: str
    process: subprocess.Popen[bytes]
    log_path: Path
    setup_seconds: float
    template_built: bool
    #: filled by ``prepare_master_data``: ids of the company / currency / a product
    company: int = 0
    currency: int = 0
    user: int = 0
    context: dict[str, Any] = field(default_factory=dict)
    _session: str | None = None
    _rpc_id: int = 0

    # a tiny JSON-RPC helper for seeding and checking, independent of the connector
    def rpc(self, method: str, *params: Any) -> Any:
        if self._session is None:
            answer = self._raw("common.db.login", [self.login, {"password": self.password}, "en"])
            self.user = answer[0]
            self._session = base64.b64encode(
                f"{self.login}:{answer[0]}:{answer[1]}".encode()
            ).decode()
        return self._raw(method, list(params), {"Authorization": f"Session {self._session}"})

    def _raw(self, method: str, params: list[Any], headers: dict[str, str] | None = None) -> Any:
        self._rpc_id += 1
        response = httpx.post(
            f"{self.url}{self.database}/rpc/",
            json={"id": self._rpc_id, "method": method, "params": params},
            headers=headers or {},
            timeout=60,
        )
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            raise RuntimeError(f"tryton {method}: {body['error']}")
        return body["result"]

    def call(
        self, model: str, method: str, *args: Any, context: dict[str, Any] | None = None
    ) -> Any:
        return self.rpc(f"model.{model}.{method}", *args, {**self.context, **(context or {})})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _versions_key() -> str:
    parts = []
    for dist in _DISTS:
        try:
            parts.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{dist}=none")
    return hashlib.sha1(",".join([*parts, *MODULES]).encode()).hexdigest()[:12]


def _clean_env(**extra: str) -> dict[str, str]:
    # inherited TRYTOND_* variables or a config file would silently win (pitfall 4)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRYTON")}
    env.update(extra)
    return env


def _bin(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} not installed (pip install -e '.[dev]' brings trytond)")
    return found


def _template(cache_dir: Path) -> tuple[Path, bool]:
    """The cached template DB file, built under a lock if missing. Returns (path, built)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    template = cache_dir / f"tpl-{_versions_key()}.sqlite"
    with open(cache_dir / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel sessions wait instead of double-building
        if template.exists():
            return template, False
        work = Path(tempfile.mkdtemp(dir=cache_dir))
        try:
            (work / "erp.sqlite").touch()  # SQLite: the file must exist first (pitfall 3)
            passfile = work / "adminpass"
            passfile.write_text(ADMIN_PASSWORD + "\n")
            env = _clean_env(
                TRYTOND_DATABASE__URI="sqlite://",
                TRYTOND_DATABASE__PATH=str(work),
                TRYTONPASSFILE=str(passfile),
            )
            cmd = [
                _bin("trytond-admin"),
                "-d",
                "erp",
                "-u",
                *MODULES,
                "--activate-dependencies",
                "--email",
                "admin@example.com",
            ]
            done = subprocess.run(
                cmd,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=300,
                check=False,
            )
            if done.returncode != 0:
                tail = done.stderr.decode(errors="replace")[-2000:]
                pytest.fail(f"trytond-admin failed ({done.returncode}):\n{tail}")
            os.replace(work / "erp.sqlite", template)  # atomic: never a half-built template
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return template, True


def start_tryton(base: Path, cache_dir: Path) -> TrytonServer:
    began = time.monotonic()
    template, built = _template(cache_dir)
    db_dir = base / "db"
    db_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, db_dir / "erp.sqlite")
    port = _free_port()
    env = _clean_env(
        TRYTOND_DATABASE__URI="sqlite://",
        TRYTOND_DATABASE__PATH=str(db_dir),
        TRYTOND_DATABASE__LIST="False",
        TRYTOND_SESSION__MAX_ATTEMPT="1000",
        TRYTOND_WEB__LISTEN=f"127.0.0.1:{port}",
    )
    log_path = base / "trytond.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [_bin("trytond"), "-d", "erp", "-v"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = TrytonServer(
        f"http://127.0.0.1:{port}/", "erp", "admin", ADMIN_PASSWORD, process, log_path, 0.0, built
    )
    deadline = time.monotonic() + 60
    while True:  # "port accepts" is not "DB ready": wait for a real login
        if process.poll() is not None:
            pytest.fail(f"trytond exited early:\n{log_path.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(httpx.HTTPError, RuntimeError, ValueError):
            server.rpc("model.res.user.get_preferences", True, {})
            break
        if time.monotonic() > deadline:
            stop_tryton(server)
            pytest.fail("trytond did not answer a login within 60 s")
        time.sleep(0.2)
    prepare_master_data(server)
    server.setup_seconds = time.monotonic() - began
    return server


def prepare_master_data(server: TrytonServer) -> None:
    """Currency, company and the admin acting for it: a fresh DB has none (pitfall 10)."""
    decimal = {"__class__": "Decimal", "decimal": "0.01"}
    [currency] = server.rpc(
        "model.currency.currency.create",
        [{"name": "Renminbi", "code": "CNY", "symbol": "¥", "rounding": decimal, "digits": 2}],
        {},
    )
    [party] = server.rpc("model.party.party.create", [{"name": "客户中枢测试公司"}], {})
    [company] = server.rpc(
        "model.company.company.create", [{"party": party, "currency": currency}], {}
    )
    server.rpc(
        "model.res.user.write",
        [server.user],
        {"companies": [["add", [company]]], "company": company},
        {},
    )
    server.company, server.currency = company, currency
    prefs = server.rpc("model.res.user.get_preferences", True, {})
    server.context = {"company": prefs.get("company", company)}


def stop_tryton(server: TrytonServer) -> None:
    if server.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=5)


@pytest.fixture(scope="session")
def tryton_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrytonServer]:
    try:
        import trytond  # noqa: F401
    except ImportError:
        pytest.skip("trytond is not installed (it is in the dev extra)")
    cache = Path(
        os.environ.get("CHUB_TRYTON_CACHE") or Path(tempfile.gettempdir()) / "chub-tryton-cache"
    )
    server = start_tryton(tmp_path_factory.mktemp("tryton"), cache)
    print(
        f"\ntryton fixture ready in {server.setup_seconds:.1f}s "
        f"(template {'built' if server.template_built else 'cached'})"
    )
    try:
        yield server
    finally:
        stop_tryton(server)
