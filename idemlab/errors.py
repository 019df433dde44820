"""The one exception idemlab raises for bad input: its message is a sentence a user can act on."""
import sys


class IdemlabError(Exception):
    """A user-facing error (bad file, bad image, missing model); the CLI prints it and exits non-zero."""


class InexactWarning(UserWarning):
    """A perceptual reconstruction does not re-encode robustly to its file (the promise not kept)."""


def report(error: IdemlabError) -> int:
    """Print the error as one line ``idemlab: error: …`` on stderr; return the exit status 1."""
    print(f"idemlab: error: {error}", file=sys.stderr)
    return 1
