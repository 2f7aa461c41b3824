"""A partitioned run: one task per partition, on this process or on a Dask cluster, written atomically.

The driver (this process) has loaded and checked the whole scenario; it splits each product's
supply between the partitions and hands each task its partition: the scenario's path, the
partition's value and supplies, and the folder to write (inside the staging folder of the whole
run, beside `--out`: on a cluster, storage every worker shares). A task reads the scenario and
the snapshot itself, keeps its partition's clients, runs and writes its folder, and hands back
the sha256 of its manifests. The driver checks that every partition came back, with those
hashes, writes the top files and exchanges the staging folder with `--out` in one step.

A task is idempotent (it replaces whatever an earlier attempt left in its folder), so the
scheduler may retry it when its worker dies. A user error inside a task (an assignment over a
partition's budget) is handed back as a value, never retried, and reported as the user's (exit
2); a worker that dies each time is the machine's failure, reported as `cannot write the
outputs` (OutputError, exit 2, as a full disk is); any other exception is a bug (exit 3).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import polars as pl

from allocator import errors
from allocator.errors import AllocatorError, OutputError
from allocator.inputs.rule_files import display_path
from allocator.inputs.scenarios import BASE, Given, Scenario, load_scenario
from allocator.inputs.snapshot_cells import ID
from allocator.outputs import interrupts
from allocator.outputs.atomic import write_atomically
from allocator.outputs.joblog import Log
from allocator.outputs.partition_folder import (
    PARTITIONS,
    PartitionDone,
    check_returned,
    products_of,
    write_partition,
    write_top,
)
from allocator.pipeline.manual import ManualProblems
from allocator.pipeline.partitions import PartitionPlan, partition_scenario, plan_partitions
from allocator.pipeline.run import RunResult, VariantResult, run
from allocator.pipeline.tiering import Mode

ExecutorName = Literal["local", "dask"]
KILL_HOOK = "ALLOCATOR_TEST_KILL"  # tests only: a folder of <partition folder>.once / .always files


@dataclass(frozen=True)
class Executor:
    """Where partitions run: `local` (one after another in this process) or `dask` (on the
    cluster at `scheduler`, else on a LocalCluster of `workers` processes started for the run)."""

    name: ExecutorName = "local"
    workers: int | None = None
    scheduler: str | None = None


_EXECUTOR: ContextVar[Executor | None] = ContextVar("executor", default=None)


def use_executor(executor: Executor) -> None:
    """Run the partitions of this command's scenario there (the command line's --executor)."""
    _EXECUTOR.set(executor)


@dataclass(frozen=True)
class PartitionTask:
    """Everything a worker needs to run one partition: small, and paths it can read."""

    scenario: Path  # absolute
    given: Given
    lang: str
    mode: Mode
    plan: PartitionPlan
    folder: Path  # absolute: <staging>/partitions/<folder>


@dataclass(frozen=True)
class Refused:
    """A user error inside a task, handed back rather than raised (so never retried)."""

    value: str
    kind: str
    message: str


Outcome = PartitionDone | Refused


def run_partition(task: PartitionTask, loaded: Scenario | None = None) -> Outcome:
    """Run one partition and write its folder; `loaded` is the scenario when this process has it."""
    try:
        scenario = loaded if loaded is not None else _load(task)
        result = run(partition_scenario(scenario, task.plan), task.mode)
        manifests = write_partition(result, task.folder)
    except AllocatorError as exc:
        return Refused(task.plan.value, type(exc).__name__, str(exc))
    assert scenario.clients is not None
    return PartitionDone(
        task.plan.value, task.plan.folder, task.plan.clients, scenario.clients.sha256, manifests,
        products_of(result), result.variants[0].summary, result.alerts, dict(result.timings),
    )  # fmt: skip


def _load(task: PartitionTask) -> Scenario:
    scenario = load_scenario(task.scenario, **task.given._asdict())
    if scenario.spec.lang != task.lang:  # --lang on the driver's command line
        scenario = replace(scenario, spec=scenario.spec.model_copy(update={"lang": task.lang}))
    return scenario


def cluster_task(task: PartitionTask) -> Outcome:
    """The task as a Dask worker runs it (with the tests' kill hook)."""
    _kill_hook(task.plan.folder, task.folder)
    return run_partition(task)


def _kill_hook(folder: str, task_folder: Path) -> None:
    """Tests only: kill this worker process once (`<folder>.once`, removed first) or every time
    (`<folder>.always`, once the other partitions it names are written: a task queued on the
    dying worker would count the death against itself too)."""
    hooks = os.environ.get(KILL_HOOK)
    if not hooks:
        return
    once = Path(hooks) / f"{folder}.once"
    with contextlib.suppress(FileNotFoundError):
        once.unlink()  # whoever removes it dies: exactly once, even with two attempts at a time
        os.kill(os.getpid(), signal.SIGKILL)
    always = Path(hooks) / f"{folder}.always"  # holds how many other partitions to let finish first
    if always.exists():
        others = int(always.read_text(encoding="utf-8") or 0)
        for _ in range(1200):  # at most a minute: then die anyway
            if len(list(Path(task_folder).parent.glob("*/manifest.json"))) >= others:
                break
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGKILL)


