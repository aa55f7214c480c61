"""Settings: defaults, env prefix, .env, clear errors for missing production values."""

from pathlib import Path

import pytest

from flightprice.settings import MissingSettingError, Settings, get_settings


def test_defaults_put_embedded_state_under_home(settings):
    assert settings.warehouse == "duckdb" and settings.store == "local"
    assert settings.duckdb_file == settings.home / "warehouse.duckdb"
    assert settings.lake == settings.home / "lake"
    assert (settings.dbt_project_dir / "dbt_project.yml").is_file()
    assert (settings.sql_dir / "duckdb_setup.sql").is_file()


def test_env_prefix_and_dotenv(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("FLIGHTPRICE_S3_BUCKET", "from-env")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("FLIGHTPRICE_API_URL=http://10.0.0.1:9000\n")
    s = Settings()
    assert s.s3_bucket == "from-env"
    assert s.api_url == "http://10.0.0.1:9000"


def test_missing_production_values_name_the_variables(settings):
    s = settings.model_copy(update={"store": "s3", "warehouse": "snowflake"})
    with pytest.raises(MissingSettingError, match="FLIGHTPRICE_S3_BUCKET"):
        s.check_production()
    s = s.model_copy(update={"s3_bucket": "b"})
    with pytest.raises(MissingSettingError) as err:
        s.check_production()
    assert "FLIGHTPRICE_SNOWFLAKE_ACCOUNT" in str(err.value)
    assert "FLIGHTPRICE_SNOWFLAKE_USER" in str(err.value)
    s = s.model_copy(update={"snowflake_account": "a", "snowflake_user": "u"})
    with pytest.raises(MissingSettingError, match="SNOWFLAKE_PASSWORD or .*PRIVATE_KEY_PATH"):
        s.check_production()


def test_invalid_choice_is_rejected(settings, monkeypatch):
    monkeypatch.setenv("FLIGHTPRICE_WAREHOUSE", "oracle")
    with pytest.raises(ValueError, match="warehouse"):
        Settings()


def test_get_settings_is_cached_and_resettable(settings, monkeypatch):
    get_settings.cache_clear()
    first = get_settings()
    assert get_settings() is first
    monkeypatch.setenv("FLIGHTPRICE_HOME", "/elsewhere")
    get_settings.cache_clear()
    assert get_settings().home == Path("/elsewhere")
    get_settings.cache_clear()
