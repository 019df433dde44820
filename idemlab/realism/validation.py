"""The three tests a realism measure must pass before it may decide anything.

``benchmarks/realism_validation.py`` measures every measure on controlled distortions of held-out
photos, at three strengths each (and the MSE decoder at every rate); :func:`verdict` reads its
figures. A measure passes when

1. **away from the floor**: every distortion at every strength gives a value above the floor's
   95 % interval (more than sampling alone gives);
2. **grows with strength**: each stronger level is not below the previous level's interval;
3. **noise does not restore**: adding white noise to blurred images, or to the MSE decoder's
   quality-1 images, leaves the value above the floor's interval (grain must not bring an image
   back to the originals' level).

Reported beside them, not part of the verdict: ``noise_lowers_it``, whether any noisy level
falls below its noiseless value's interval (grain buying part of the way back).

Book: Part II, chapter "Measuring realism".
"""
from __future__ import annotations

NOISE_BASES = {"blur_plus_noise": ("blur", 1.2), "mse_q1_plus_noise": ("mse", 1)}  # noisy group: (noiseless group, strength)


def verdict(name: str, figures: dict) -> dict[str, bool]:
    """Return the three tests, ``passes`` and ``noise_lowers_it`` for one measure from the validation's figures
    (``floor`` and ``distortions``: group → rows of {"strength", measure: {"value", "interval"}})."""
    floor_high = figures["floor"][name]["interval"][1]
    groups = {group: [row[name] for row in rows] for group, rows in figures["distortions"].items()}

    def noiseless(group: str, strength: float) -> dict:
        return next(row[name] for row in figures["distortions"][group] if row["strength"] == strength)

    away = all(level["value"] > floor_high for levels in groups.values() for level in levels)
    grows = all(stronger["value"] >= weaker["interval"][0]
                for levels in groups.values() for weaker, stronger in zip(levels, levels[1:]))
    kept_away = all(level["value"] > floor_high for group in NOISE_BASES for level in groups[group])
    lowers = any(level["value"] < noiseless(*base)["interval"][0] for group, base in NOISE_BASES.items()
                 for level in groups[group])
    return {"away_from_floor": away, "grows_with_strength": grows, "noise_does_not_restore": kept_away,
            "passes": away and grows and kept_away, "noise_lowers_it": lowers}
