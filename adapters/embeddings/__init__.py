"""An OpenAI-compatible embeddings endpoint (``POST /v1/embeddings``), for a stronger model than
the built-in encoder: OpenAI, Azure OpenAI, text-embeddings-inference, Ollama and vLLM speak it."""
