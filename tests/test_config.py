"""Configuration: names from DESIGN.md, and docent's refusal to expose itself unauthenticated
(the compose file is checked in test_compose.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from docent.api.auth import InsecureBind, check_bind
from docent.settings import Settings

from support.paths import REPO
from support.scripts import load_script


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


def test_the_readme_configuration_table_is_made_from_the_settings() -> None:
    """README's table is `scripts/config_table.py`'s, which reads each settings field's
    variable, default and docstring: it said DOCENT_JOB_TIMEOUT_S was 600 while the code used
    1800."""
    config_table = load_script("config_table")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    made = config_table.table()
    assert config_table.section(readme) == made, (
        "README.md's configuration table differs from settings.py: run "
        "`python scripts/config_table.py --write`"
    )
    assert "| `DOCENT_JOB_TIMEOUT_S` | `1800` | " in made
    fields = sum(len(cls.model_fields) for cls in config_table.subsystems())
    assert made.count("\n| `") == fields  # a row per setting, none left out


def test_the_configuration_table_refuses_a_setting_without_a_description() -> None:
    from pydantic_settings import BaseSettings, SettingsConfigDict

    class Undocumented(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="DOCENT_", use_attribute_docstrings=True)
        documented: int = 1
        """Says what it is."""
        bare: int = 2

    config_table = load_script("config_table")
    with pytest.raises(ValueError, match="DOCENT_BARE has no description"):
        config_table.rows([Undocumented])


def test_worker_concurrency_is_chosen_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    from docent.settings import IngestionSettings, QueueSettings

    monkeypatch.delenv("DOCENT_WORKER_CONCURRENCY", raising=False)
    monkeypatch.delenv("DOCENT_PARSE_WORKERS", raising=False)
    for cores, jobs, parsers in [(1, 8, 2), (2, 16, 2), (4, 32, 4), (64, 32, 64)]:
        monkeypatch.setattr("docent.settings.usable_cores", lambda cores=cores: cores)
        assert QueueSettings().concurrency == jobs
        assert IngestionSettings().parse_pool_size == parsers
    monkeypatch.setenv("DOCENT_WORKER_CONCURRENCY", "3")
    monkeypatch.setenv("DOCENT_PARSE_WORKERS", "1")
    assert QueueSettings().concurrency == 3
    assert IngestionSettings().parse_pool_size == 1
