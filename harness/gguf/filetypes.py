"""GGUF file types (`general.file_type`): their names, read from llama.cpp's own enum
(`llama_cpp.LLAMA_FTYPE_*`), so the table follows the installed llama.cpp."""

from __future__ import annotations

from functools import cache

UNQUANTIZED = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}
CONVERTER_TYPES = ("f32", "f16", "bf16", "q8_0")  # what convert_hf_to_gguf.py writes itself


@cache
def file_types() -> dict[str, int]:
    """Name (Q8_0, Q4_K_M, F32 …) -> llama.cpp's file type number."""
    import llama_cpp

    names: dict[str, int] = {}
    for attr in dir(llama_cpp):
        if attr.startswith("LLAMA_FTYPE_") and attr != "LLAMA_FTYPE_GUESSED":
            name = attr.removeprefix("LLAMA_FTYPE_").removeprefix("MOSTLY_").removeprefix("ALL_")
            names[name] = int(getattr(llama_cpp, attr))
    return names


def file_type_name(number: int) -> str:
    for name, value in file_types().items():
        if value == number:
            return name
    return f"type-{number}"


def quantized_types() -> list[str]:
    """Lower-case names `harness convert-gguf --outtype` takes through llama.cpp's quantizer."""
    return sorted(n.lower() for n in file_types() if n not in UNQUANTIZED)
