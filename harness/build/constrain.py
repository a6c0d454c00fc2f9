"""JSON-schema-constrained generation for local HF models with lm-format-enforcer: at each step
only tokens that keep the output a prefix of a valid document are allowed. Its transformers
integration module does not import under transformers 5, so the tokenizer data it needs is
built here from its core classes (the same recipe as its integration)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

DRAFT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "facts": {
            "type": "array",
            "maxItems": 4,
            "items": {
                "type": "object",
                "properties": {
                    "question": {"type": "string"},
                    "answer": {"type": "string"},
                    "evidence": {"type": "string"},
                    "answer_type": {"type": "string"},
                    "distractors": {"type": "array", "items": {"type": "string"},
                                    "maxItems": 3},
                },
                "required": ["question", "answer", "evidence"],
            },
        },
    },
    "required": ["facts"],
}


def available() -> bool:
    try:
        import lmformatenforcer  # noqa: F401
    except ImportError:
        return False
    return True


def _tokenizer_data(tokenizer: Any) -> Any:
    from lmformatenforcer import TokenEnforcerTokenizerData

    vocab_size = len(tokenizer)
    zero = tokenizer.encode("0", add_special_tokens=False)[-1]
    special = set(tokenizer.all_special_ids)
    regular = []
    for token in range(vocab_size):
        if token in special:
            continue
        after_zero = tokenizer.decode([zero, token])[1:]
        alone = tokenizer.decode([token])
        regular.append((token, after_zero, len(after_zero) > len(alone)))

    def decode(tokens: list[int]) -> str:
        return str(tokenizer.decode(tokens)).rstrip("\ufffd")

    return TokenEnforcerTokenizerData(regular, decode, tokenizer.eos_token_id, False, vocab_size)


@lru_cache(maxsize=2)
def _cached_data(tokenizer_id: int, tokenizer: Any) -> Any:
    return _tokenizer_data(tokenizer)


def prefix_allowed_tokens(tokenizer: Any, prompt_length: int
                          ) -> Callable[[int, Any], list[int]]:
    """A `prefix_allowed_tokens_fn` for `generate`: the generated part (after `prompt_length`
    tokens) stays a prefix of a JSON document of DRAFT_SCHEMA."""
    from lmformatenforcer import JsonSchemaParser, TokenEnforcer

    enforcer = TokenEnforcer(_cached_data(id(tokenizer), tokenizer),
                             JsonSchemaParser(DRAFT_SCHEMA))

    def allowed(_batch: int, ids: Any) -> list[int]:
        tokens = ids.tolist()[prompt_length:]
        return list(enforcer.get_allowed_tokens(tokens).allowed_tokens)

    return allowed
