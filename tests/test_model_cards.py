"""Every shipped model's card names each of its weights files with the SHA-256 that the file has."""
import hashlib
import re
from pathlib import Path

import pytest

WEIGHTS = Path(__file__).resolve().parent.parent / "idemlab" / "weights"
FOLDERS = sorted(folder.name for folder in WEIGHTS.iterdir() if (folder / "MODEL_CARD.md").exists())


@pytest.mark.parametrize("folder", FOLDERS)
def test_the_model_card_states_the_hash_of_every_weights_file(folder):
    card = (WEIGHTS / folder / "MODEL_CARD.md").read_text()
    stated = dict(re.findall(r"^- `([^`]+)`: SHA-256 `([0-9a-f]{64})`$", card, re.M))
    weights = {path.name for path in (WEIGHTS / folder).iterdir() if path.suffix in (".pt", ".safetensors")}
    assert weights and set(stated) == weights
    for name, digest in stated.items():
        assert hashlib.sha256((WEIGHTS / folder / name).read_bytes()).hexdigest() == digest, name
