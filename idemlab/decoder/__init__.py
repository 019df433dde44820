"""The idempotence-constrained perceptual decoder, its settings and its exact-idempotence correction.

Book: Part II, chapters "The idempotent perceptual decoder" and "Results and ablations".
"""
from idemlab.decoder.constraints import CONSTRAINTS, idempotence_guidance, ste_round
from idemlab.decoder.correction import Correction, make_idempotent
from idemlab.decoder.perceptual import PerceptualDecoding, correct_to_files, perceptual_decode
from idemlab.decoder.settings import CorrectionSettings, PerceptualSettings

__all__ = ["CONSTRAINTS", "Correction", "CorrectionSettings", "PerceptualDecoding", "PerceptualSettings",
           "correct_to_files", "idempotence_guidance", "make_idempotent", "perceptual_decode", "ste_round"]
