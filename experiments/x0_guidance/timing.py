"""Where a 10-step DPM-Solver++ decode spends its time: the sampler (through the prior or not) and
the correction, on a side×side centre square of "china" coded at quality 1, one thread.

    python experiments/x0_guidance/timing.py 256          # both gradients
    python experiments/x0_guidance/timing.py 512 0        # x̂₀ only (1: through the prior)
"""
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from decoder_speed import square  # noqa: E402
from idemlab.codec.pipeline import encode
from idemlab.codec.received import receive
from idemlab.decoder import PerceptualSettings, make_idempotent, perceptual_decode
from idemlab.prior import load_prior

torch.set_num_threads(1)
prior, side = load_prior(), int(sys.argv[1])
data = encode(square(side), 1)
for through in ([True, False] if len(sys.argv) < 3 else [sys.argv[2] == "1"]):
    settings = PerceptualSettings(sampler="dpm++", steps=10, through_prior=through, correct=False)
    began = time.perf_counter()
    raw = perceptual_decode([data], 0, settings, prior).raw
    sampling = time.perf_counter() - began
    received = receive([data])
    began = time.perf_counter()
    correction = make_idempotent(received.codec, raw, received.y_symbols, received.z_symbols, means=received.means)
    print(f"{side} px, through_prior {through}: sampler {sampling:.1f} s, correction "
          f"{time.perf_counter() - began:.1f} s ({correction.steps[0]} steps, exact {correction.exact[0]})", flush=True)
