"""The summary of an evaluation, rebuilt from its lines and saved images: per rate the means,
realism, seams and casts; over the rates the Bjøntegaard deltas; and a figure."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from idemlab.evaluate_folder.plan import BASELINES, FIGURE_FILE, SUMMARY_FILE, Plan, read_rows, reconstruction_path


def write_summary(plan: Plan) -> dict:
    """Rebuild DIR/summary.json and DIR/summary.png from the lines and the saved PNGs: per rate the
    means, and the realism divergences of each decoder's and baseline's set of 32×32 tiles from
    the originals'; over the rates, the Bjøntegaard deltas of the MSE codec against the baselines."""
    rows = read_rows(plan.out)
    good = [r for r in rows if "error" not in r]
    summary = {"images": len({r["image"] for r in rows}),
               "unreadable": sorted({f"{r['image']}: {r['error']}" for r in rows if "error" in r}), "rates": {}}
    window = _window(plan)
    for quality in sorted({r["quality"] for r in good}):
        at = [r for r in good if r["quality"] == quality]
        sets = whole_image_sets(plan, at)
        def mean(key: str) -> float | None:  # None where no image has the measure (JPEG cannot be that small)
            values = [r[key] for r in at if r.get(key) is not None]
            return float(np.mean(values)) if values else None

        summary["rates"][quality] = {
            "images": len(at), "bpp": mean("bpp"), "psnr_mse": mean("psnr_mse"),
            "psnr_perceptual": mean("psnr_perceptual"), "psnr_raw": mean("psnr_raw"),
            **{f"{key}_{codec}_same_bytes": mean(f"{key}_{codec}") for codec in BASELINES for key in ("psnr", "bpp")},
            **{f"{codec}_reached_%": 100 * float(np.mean([r.get(f"psnr_{codec}") is not None for r in at]))
               for codec in BASELINES},
            "byte_identical_%": 100 * mean("byte_identical"), "robust_%": 100 * mean("robust"),
            "with_mse_fallback_%": 100 * float(np.mean([r["mse_fallback_percent"] > 0 for r in at])),
            "seconds_per_image": mean("seconds"), **_set_realism(plan, sets, len(at)),
            "defects": _defects(sets, window)}
    summary["bjontegaard"] = bjontegaard(summary["rates"])
    summary["settings"] = plan.settings.to_dict()
    (plan.out / SUMMARY_FILE).write_text(json.dumps(summary, indent=1))
    _figure(summary, plan.out / FIGURE_FILE)
    return summary


def summary_lines(summary: dict) -> list[str]:
    """Return the summary as the lines ``idemlab evaluate`` prints: per rate the rate, PSNRs and
    byte identity, the validated realism measures, seams and casts (and FID where measured);
    then the Bjøntegaard deltas and the images that could not be read."""
    lines = []
    for quality, rate in summary.get("rates", {}).items():
        webp = "—" if rate["psnr_webp_same_bytes"] is None else f"{rate['psnr_webp_same_bytes']:.2f}"
        lines.append(f"q{quality}: {rate['images']} images, {rate['bpp']:.3f} bpp, PSNR MSE {rate['psnr_mse']:.2f} / perceptual "
                     f"{rate['psnr_perceptual']:.2f} / WebP at the same bytes {webp} dB, byte-identical "
                     f"{rate['byte_identical_%']:.0f} %")
        for measure, scores in _validated_by_measure(rate.get("validated_realism", {})).items():
            lines.append(f"    {measure} against the originals (validated; lower is more realistic): {', '.join(scores)}")
        defects = rate.get("defects", {})
        if defects:
            casts = [f"{name} {d['colour_cast']:.1f}" for name, d in defects.items() if "colour_cast" in d]
            seams = [f"{name} {d['seam_index']:.2f}" for name, d in defects.items() if "seam_index" in d]
            lines.append(f"    colour cast ΔE: {', '.join(casts)}; seam index: {', '.join(seams)}")
        if "fid_perceptual" in rate:
            sets = [f"{name} {rate[f'fid_{name}']:.1f}" for name in ("mse", "perceptual", "jpeg", "webp") if f"fid_{name}" in rate]
            lines.append(f"    Inception FID to the originals: {', '.join(sets)}")
    for codec, delta in summary.get("bjontegaard", {}).items():
        if delta:
            lines.append(f"MSE codec against {codec.upper()} over {delta['rates']} rates: BD-PSNR {delta['bd_psnr_db']:+.2f} dB, "
                         f"BD-rate {delta['bd_rate_%']:+.1f} %")
    for problem in summary.get("unreadable", []):
        lines.append(f"skipped {problem}")
    return lines


def _validated_by_measure(validated: dict) -> dict[str, list[str]]:
    """Return, per validated realism measure, 'set value [low, high]' for each decoder or baseline."""
    by_measure: dict[str, list[str]] = {}
    for name, measures in validated.items():
        for measure, result in measures.items():
            if result.get("value") is not None:
                low, high = result["interval"]
                by_measure.setdefault(measure, []).append(f"{name} {result['value']:.1f} [{low:.1f}, {high:.1f}]")
    return by_measure


