"""Which idempotence constraint does the sampler need? Chapter "Results and ablations" reads this.

``python benchmarks/constraint_ablation.py`` writes results/constraint_ablation.json: the
chapter's four held-out tiles at quality 3, the default sampler with the correction off, each
constraint (image space, latent, guidance to the MSE image) at a weak and a strong pull (ζ 0.5
and 8): PSNR of the samples and the share of y symbols, z symbols and whole files that
re-encoding them reproduces. The chapter reruns one row live and checks it against this file.
"""
import torch

from common import THREADS, write
from idemlab.data import held_out_patches
from idemlab.decoder.constraints import CONSTRAINTS
from idemlab.evaluation import constraint_ablation
from idemlab.prior import load_prior

TILES, QUALITY, ZETAS = [8, 30, 70, 99], 3, (0.5, 8.0)


def main() -> None:
    torch.set_num_threads(THREADS)
    prior = load_prior()
    tiles = held_out_patches()[TILES]
    rows = []
    for constraint in CONSTRAINTS:
        for zeta in ZETAS:
            rows.append(constraint_ablation(tiles, QUALITY, constraint, zeta, prior))
            print(rows[-1], flush=True)
    print(write("constraint_ablation", {"tiles": TILES, "quality": QUALITY, "rows": rows}))


if __name__ == "__main__":
    main()
