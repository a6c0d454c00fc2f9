"""`--engine openai`: a model served behind an OpenAI-compatible HTTP API (vLLM, SGLang,
llama.cpp's server, Ollama, `transformers serve`); see docs/served.md."""
