"""`--engine llamacpp`: GGUF files through llama-cpp-python (the `gguf` extra)."""

from harness.engine.llamacpp.engine import LlamaCppEngine, open_gguf

__all__ = ["LlamaCppEngine", "open_gguf"]
