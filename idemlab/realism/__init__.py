"""Realism of a set of images against a reference set, with measures that need no downloaded network.

- ``idemlab.realism.texture`` — texture statistics: multi-scale 7×7 patch SWD and power spectra;
- :mod:`~idemlab.realism.critic` — a classifier two-sample test (a small critic, 64-px crops);
- :mod:`~idemlab.realism.features` — FID-like and KID-like distances in the features of a
  network the project trained on its training photos and ships (not comparable with Inception FID);
- :mod:`~idemlab.realism.niqe` — NIQE, the no-reference naturalness index;
- :mod:`~idemlab.realism.report` — every measure for two sets, with floors, intervals and the
  verdicts of the validation (``idemlab realism DIR_A DIR_REF``);
- :mod:`~idemlab.realism.defects` — two defects checked image by image against the original:
  seams on the prior's window grid and colour casts.

Book: Part II, chapter "Measuring realism".
"""
from idemlab.realism.texture import laplacian_pyramid, patch_swd, radial_power_spectrum, spectral_distance_db

__all__ = ["laplacian_pyramid", "patch_swd", "radial_power_spectrum", "spectral_distance_db"]
