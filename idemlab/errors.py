"""The one exception idemlab raises for bad input: its message is a sentence a user can act on."""


class IdemlabError(Exception):
    """A user-facing error (bad file, bad image, missing model); the CLI prints it and exits non-zero."""
