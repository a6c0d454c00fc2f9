"""A byte-level BPE tokenizer with EXAONE's special tokens and chat template, trained offline."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

PAD, BOS, EOT = "[PAD]", "[BOS]", "[|endofturn|]"
SPECIAL_TOKENS = [PAD, BOS, "[UNK]", EOT, "[|system|]", "[|user|]", "[|assistant|]", "[|tool|]",
                  "<think>", "</think>"]

# EXAONE 4.0's turn format: `[|role|]\n{content}[|endofturn|]\n`; the generation prompt opens
# the assistant turn with an empty thinking block, or an open one with enable_thinking=True.
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{ '[|' + message['role'] + '|]\\n' + message['content'] + '[|endofturn|]\\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{%- if enable_thinking is defined and enable_thinking -%}"
    "{{ '[|assistant|]\\n<think>\\n' }}"
    "{%- else -%}"
    "{{ '[|assistant|]\\n<think>\\n\\n</think>\\n\\n' }}"
    "{%- endif -%}"
    "{%- endif -%}"
)


def train_tokenizer(texts: Iterable[str], vocab_size: int = 4096) -> Any:
    """Train a byte-level BPE on `texts`; returns a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(texts), trainer)
    return PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tok,
        bos_token=BOS,
        eos_token=EOT,
        pad_token=PAD,
        unk_token="[UNK]",
        chat_template=CHAT_TEMPLATE,
        model_max_length=32768,
    )
