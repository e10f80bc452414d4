"""The overlap passes on a Dask distributed cluster (``pip install 'apeach-ls[distributed]'``).

Why Dask rather than Ray: the work is a plain map over blocks of sentences with a sum at the
end, which Dask's futures express directly; ``distributed`` is pure-Python wheels that pip
installs anywhere (Ray is a several-hundred-megabyte binary with its own object store and
daemons), and a real cluster is one address (``tcp://host:8786``) to connect to.

This process reads the reference and sends it block by block, at most ``2 x workers`` blocks
in flight, so neither it nor a worker ever holds more than a few blocks; workers need
apeach-ls installed, not the files. Results come back in reading order
(:class:`apeach_ls.overlap.InProcess` gives the same bytes).
"""

from __future__ import annotations

import logging
import os
import resource
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from itertools import islice
from typing import Any

from .errors import ConfigError
from .overlap import BlockResult

INSTALL_HINT = "pip install 'apeach-ls[distributed]'"

# Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536. Setting it turns off glibc's
# dynamic mmap threshold: every array over 128 KiB (a block's feature totals, a chunk's
# similarities) is then mmapped and unmapped afresh, and its pages faulted in again, which
# doubled the CPU time of a block (half of it in the kernel). Local workers run without it.
_MALLOC_TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


def dask_available() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def peak_rss_kb() -> int:
    """This process's peak resident set size (run on each worker by :meth:`DaskEngine.peaks`)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class DaskEngine(AbstractContextManager["DaskEngine"]):
    """Blocks as Dask tasks: on a local cluster of ``workers`` processes (one thread each, on
    127.0.0.1, no dashboard), or on the cluster whose scheduler is at ``scheduler``."""

    def __init__(self, workers: int = 2, scheduler: str | None = None):
        if not dask_available():
            raise ConfigError(f"Dask distributed is not installed: {INSTALL_HINT}")
        import dask
        from distributed import Client, LocalCluster

        self.cluster = None
        try:
            if scheduler:
                self.client = Client(scheduler, timeout=30)
            else:
                # the nanny sets its workers' variables (OMP_NUM_THREADS=1, ...) in this
                # process's environment too: they would leak into whatever it runs later
                saved = dict(os.environ)
                try:
                    with dask.config.set({_MALLOC_TRIM: None}):
                        self.cluster = LocalCluster(
                            n_workers=workers,
                            threads_per_worker=1,
                            processes=True,
                            host="127.0.0.1",
                            dashboard_address=None,
                            silence_logs=logging.ERROR,
                        )
                finally:
                    os.environ.clear()
                    os.environ.update(saved)
                self.client = Client(self.cluster)
        except OSError as exc:
            self.close()
            raise ConfigError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}" if scheduler else str(exc)
            ) from None

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1)["workers"])

    def map_blocks(
        self, function: Callable[..., BlockResult], blocks: Iterable[list[str]], **shared: Any
    ) -> Iterator[BlockResult]:
        from distributed import as_completed

        # the large shared values (evaluation vectors, IDF) go to every worker once
        scattered = {
            name: self.client.scatter([value], broadcast=True)[0]
            if isinstance(value, dict)
            else value
            for name, value in shared.items()
        }
        in_flight = max(2, 2 * self.workers)
        remaining = iter(blocks)
        index_of = {}
        done: dict[int, BlockResult] = {}
        next_index = submitted = 0

        def submit(block: list[str]) -> Any:
            nonlocal submitted
            future = self.client.submit(function, block, **scattered, pure=False)
            index_of[future.key] = submitted
            submitted += 1
            return future

        pending = as_completed([submit(block) for block in islice(remaining, in_flight)])
        for future in pending:
            done[index_of.pop(future.key)] = future.result()
            future.release()
            while next_index in done:
                yield done.pop(next_index)
                next_index += 1
            # blocks sent but not yet yielded (running, or done out of order) stay bounded
            while (
                submitted - next_index < in_flight and (block := next(remaining, None)) is not None
            ):
                pending.add(submit(block))

    def peaks(self) -> dict[str, int]:
        """Each worker's peak resident set size in KiB, by worker address."""
        return self.client.run(peak_rss_kb)

    def close(self) -> None:
        if getattr(self, "client", None) is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __exit__(self, *exc: object) -> None:
        self.close()
