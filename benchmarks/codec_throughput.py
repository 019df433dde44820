"""MSE codec on the held-out test tiles: throughput and byte accounting, per quality.

``python benchmarks/codec_throughput.py`` writes results/codec_throughput.json with, per quality,
encode and decode images per second (single-image calls, as the CLI makes them), mean PSNR, and
where every byte of a file goes: estimated bits (likelihoods), entropy-coded strings, header.
"""
import time

import numpy as np
import torch

from common import write
from idemlab.codec import QUALITY_LAMBDAS
from idemlab.codec.model import likelihood_bits
from idemlab.codec.bitstream import unpack
from idemlab.codec.pipeline import codec_for, decode, encode, to_padded_tensor
from idemlab.data import held_out_patches
from idemlab.metrics import psnr


def main() -> None:
    torch.set_num_threads(1)
    images = held_out_patches()
    pixels = images.shape[1] * images.shape[2]
    rows = []
    for quality in sorted(QUALITY_LAMBDAS):
        model = codec_for(1, quality)
        start = time.perf_counter()
        files = [encode(image, quality) for image in images]
        encode_seconds = time.perf_counter() - start
        start = time.perf_counter()
        decoded = [decode(data) for data in files]
        decode_seconds = time.perf_counter() - start
        estimated_bits = likelihood_bits(model, torch.cat([to_padded_tensor(i, 16) for i in images])).numpy()
        string_bytes = np.array([len(f.y_string) + len(f.z_string) for f in map(unpack, files)])
        file_bytes = np.array([len(d) for d in files])

        rows.append({
            "quality": quality, "images": len(images), "size": list(images.shape[1:3]),
            "encode_images_per_second": round(len(images) / encode_seconds, 1),
            "decode_images_per_second": round(len(images) / decode_seconds, 1),
            "psnr_db": round(float(np.mean([psnr(d, i) for d, i in zip(decoded, images)])), 3),
            "bpp_file": round(float(file_bytes.mean() * 8 / pixels), 4),
            "bpp_estimated": round(float(estimated_bits.mean() / pixels), 4),
            "bytes_per_file": {"estimated_from_likelihoods": round(float(estimated_bits.mean() / 8), 2),
                               "entropy_coded_strings": round(float(string_bytes.mean()), 2),
                               "header_and_checksum": round(float((file_bytes - string_bytes).mean()), 2),
                               "file": round(float(file_bytes.mean()), 2)},
        })
        print(rows[-1])
    print("wrote", write("codec_throughput", {"threads": 1, "rows": rows}))


if __name__ == "__main__":
    main()