def bjontegaard(rates: dict) -> dict:
    """Return the BD-PSNR (dB, ours better when positive) and BD-rate (%, ours better when
    negative) of the MSE codec against each baseline, over the rates where the baseline reached
    every image (so that both means are over the same images); None with fewer than two."""
    from idemlab.baselines import bd_psnr, bd_rate

    deltas = {}
    for codec in BASELINES:
        points = [r for r in rates.values() if r[f"{codec}_reached_%"] == 100]
        if len(points) < 2:
            deltas[codec] = None
            continue
        ours = np.array([[r["bpp"], r["psnr_mse"]] for r in points])
        theirs = np.array([[r[f"bpp_{codec}_same_bytes"], r[f"psnr_{codec}_same_bytes"]] for r in points])
        deltas[codec] = {"rates": len(points),
                         "bd_psnr_db": bd_psnr(theirs[:, 0], theirs[:, 1], ours[:, 0], ours[:, 1]),
                         "bd_rate_%": bd_rate(theirs[:, 0], theirs[:, 1], ours[:, 0], ours[:, 1])}
    return deltas


def _set_realism(plan: Plan, sets: dict[str, list[np.ndarray]], rows: int) -> dict:
    """Return the patch SWD and spectral distance of each decoder's and baseline's reconstructions,
    over the 32×32 tiles of all images (a baseline only where it reached every image), and with
    ``plan.inception`` FID and KID over the whole images; ``swd_data`` is the estimator's floor,
    the originals against themselves (other patches), which no reconstruction can be expected
    to go below; ``validated_realism`` holds, per decoder and baseline, the measures of
    ``idemlab.realism`` that passed their validation, with intervals, over the whole images.
    ``sets``: ``whole_image_sets`` of the rate's ``rows`` rows."""
    from idemlab.data import tiles
    from idemlab.evaluation import realism
    from idemlab.fid import inception_distances
    from idemlab.realism.report import measure_sets, validation_verdicts

    tiled = {name: np.concatenate([tiles(image) for image in images]) for name, images in sets.items()}
    if len(tiled["data"]) < 2:
        return {}
    scores = {}
    validated = [name for name, passes in validation_verdicts().items() if passes]
    if validated:  # the measures that passed their validation, each with its interval
        scores["validated_realism"] = {name: measure_sets(images, sets["data"], measures=validated)
                                       for name, images in sets.items() if name != "data"}
    for name, images in sets.items():
        scores.update({f"{key}_{name}": value for key, value in realism(tiled[name], tiled["data"]).items()})
        if plan.inception and name != "data" and rows >= 2:
            distances = inception_distances(images, sets["data"], plan.device)
            scores.update({f"{key}_{name}": value for key, value in distances.items()})
    return scores


def _window(plan: Plan) -> int:
    """Return the side in pixels of the plan's prior's attention windows (its training size)."""
    from idemlab.prior import load_prior

    return load_prior(plan.prior).sample_size


def _defects(sets: dict[str, list[np.ndarray]], period: int) -> dict:
    """Return, per set of ``whole_image_sets`` (the originals too), the mean seam index on the grid
    of the prior's attention windows (every ``period`` pixels) and on the grid shifted by half a
    window, and each reconstruction's mean colour cast against its original
    (``idemlab.realism.defects``); images no larger than a window are left out of the seam index."""
    from idemlab.realism.defects import colour_cast, seam_index

    keep = [i for i, image in enumerate(sets["data"]) if max(image.shape[:2]) > period]
    figures = {}
    for name, images in sets.items():
        figures[name] = {f"seam_index{suffix}": float(np.mean([seam_index(images[i], period, offset) for i in keep]))
                         for suffix, offset in (("", 0), ("_shifted", period // 2))} if keep else {}
        if name != "data":
            figures[name]["colour_cast"] = float(np.mean([colour_cast(a, b) for a, b in zip(images, sets["data"])]))
    return figures


def whole_image_sets(plan: Plan, rows: list[dict]) -> dict[str, list[np.ndarray]]:
    """Return the rows' original images ("data") and each decoder's and baseline's
    reconstructions of them, for every set that exists for each row."""
    from idemlab.images import read_image

    sets = {"data": [read_image(plan.folder / r["image"]) for r in rows]}
    for name in ("mse", "perceptual", *BASELINES):
        paths = [reconstruction_path(plan.out, r["image"], r["quality"], name) for r in rows]
        if all(p.exists() for p in paths):
            sets[name] = [read_image(p) for p in paths]
    return sets


def _figure(summary: dict, path: Path) -> None:
    """Draw rate–distortion and, where measured, rate–realism of the decoders and the baselines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rates = list(summary["rates"].values())
    if not rates:
        return
    fig, (rd, rp) = plt.subplots(1, 2, figsize=(10, 3.6))
    curves = [("bpp", "psnr_mse", "swd_mse", "MSE decoder"), ("bpp", "psnr_perceptual", "swd_perceptual", "perceptual"),
              *((f"bpp_{c}_same_bytes", f"psnr_{c}_same_bytes", f"swd_{c}", f"{c.upper()}, same bytes") for c in BASELINES)]
    for bpp, psnr_key, swd_key, label in curves:
        for axis, key in ((rd, psnr_key), (rp, swd_key)):
            points = [(r[bpp], r[key]) for r in rates if r.get(key) is not None]
            if points:
                axis.plot(*zip(*points), "o-", label=label)
    if rates[0].get("swd_data") is not None:
        rp.axhline(rates[0]["swd_data"], ls=":", color="gray", label="estimator floor (originals)")
    rd.set(xlabel="bits per pixel", ylabel="PSNR (dB)", title="distortion")
    rp.set(xlabel="bits per pixel", ylabel="patch SWD (×10³)", title="realism (lower is better)")
    rd.legend(fontsize=8), rp.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
