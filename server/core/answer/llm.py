"""The language model of the ``llm`` drafting mode: any OpenAI-compatible chat endpoint, through LangChain.

The French administration's API (Albert), Ollama, vLLM, llama.cpp's server and ``accueil llm-serve`` all speak
the OpenAI chat-completions protocol, so one client covers them. Nothing here is called in extractive mode.
"""

from __future__ import annotations

from collections.abc import Iterator

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from server.core.config import Settings
from server.core.errors import ConfigError

# What the endpoint is sent when it needs no key: the OpenAI client refuses an empty one.
NO_KEY = "sans-cle"


def chat_model(settings: Settings) -> BaseChatModel:
    """The chat model of the configured endpoint, with its timeout and retries."""
    if not settings.llm_base_url:
        raise ConfigError("Mode 'llm' demandé sans service de modèle : renseignez ACCUEIL_LLM_BASE_URL.")
    from langchain_openai import ChatOpenAI  # imported here: extractive mode never loads the OpenAI client

    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key or NO_KEY,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
    )


def messages(system: str, user: str) -> list[BaseMessage]:
    """The two messages of a drafting call."""
    return [SystemMessage(system), HumanMessage(user)]


def stream_text(model: BaseChatModel, prompt: list[BaseMessage]) -> Iterator[str]:
    """The model's reply, piece by piece as the endpoint sends it."""
    for chunk in model.stream(prompt):
        content = chunk.content
        if isinstance(content, str):
            yield content
        else:  # a list of content blocks
            yield "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
