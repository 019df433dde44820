"""The idempotence-constrained perceptual decoder and its exact-idempotence correction.

Book: Part II, chapters "The idempotent perceptual decoder" and "Results and ablations".
"""
from idemlab.decoder.constraints import CONSTRAINTS, idempotence_guidance, ste_round
from idemlab.decoder.correction import Correction, make_idempotent
from idemlab.decoder.perceptual import PerceptualDecoding, PerceptualSettings, correct_to_files, perceptual_decode

__all__ = ["CONSTRAINTS", "Correction", "PerceptualDecoding", "PerceptualSettings", "correct_to_files",
           "idempotence_guidance", "make_idempotent", "perceptual_decode", "ste_round"]
