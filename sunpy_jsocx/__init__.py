"""
sunpy-jsocx: a SunPy Fido client for the Stanford JSOC, and an offline JSOC emulator.
"""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
