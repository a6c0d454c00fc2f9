"""Our transformers engine: prefix reuse, trie packing, continuous batching."""

from harness.engine.hf.engine import HFEngine, context_length

__all__ = ["HFEngine", "context_length"]