def execute_partitioned(
    path: Path, out: Path, scenario: Scenario, mode: Mode, given: Given, say: Callable[[str], None], log: Log,
    ledger: Path | None = None,
) -> RunResult:  # fmt: skip
    """Run every partition of a loaded scenario on the chosen executor and write the whole
    folder atomically: every partition or none. The result is for the terminal."""
    part = scenario.spec.partition
    assert part is not None and scenario.clients is not None
    # load_scenario has checked `partition:` with the scenario's other keys (validate reports it too)
    if ledger is not None:
        raise errors.ScenarioError(
            f"{scenario.file}: partition: a partitioned run cannot be recorded in a ledger yet; "
            "run it with allocator run, without --ledger"
        )
    if scenario.manual.problems:
        raise ManualProblems(scenario.manual.problems)
    plans = plan_partitions(scenario)
    executor = _EXECUTOR.get() or Executor()
    done: list[PartitionDone] = []

    def fill(folder: Path) -> None:
        t0 = time.perf_counter()
        tasks = [
            PartitionTask(path.resolve(), given, scenario.spec.lang, mode, p, folder / PARTITIONS / p.folder)
            for p in plans
        ]
        say(f"running {len(tasks)} partitions by {part.by} ({executor.name})")
        outcomes = _local(tasks, scenario) if executor.name == "local" else _on_dask(tasks, executor, out, part.by)
        done.extend(_checked(outcomes, scenario))
        check_returned(folder, done)
        write_top(folder, scenario, done, {"partitions": time.perf_counter() - t0})

    write_atomically(out, fill)
    for d in done:
        log("partition", partition=d.value, folder=f"{PARTITIONS}/{d.folder}", clients=d.clients)
    log("written", out=display_path(out))
    return _for_terminal(scenario, done)


def _local(tasks: Sequence[PartitionTask], scenario: Scenario) -> list[Outcome]:
    outcomes = []
    for task in tasks:
        outcomes.append(run_partition(task, scenario))
        interrupts.set_status("the previous outputs are untouched")  # its folder is in the staging folder only
    return outcomes


def _on_dask(tasks: Sequence[PartitionTask], executor: Executor, out: Path, by: str) -> list[Outcome]:
    """The tasks on a Dask cluster; a task whose worker died every time fails the run, naming it.

    Each outcome is fetched as soon as its task ends: a result left in a worker's memory would
    be lost (and computed again) when that worker dies later."""
    from distributed import as_completed  # only when asked for: importing distributed takes a second

    with _client(executor) as client:
        futures = [client.submit(cluster_task, t, key=f"allocator-partition-{i}-{t.plan.folder}", pure=False)
                   for i, t in enumerate(tasks)]  # fmt: skip
        index = {f.key: i for i, f in enumerate(futures)}
        outcomes: dict[int, Outcome] = {}
        failed: list[tuple[PartitionTask, BaseException]] = []
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            i = index[future.key]
            try:
                outcomes[i] = future.result()
            except Exception as exc:  # the worker died every time, or a bug inside the task
                failed.append((tasks[i], exc))
        if failed:
            raise _failure(sorted(failed, key=lambda f: tasks.index(f[0])), out, by)
        return [outcomes[i] for i in range(len(tasks))]


