"""The background side of INDEX_STORE=database: a thread that pushes each published version
(``Pusher``) and one per web process that pulls (``Puller``).

The push runs in a thread of the process that published, not inside ``IndexStore.publish``:
a build calls publish inside its own database transaction, which on SQLite holds the one write
lock the upload needs. A push that fails (the database away) is tried again with growing
waits, until it succeeds or a newer version is announced.

The puller polls the pointer row every INDEX_POLL_SECONDS. It starts on a web process's first
request, or as a gunicorn worker warms up (``first_pull``, called by ``serving.warm``), which
waits for its first round so that a fresh replica serves the current version from its first
request. Celery and CLI processes build or push, and do not poll.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from flask import Flask

from indexes.store import IndexStore
from recommender.indexing.mirror import Mirror
from recommender.indexing.replicas import Replica

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 300.0
FIRST_PULL_SECONDS = 3600.0  # a fresh replica's first download, at most


_starting = threading.Lock()


def _after_fork() -> None:
    global _starting
    _starting = threading.Lock()  # the parent may have held it at the fork


os.register_at_fork(after_in_child=_after_fork)


class _Worker:
    """A daemon thread of this process (made again in a forked child, which has none) with
    its state guarded by a condition that ``wait_until`` waits on."""

    name = "index-sync"

    def __init__(self) -> None:
        self._pid = 0
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._state = threading.Condition()
        self.last_error: str | None = None

    def ensure_running(self) -> None:
        """Start the thread unless this process runs it (a cheap check: it runs before every
        request)."""
        if self._pid == os.getpid() and self._thread is not None:
            return
        with _starting:
            if self._pid != os.getpid():  # a child of fork: the parent's lock may be held
                self._state = threading.Condition()
            if self._pid != os.getpid() or self._thread is None:
                self._pid, self._stopped = os.getpid(), False
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        with self._state:
            self._stopped = True
            self._state.notify_all()
        thread = self._thread
        if thread is not None and self._pid == os.getpid():
            thread.join(timeout)
        self._thread = None

    def wait_until(self, done: Callable[[], bool], timeout: float) -> bool:
        """Wait for ``done()`` (checked whenever the state changes) up to ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._state:
            while not done():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._state.wait(left)
            return True

    def _failed(self, exc: Exception) -> None:
        text = f"{type(exc).__name__}: {exc}".splitlines()[0]
        if text != self.last_error:  # once per distinct error, not once a poll
            log.error("%s: %s", self.name, text)
        self.last_error = text

    def _loop(self) -> None:
        raise NotImplementedError


class Pusher(_Worker):
    """Pushes the latest announced pointer; ``announce`` is an ``IndexStore.on_publish``
    listener."""

    name = "index-push"

    def __init__(self, replica: Replica):
        super().__init__()
        self.replica = replica
        self.wanted: str | None = None
        self.pushed: str | None = None
        self.failures = 0

    def announce(self, pointer: str) -> None:
        self.ensure_running()
        with self._state:
            self.wanted = pointer
            self._state.notify_all()

    def _loop(self) -> None:
        while True:
            with self._state:
                while not self._stopped and self.wanted in (None, self.pushed):
                    self._state.wait()
                if self._stopped:
                    return
                pointer = self.wanted
            try:
                self.replica.push(pointer)
            except Exception as exc:  # noqa: BLE001 - recorded, logged, tried again
                self._failed(exc)
                with self._state:
                    self.failures += 1
                    self._state.notify_all()
                    # a newer announcement (or stop) ends the wait early
                    self._state.wait(min(MAX_BACKOFF_SECONDS, 2.0 ** self.failures))
                continue
            with self._state:
                self.pushed, self.failures, self.last_error = pointer, 0, None
                self._state.notify_all()


class Puller(_Worker):
    """Polls the database's pointer and pulls each new version into this host's folder."""

    name = "index-pull"

    def __init__(self, replica: Replica, poll_seconds: float):
        super().__init__()
        self.replica = replica
        self.poll_seconds = poll_seconds
        self.rounds = 0  # finished rounds, whatever their outcome
        self.pointer: str | None = None  # what the database named at the last round
        self._retry: tuple[str | None, float] = (None, 0.0)  # a failed pointer; retry when
        self._failures = 0

    def round(self) -> None:
        """One poll: pull when the database names a version this folder has not taken."""
        remote = self.replica.mirror.pointer()
        self.pointer = remote
        failed, retry_at = self._retry
        if not self.replica.needs_pull(remote) or \
                (remote == failed and time.monotonic() < retry_at):
            return
        try:
            self.replica.pull()
        except Exception:
            # the same version again only after a growing wait: a bad copy stays bad until
            # pushed again, and each attempt downloads the whole version
            self._failures = self._failures + 1 if remote == failed else 1
            wait = min(MAX_BACKOFF_SECONDS, self.poll_seconds * 2 ** self._failures)
            self._retry = (remote, time.monotonic() + wait)
            raise
        self._retry, self._failures = (None, 0.0), 0

    def _loop(self) -> None:
        while True:
            try:
                self.round()
                self.last_error = None
            except Exception as exc:  # noqa: BLE001 - recorded and logged; polled again
                self._failed(exc)
            with self._state:
                self.rounds += 1
                self._state.notify_all()
                if not self._stopped:
                    self._state.wait(self.poll_seconds)
                if self._stopped:
                    return


class Replication:
    """What an app with INDEX_STORE=database holds: its folder's replica and the threads."""

    def __init__(self, replica: Replica, poll_seconds: float):
        self.replica = replica
        self.pusher = Pusher(replica)
        self.puller = Puller(replica, poll_seconds)

    def stop(self) -> None:
        self.puller.stop()
        self.pusher.stop()
        self.replica.mirror.close()


def init_app(app: Flask, store: IndexStore) -> None:
    """Push every version this app publishes; pull from the first request on."""
    replication = Replication(Replica(store, Mirror(app.config["DATABASE_URL"])),
                              app.config["INDEX_POLL_SECONDS"])
    store.on_publish.append(replication.pusher.announce)
    app.extensions["index_replication"] = replication
    app.before_request(replication.puller.ensure_running)


def first_pull(app: Flask, timeout: float = FIRST_PULL_SECONDS) -> None:
    """Start pulling, and wait for the first round (a fresh replica's first download)."""
    replication = app.extensions.get("index_replication")
    if replication is not None:
        puller = replication.puller
        began = puller.rounds
        puller.ensure_running()
        if not puller.wait_until(lambda: puller.rounds > began, timeout):
            log.error("index-pull: no first round within %.0f s; warming up with what this "
                      "host has", timeout)
