"""Execute the book's notebooks into Jupyter Book's cache, one kernel per CPU core, slowest first.

``make book`` runs this, then ``jupyter-book build``, whose execution mode is "cache": the build
takes each notebook's outputs from the cache, and executes itself any notebook whose code has
changed since or that failed here (so its error is reported as the build reports errors). Every
kernel runs torch on one thread: on two cores, two one-thread kernels get through the book about a
fifth sooner than one kernel on two threads, whose small convolutions do not use both cores fully.

    python _ext/execute_notebooks.py [CACHE]   (default: the cache path of _config.yml)
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import time
from pathlib import Path

import yaml
from jupyter_cache import get_cache
from jupyter_cache.executors.basic import ExecutionWorkerLocalMProc, ProcessData

ROOT = Path(__file__).resolve().parent.parent
SLOWEST_FIRST = ("10_", "11_", "09_", "08_", "12_", "07_", "13_")  # measured on the 2-core CPU; the rest follow


def notebooks() -> list[Path]:
    """Return the notebooks of the table of contents, the slowest first."""
    toc = (ROOT / "_toc.yml").read_text()
    found = sorted(ROOT.glob("notebooks/*.ipynb"))
    listed = [path for path in found if f"notebooks/{path.stem}" in toc]
    rank = lambda path: next((i for i, prefix in enumerate(SLOWEST_FIRST) if path.name.startswith(prefix)), len(SLOWEST_FIRST))
    return sorted(listed, key=rank)


def main() -> int:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["execute"]
    cache = get_cache(str(ROOT / (sys.argv[1] if len(sys.argv) > 1 else config["cache"])))
    todo = []
    for path in notebooks():
        record = cache.add_nb_to_project(str(path))
        try:
            cache.match_cache_notebook(cache.get_project_notebook(record.pk).nb)
        except KeyError:
            todo.append(ProcessData(record.pk, record.uri, cache, config["timeout"], False))
    os.environ["OMP_NUM_THREADS"] = "1"  # the kernels' torch threads
    began = time.time()
    with multiprocessing.Pool(os.cpu_count()) as pool:
        results = list(pool.imap_unordered(ExecutionWorkerLocalMProc(), todo, chunksize=1))
    failed = [uri for status, uri in results if status]
    print(f"executed {len(todo) - len(failed)} of {len(todo)} notebooks in {time.time() - began:.0f} s"
          + (f"; failed (the build runs them again and reports why): {', '.join(failed)}" if failed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
