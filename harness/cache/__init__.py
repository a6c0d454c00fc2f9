"""The request cache: results of model requests, stored as they arrive, keyed by model+request."""

from harness.cache.store import RequestCache, default_cache_dir, model_key

__all__ = ["RequestCache", "default_cache_dir", "model_key"]
