"""Plot styling shared by every chapter: one colour per role, so figures read alike.

Book: used throughout; see the notation page for the roles.
"""
from __future__ import annotations

import matplotlib.pyplot as plt

COLORS = {
    "data": "#404040",        # the source / original images
    "mse": "#1f77b4",         # the MSE (MMSE) decoder
    "perceptual": "#d62728",  # the posterior-sampling / perceptual decoder
    "midpoint": "#9467bd",    # classical cell-centre decoder
    "jpeg": "#2ca02c",
    "webp": "#ff7f0e",
    "bound": "#7f7f7f",       # theoretical curves and bounds
}


def use_book_style() -> None:
    """Set matplotlib defaults for the book's figures (size, grid, fonts)."""
    plt.rcParams.update({
        "figure.figsize": (6.4, 3.8),
        "figure.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
        "font.size": 10,
    })
