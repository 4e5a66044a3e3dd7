"""Configuration: names from DESIGN.md, and docent's refusal to expose itself unauthenticated
(the compose file is checked in test_compose.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from docent.api.auth import InsecureBind, check_bind
from docent.settings import Settings


def test_environment_names(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in {
        "DOCENT_DATA_DIR": str(tmp_path),
        "DOCENT_SEARCH_BACKEND": "elasticsearch",
        "DOCENT_ELASTICSEARCH_URL": "http://es:9200",
        "DOCENT_REDIS_URL": "redis://r:6379/0",
        "DOCENT_EMBEDDER": "local",
        "DOCENT_RERANKER": "none",
        "DOCENT_GENERATOR": "none",
        "COHERE_API_KEY": "co-secret",
        "GEMINI_API_KEY": "gm-secret",
        "DOCENT_CORS_ORIGINS": "https://a.example, https://b.example",
        "DOCENT_MAX_UPLOAD_MB": "7",
        "DOCENT_RATE_LIMITS": "off",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings.load()
    assert settings.storage.data_dir == tmp_path
    assert settings.search.search_backend == "elasticsearch"
    assert settings.search.elasticsearch_url == "http://es:9200"
    assert settings.queue.redis_url == "redis://r:6379/0"
    assert settings.models.generator == ["none"]
    assert settings.models.reranker == ["none"]
    assert settings.api.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.ingestion.max_upload_bytes == 7 * 1024 * 1024
    # secrets are SecretStr: never printed by accident
    assert settings.models.cohere_api_key is not None
    assert settings.models.cohere_api_key.get_secret_value() == "co-secret"
    assert "co-secret" not in repr(settings) and "gm-secret" not in str(settings)


def test_fallback_chains_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCENT_GENERATOR", " Gemini, cohere ,local")
    monkeypatch.setenv("DOCENT_RERANKER", "cohere,local,none")
    models = Settings.load().models
    assert models.generator == ["gemini", "cohere", "local"]
    assert models.reranker == ["cohere", "local", "none"]
    monkeypatch.setenv("DOCENT_GENERATOR", "gemini,openai")
    with pytest.raises(ValueError, match="generator"):
        Settings.load()
    monkeypatch.setenv("DOCENT_GENERATOR", " , ")
    with pytest.raises(ValueError, match="generator"):
        Settings.load()


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCENT_SEARCH_BACKEND", "mongodb")
    with pytest.raises(ValueError, match="search_backend"):
        Settings.load()


@pytest.mark.parametrize(
    ("host", "auth", "allow", "refused"),
    [
        ("127.0.0.1", "none", False, False),
        ("::1", "none", False, False),
        ("localhost", "none", False, False),
        ("0.0.0.0", "none", False, True),
        ("192.168.1.4", "none", False, True),
        ("0.0.0.0", "none", True, False),
    ],
)
def test_unauthenticated_mode_stays_on_loopback(
    host: str, auth: str, allow: bool, refused: bool
) -> None:
    if refused:
        with pytest.raises(InsecureBind):
            check_bind(host, auth, allow_insecure=allow)
    else:
        check_bind(host, auth, allow_insecure=allow)