@contextlib.contextmanager
def _client(executor: Executor) -> Iterator[Any]:
    """A client of the cluster at --scheduler, else of a LocalCluster started (and stopped) here."""
    import logging

    from distributed import Client, LocalCluster

    if executor.scheduler is not None:
        with Client(executor.scheduler, timeout="30s") as client:  # type: ignore[no-untyped-call]
            yield client
        return
    n = executor.workers or 2
    options = {"processes": True, "threads_per_worker": 1, "silence_logs": logging.ERROR, "dashboard_address": None}
    with LocalCluster(n_workers=n, **options) as cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        yield client


def _failure(failed: Sequence[tuple[PartitionTask, BaseException]], out: Path, by: str) -> Exception:
    """The error of the run: the machine's (its workers died) or a bug inside a task."""
    from distributed.scheduler import KilledWorker

    lines = []
    for task, exc in failed:
        if isinstance(exc, KilledWorker):
            lines.append(
                f"{display_path(out)}: cannot write the outputs: partition '{task.plan.value}' of {by} failed: its "
                f"worker died each of the {exc.allowed_failures + 1} times the task ran; the previous outputs are untouched"
            )
        elif isinstance(exc, MemoryError | OSError):
            lines.append(
                f"{display_path(out)}: cannot write the outputs: partition '{task.plan.value}' of {by} failed on its "
                f"worker: {type(exc).__name__}: {exc}; the previous outputs are untouched"
            )
        else:
            return RuntimeError(f"partition '{task.plan.value}' of {by}: {type(exc).__name__}: {exc}")
    return OutputError("\n".join(lines))


def _checked(outcomes: Sequence[Outcome], scenario: Scenario) -> list[PartitionDone]:
    """The partitions done; every user error of every partition in one error, each line naming it."""
    refused = [o for o in outcomes if isinstance(o, Refused)]
    if refused:
        kind = getattr(errors, refused[0].kind, None)
        cls = kind if isinstance(kind, type) and issubclass(kind, AllocatorError) else errors.ScenarioError
        raise cls("\n".join(f"{line} (partition {r.value})" for r in refused for line in r.message.splitlines()))
    done = [o for o in outcomes if isinstance(o, PartitionDone)]
    assert scenario.clients is not None
    changed = [d.value for d in done if d.snapshot_sha256 != scenario.clients.sha256]
    if changed:
        raise errors.SnapshotError(
            f"{display_path(scenario.snapshot)}: the snapshot changed while the partitions ran (partition "
            f"'{changed[0]}' read another file); run again"
        )
    return done


def _for_terminal(scenario: Scenario, done: Sequence[PartitionDone]) -> RunResult:
    """A result for `allocator run` to print: the partitions' summaries, each product named with
    its partition, and every partition's alerts."""
    assert scenario.clients is not None
    summaries = [
        d.summary.with_columns((pl.lit(f"{d.value}: ") + pl.col("product")).alias("product"))
        for d in done
        if d.summary is not None
    ]
    summary = pl.concat(summaries, how="diagonal_relaxed") if summaries else pl.DataFrame()
    shown = scenario.clients.display or display_path(scenario.snapshot)
    return RunResult(
        scenario, scenario.clients.clients, scenario.clients.clients.select(ID), [VariantResult(BASE, [], summary)],
        {}, None, tuple(w.render(shown) for w in scenario.clients.warnings),
        alerts=tuple(f"{a} (partition {d.value})" for d in done for a in d.alerts),
    )  # fmt: skip


__all__ = [
    "KILL_HOOK",
    "Executor",
    "PartitionTask",
    "cluster_task",
    "execute_partitioned",
    "run_partition",
    "use_executor",
]
