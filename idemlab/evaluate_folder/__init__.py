"""``idemlab evaluate``: every image of a folder at every rate, one JSON line each — sharded
across processes with torch.distributed, resumable, summarised from the lines.

Per (image, quality): encode to a real ``.idem`` file, decode it with the MSE and the perceptual
decoders, code it with JPEG and WebP at the same file size, save the four PNGs (the inputs of the
set-level realism measures), and record rates, PSNRs, whether the perceptual PNG re-encodes to
the same file, the correction's report (with the sampler's own PSNR before it, and its steps) and
the time. The summary adds, per rate, each set's
realism, and over the rates the Bjøntegaard deltas of the MSE codec against each baseline.

Under ``torchrun`` each rank takes every ``world``-th pending pair; after each round rank 0
gathers the rows and appends them to ``DIR/images.jsonl``, so a killed run loses at most the
images in flight and a rerun skips what is there. Each image's seed comes from its name and quality, never from the rank, so the rows do
not depend on the number of processes (at the same threads per process).
"""
from idemlab.evaluate_folder.plan import (BASELINES, FIGURE_FILE, IMAGES_FILE, PLAN_FILE, SUMMARY_FILE, Plan,
                                          image_seed, list_images, read_rows, reconstruction_path)
from idemlab.evaluate_folder.runner import evaluate_image, run
from idemlab.evaluate_folder.summary import bjontegaard, summary_lines, whole_image_sets, write_summary

__all__ = ["BASELINES", "FIGURE_FILE", "IMAGES_FILE", "PLAN_FILE", "SUMMARY_FILE", "Plan", "bjontegaard",
           "evaluate_image", "image_seed", "list_images", "read_rows", "reconstruction_path", "run",
           "summary_lines", "whole_image_sets", "write_summary"]
