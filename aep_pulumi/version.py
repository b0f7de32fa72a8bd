"""The package version (its own module, so that the AEP layer can name itself without importing
the package root)."""

__version__ = "0.1.0"
