"""Mixed read/write load from a few threads, recorded request by request."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx

from tests.contract.client import Account, unique

from .conftest import ANSWER_BOUND


@dataclass(frozen=True)
class Outcome:
    kind: str  # "create" or "read"
    started: float  # time.monotonic()
    ended: float
    status: int  # 0: no HTTP answer (connection refused or reset, client timeout)
    error: str = ""
    project_id: str | None = None
    media_type: str = ""
    retry_after: str | None = None


@dataclass
class Load:
    """`threads` workers, each creating a project then reading it back, until stopped or
    `max_requests` each; every request and its answer is kept in `outcomes`."""

    base_url: str
    owner: Account
    tenant: str | None
    threads: int = 4
    max_requests: int = 2000
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        for _ in range(self.threads):
            worker = threading.Thread(target=self._run, daemon=True)
            worker.start()
            self._workers.append(worker)

    def stop(self) -> list[Outcome]:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=ANSWER_BOUND + 30)
        assert not any(w.is_alive() for w in self._workers), "a load thread hangs"
        return sorted(self.outcomes, key=lambda o: o.started)

    def successes(self) -> int:
        with self._lock:
            return sum(1 for o in self.outcomes if 200 <= o.status < 300)

    def _run(self) -> None:
        headers = self.owner.in_tenant(self.tenant)
        with httpx.Client(base_url=self.base_url, timeout=ANSWER_BOUND + 10) as client:
            for _ in range(self.max_requests // 2):
                if self._stop.is_set():
                    return
                created = self._request(
                    client, "create", "POST", "/api/v1/projects", headers,
                    json={"name": unique("load")},
                )  # fmt: skip
                if created.project_id:
                    path = f"/api/v1/projects/{created.project_id}"
                else:
                    path = "/api/v1/projects"
                self._request(client, "read", "GET", path, headers)

    def _request(self, client: httpx.Client, kind: str, method: str, path: str, headers, **kw):
        started = time.monotonic()
        try:
            response = client.request(method, path, headers=headers, **kw)
        except httpx.HTTPError as exc:
            outcome = Outcome(kind, started, time.monotonic(), 0, error=repr(exc))
        else:
            project_id = None
            if kind == "create" and response.status_code == 201:
                project_id = response.json()["id"]
            outcome = Outcome(
                kind,
                started,
                time.monotonic(),
                response.status_code,
                error=response.text[:300] if response.status_code >= 400 else "",
                project_id=project_id,
                media_type=response.headers.get("content-type", "").split(";")[0],
                retry_after=response.headers.get("retry-after"),
            )
        with self._lock:
            self.outcomes.append(outcome)
        return outcome
