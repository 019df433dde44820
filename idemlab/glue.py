"""Numbers a chapter computes, pasted into its prose by the book build (myst-nb's ``glue``).

Prose then cannot contradict the cells. Where myst-nb is absent (a Colab runtime) nothing is
recorded and the chapter still runs.
"""
from __future__ import annotations


def glue(name: str, value: float | int | str) -> None:
    """Record ``value`` under ``name`` for ``{glue:text}`name:.2f``` in the chapter's text."""
    try:
        from myst_nb import glue as record
    except ImportError:
        return
    record(name, value.item() if hasattr(value, "item") else value, display=False)  # numpy scalars as plain numbers
