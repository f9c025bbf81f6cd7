"""jinfu (金服): a regional digital-finance service platform."""

__version__ = "0.1.0"
