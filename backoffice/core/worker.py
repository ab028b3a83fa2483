"""A django-q2 cluster that stops within seconds of SIGTERM (``manage.py qcluster``).

django-q2 1.11.1's sentinel stops by putting one STOP pill per worker *behind* the tasks its
pusher already took into the internal queue, so SIGTERM waits for every running task and
every prefetched one to finish (each may take up to ``Q_CLUSTER["timeout"]``, 600 s), then
for the monitor up to that timeout again. A scheduled job or a PDF render in progress kept
a stopping worker alive for 20-40 s, and systemd or an impatient operator then SIGKILLed
it, which loses the tasks taken from Redis.

:class:`GracefulSentinel` stops in a bounded time instead (README, "Task worker faults"):

1. the pusher stops taking tasks from the broker (as django-q2 does);
2. tasks taken but not started go back to the broker at once (:func:`requeue`);
3. running tasks get ``Q_STOP_GRACE`` seconds (settings, default 4) to finish;
4. a worker still busy then gets SIGTERM: :class:`WorkerStopped` is raised inside its
   task (``transaction.atomic`` blocks roll back, ``finally`` clauses run), the task goes
   back to the broker and the worker exits, so the task runs again from the start on the
   next worker (tasks are idempotent: they may run twice, never half);
5. a worker still alive ``Q_STOP_KILL_AFTER`` seconds (default 2) later is killed, as a
   crash would; its task comes back like a crashed one's (README).

With the defaults the whole stop takes at most about 8 s. The command
``backoffice/core/management/commands/qcluster.py`` runs :class:`GracefulCluster`
instead of django-q2's ``Cluster``; nothing in site-packages is changed.
"""

import contextlib
import os
import queue
import signal
import uuid
from multiprocessing import Event, Value
from time import monotonic, sleep

from django import db
from django.conf import settings
from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis
from django_q.cluster import Cluster, Sentinel, get_mp_context
from django_q.conf import Conf, logger
from django_q.signals import post_execute_in_worker, pre_execute
from django_q.signing import SignedPackage
from django_q.status import Stat
from django_q.worker import worker

STOP = "STOP"


def stop_grace() -> float:
    return float(getattr(settings, "Q_STOP_GRACE", 4))


def stop_kill_after() -> float:
    return float(getattr(settings, "Q_STOP_KILL_AFTER", 2))


class WorkerStopped(BaseException):  # noqa: N818 (not an error: the worker is told to stop)
    """Raised inside a running task when its cluster stops: not an ``Exception``, so
    neither the task nor django-q2's worker loop catches it."""


def requeue(task: dict, broker: Broker) -> None:
    """Give a taken task back to the broker so that any cluster runs it next.

    The ORM broker still holds the task's row, locked for ``retry`` seconds: unlocking it
    is enough (a second row would run the task twice). Redis forgot it when it was
    popped: it is pushed back at the head of the list, signed as the pusher received it.
    """
    ack_id = task.get("ack_id")
    if isinstance(broker, ORM) and ack_id is not None:
        broker.get_connection().filter(pk=ack_id).update(lock=timezone.now())
        return
    package = SignedPackage.dumps({k: v for k, v in task.items() if k not in ("ack_id", "cluster")})
    if isinstance(broker, Redis):
        broker.connection.lpush(broker.list_key, package)
    else:
        broker.enqueue(package)


class _TaskInHand:
    """The worker's view of the task queue, remembering the task it took (a copy made
    before the worker pops its ``timeout``) and whether that task is running."""

    def __init__(self, task_queue, cluster_stopping):
        self.task_queue = task_queue
        self.cluster_stopping = cluster_stopping
        self.task: dict | None = None
        self.running = False
        self.stop_requested = False

    def get(self):
        self.task = None
        task = self.task_queue.get()
        if isinstance(task, dict):
            self.task = dict(task)
        return task

    def on_pre_execute(self, **kwargs) -> None:
        if self.stop_requested:  # SIGTERM came between taking the task and starting it
            raise WorkerStopped
        self.running = True

    def on_post_execute(self, **kwargs) -> None:
        self.running = False

    def on_sigterm(self, signum, frame) -> None:
        if not self.cluster_stopping.is_set():
            # Not a stop: the guard ends a worker whose task overran its timeout. Die as
            # django-q2's workers do; requeueing would run the stuck task again and again.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        self.stop_requested = True
        if self.running:
            self.running = False
            raise WorkerStopped


