"""Item pipelines, one module each: normalize, classify, dedup, validate."""
