"""blockradar: watch the world's news for governments blocking online platforms."""

__version__ = "0.1.0"