def graceful_worker(task_queue, result_queue, timer, timeout, cluster_stopping) -> None:
    """django-q2's worker loop, stoppable mid-task by SIGTERM once the cluster is
    stopping (step 4 above)."""
    hand = _TaskInHand(task_queue, cluster_stopping)
    pre_execute.connect(hand.on_pre_execute, dispatch_uid="graceful_worker_pre")
    post_execute_in_worker.connect(hand.on_post_execute, dispatch_uid="graceful_worker_post")
    signal.signal(signal.SIGTERM, hand.on_sigterm)
    try:
        worker(hand, result_queue, timer, timeout)
    except WorkerStopped:
        timer.value = -1
        if hand.task is not None:
            # The task's transactions were rolled back while WorkerStopped unwound it;
            # a fresh connection makes sure none of its work is left open.
            db.connections.close_all()
            requeue(hand.task, get_broker())
            logger.warning(
                "worker %s stopped during task %s; the task is back in the queue",
                os.getpid(),
                hand.task.get("name"),
            )


class GracefulSentinel(Sentinel):
    def spawn_worker(self) -> None:
        timer = Value("f", -1)
        process = get_mp_context().Process(
            target=graceful_worker,
            args=(self.task_queue, self.result_queue, timer, self.timeout, self.event_out),
            name=f"Process-{uuid.uuid4().hex}",
        )
        process.daemon = Conf.DAEMONIZE_WORKERS
        process.timer = timer  # read by the guard loop, as for django-q2's workers
        self.pool.append(process)
        process.start()

    def _wait_for_workers(self, seconds: float) -> None:
        deadline = monotonic() + seconds
        while True:
            self.pool = [p for p in self.pool if p.is_alive()]
            if not self.pool or monotonic() >= deadline:
                return
            sleep(0.1)
            Stat(self).save()

    def stop(self) -> None:
        Stat(self).save()
        logger.info("%s stopping cluster processes", self.name)
        # 1. No more tasks from the broker (the pusher checks between two polls).
        self.event_out.set()
        self.pusher.join(timeout=max(Conf.POLL, 1) + 2)
        if self.pusher.is_alive():
            self.pusher.kill()
        # 2. Tasks taken but not started go back; then one STOP pill per worker.
        requeued = 0
        while True:
            try:
                task = self.task_queue.get(timeout=0.2)
            except queue.Empty:
                break
            if isinstance(task, dict):
                requeue(task, self.broker)
                requeued += 1
        if requeued:
            logger.info("%s put %d waiting task(s) back in the queue", self.name, requeued)
        for __ in self.pool:
            with contextlib.suppress(queue.Full):
                self.task_queue.put(STOP, timeout=0.1)
        # 3. Running tasks may finish; 4. then they are interrupted and requeued; 5. killed.
        self._wait_for_workers(stop_grace())
        for process in self.pool:
            logger.warning("%s interrupting busy worker %s", self.name, process.pid)
            process.terminate()
        self._wait_for_workers(stop_kill_after())
        for process in self.pool:
            logger.error("%s killing worker %s", self.name, process.pid)
            process.kill()
        self._wait_for_workers(1)
        # The monitor saves the results the workers produced, then stops.
        with contextlib.suppress(queue.Full):
            self.result_queue.put(STOP, timeout=1)
        self.monitor.join(timeout=3)
        if self.monitor.is_alive():
            self.monitor.kill()
        self.task_queue.close()
        self.result_queue.close()
        Stat(self).save()


class GracefulCluster(Cluster):
    """django-q2's ``Cluster`` running :class:`GracefulSentinel`; a second signal while
    stopping is ignored instead of starting a second stop.

    The guard is a plain attribute, not ``stop_event.is_set()``: the second signal (Ctrl-C
    reaches the whole group, then ``scripts/run.sh`` sends SIGTERM) may arrive while the
    first handler is inside ``stop_event.set()``, holding the event's non-reentrant
    process lock; asking the event from the nested handler deadlocked the main process,
    and with it the sentinel waiting on the same lock (a cluster that never stopped).
    """

    stopping = False

    def start(self) -> int:
        self.stop_event = Event()
        self.start_event = Event()
        self.sentinel = get_mp_context().Process(
            target=GracefulSentinel,
            name=f"Process-{uuid.uuid4().hex}",
            args=(self.stop_event, self.start_event, self.cluster_id, self.broker, self.timeout),
        )
        self.sentinel.start()
        logger.info("Q Cluster %s starting.", self.name)
        # Polled, not waited on: see django_q.cluster.Cluster.start.
        while self.start_event and not self.start_event.is_set():
            if not self.sentinel.is_alive():
                if self.sentinel.exitcode == 0:  # stopped by a signal while starting
                    break
                raise RuntimeError(
                    f"Q Cluster {self.name} failed to start: sentinel exited with code "
                    f"{self.sentinel.exitcode}"
                )
            sleep(0.1)
        return self.pid

    def stop(self) -> bool:
        if self.stopping or self.stop_event is None:
            return False
        self.stopping = True
        return super().stop()
