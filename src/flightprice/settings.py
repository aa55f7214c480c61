"""One settings object for the whole system, read once at the edge (CLI, API, flow entry)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from flightprice.contract import MAX_DAYS_AHEAD
from flightprice.pricing.params import PricingParams

ENV_PREFIX = "FLIGHTPRICE_"
REPO_ROOT = Path(__file__).resolve().parents[2]


class MissingSettingError(RuntimeError):
    """A production value that the chosen configuration needs is not set."""


class Settings(BaseSettings):
    """Configuration of flightprice; every field is read from `FLIGHTPRICE_<FIELD>` or `.env`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # Nested values: FLIGHTPRICE_PRICING__MAX_INCREASE=0.1 (or FLIGHTPRICE_PRICING as JSON).
        env_nested_delimiter="__",
    )

    # Embedded default: everything lives under `home`.
    home: Path = Field(Path(".flightprice"), description="Folder of the embedded state.")
    warehouse: Literal["duckdb", "snowflake"] = "duckdb"
    store: Literal["local", "s3"] = "local"
    duckdb_path: Path | None = Field(None, description="Defaults to <home>/warehouse.duckdb.")
    lake_dir: Path | None = Field(None, description="Defaults to <home>/lake (bucket layout).")
    dbt_project_dir: Path = REPO_ROOT / "dbt"
    sql_dir: Path = REPO_ROOT / "sql"
    flows_dir: Path = REPO_ROOT / "flows"

    # Production object store (S3).
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    aws_region: str = "us-east-1"
    aws_credentials_block: str | None = None

    # Production warehouse (Snowflake).
    snowflake_account: str | None = None
    snowflake_user: str | None = None
    snowflake_password: SecretStr | None = None
    snowflake_private_key_path: Path | None = None
    snowflake_role: str = "DATA_ENGINEER"
    snowflake_warehouse: str = "COMPUTE_WH"
    snowflake_database: str = "FLIGHT_PRICING"
    snowflake_private_key_passphrase: SecretStr | None = None
    snowflake_credentials_block: str | None = Field(
        None, description="A prefect-snowflake SnowflakeCredentials block to take credentials from."
    )
    snowflake_host: str | None = None
    snowflake_port: int | None = None
    snowflake_protocol: str = "https"
    snowflake_login_timeout_seconds: int = Field(
        60, ge=1, le=3600, description="Give up logging in to Snowflake after this long."
    )
    snowflake_stand_in: bool = Field(
        False,
        description="The server is the fakesnow stand-in: skip what it cannot run (account-level "
        "setup statements, dbt unit tests, incremental builds).",
    )

    # Pricing API and deploy.
    api_url: str = "http://127.0.0.1:8000"
    api_key: SecretStr | None = None
    notify_webhook_url: str | None = None
    notify_apprise_urls: str | None = Field(
        None, description="Apprise URLs (comma- or space-separated: slack://..., mailtos://..., "
        "json://...) that flow failures, crashes and run summaries go to.",
    )

    timezone: str = "UTC"

    # Data-quality checks (flightprice.transform.checks): thresholds relative to the data.
    quality_trailing_days: int = Field(
        7, ge=1, le=60, description="Earlier delivery days the latest day's fare rows are compared with."
    )
    quality_min_volume_ratio: float = Field(
        0.5, gt=0, le=1, description="Latest delivery below this share of the trailing mean: error."
    )
    quality_max_optional_null_share: float = Field(
        0.10, ge=0, le=1, description="Seats, capacity or load factor nulls above this share: warn."
    )
    quality_clock_ahead_hours: float = Field(
        24.0, ge=0, description="Latest observed_at this far after the latest load: error."
    )
    quality_freshness_hours: float = Field(
        36.0, gt=0, description="No file loaded for this long: warn."
    )
    # Transform: incremental dbt models (flightprice.transform.dbt).
    transform_lookback_hours: float = Field(
        6.0, ge=0,
        description="Incremental dbt runs re-read raw rows loaded this long before the latest "
        "load they processed (loads committed late, stamps out of order).",
    )  # fmt: skip
    # Ingest: row-level rejects and temporal sanity (flightprice.ingest).
    ingest_max_reject_share: float = Field(
        0.10, ge=0, le=1,
        description="Quarantine a file whole when more than this share of its rows is rejected.",
    )  # fmt: skip
    ingest_future_tolerance_hours: float = Field(
        24.0, ge=0,
        description="Reject a fare observed later than its delivery folder's day plus this long "
        "(a day covers local business dates west of UTC and late-closed folders).",
    )  # fmt: skip
    ingest_max_days_ahead: int = Field(
        MAX_DAYS_AHEAD, ge=1,
        description="Reject a fare departing more than this many days after it was observed.",
    )  # fmt: skip

    # Training and promotion.
    holdout_days: int = Field(
        7, ge=1, le=60, description="Most days at the end held out for evaluation."
    )
    holdout_max_share: float = Field(
        0.2, gt=0, le=1,
        description="The holdout shrinks to the whole last days within this share of the rows "
        "(at least one day).",
    )  # fmt: skip
    flight_min_rows: int = Field(
        20, ge=1,
        description="A flight (carrier + number) needs this many training rows to be a model "
        "input; rarer flights count as unknown.",
    )  # fmt: skip
    early_stopping_max_rows: int | None = Field(
        100_000, ge=1000,
        description="Early stopping chooses the number of rounds on at most the latest N "
        "training rows, or FLIGHTPRICE_EARLY_STOPPING_MIN_SHARE of them if more (the "
        "registered model is refitted on all of them, its rounds scaled by the square root "
        "of the row ratio).",
    )  # fmt: skip
    early_stopping_min_share: float = Field(
        0.1, gt=0, le=1,
        description="Early stopping sees at least this share of the training rows, so the "
        "refit's round scaling never spans more than 1/share times the rows; 1: all rows "
        "(two full fits, ~2x the time).",
    )  # fmt: skip
    promotion_margin: float = Field(
        0.01, ge=0, lt=1, description="Challenger MAPE must beat the champion's by this share."
    )
    max_training_rows: int | None = Field(
        None, ge=1000, description="Train on at most the latest N rows (None: all)."
    )
    search_trials: int = Field(
        8, ge=0, le=1000,
        description="Hyperparameter search trials on time-ordered folds of the training rows "
        "before each training run; 0: no search, the default parameters.",
    )  # fmt: skip
    search_timeout_seconds: float = Field(
        20.0, gt=0, description="Stop starting search trials after this long (one fold may finish)."
    )
    search_max_rows: int = Field(
        100_000, ge=1000, description="Search on at most the latest N training rows (the budget)."
    )

    # Pricing API (flightprice serve, api/).
    api_host: str = Field("127.0.0.1", description="Interface `flightprice serve` binds to.")
    api_port: int = Field(8000, ge=1, le=65535, description="Port `flightprice serve` binds to.")
    api_workers: int = Field(1, ge=1, le=64, description="uvicorn worker processes.")
    api_batch_limit: int = Field(
        1000, ge=1, le=100_000, description="Most flights in one JSON /v1/price/batch request."
    )
    api_arrow_batch_limit: int = Field(
        100_000, ge=1, le=1_000_000,
        description="Most flights in one Arrow IPC /v1/price/batch request.",
    )  # fmt: skip
    # Body caps, checked before a byte is parsed (api/guards.py): over one answers 413.
    api_max_body_bytes: int = Field(
        64 * 1024, ge=1024, description="Largest request body of /v1/price and the other endpoints."
    )
    api_max_batch_body_bytes: int = Field(
        4 * 1024 * 1024, ge=1024, description="Largest JSON body of /v1/price/batch."
    )
    api_max_arrow_body_bytes: int = Field(
        64 * 1024 * 1024, ge=1024, description="Largest Arrow IPC body of /v1/price/batch."
    )
    api_pricing_key: SecretStr | None = Field(
        None,
        description="When set, /v1/price, /v1/price/batch and /v1/model need it (or the admin "
        "key) in X-API-Key; unset: they are open.",
    )
    api_model_retry_seconds: float = Field(
        30.0, ge=0,
        description="While the API has no model (no champion yet, warehouse busy), try to load "
        "the champion again this often; 0 = only at start and on POST /admin/reload.",
    )  # fmt: skip
    unseen_policy: Literal["price", "baseline", "refuse"] = Field(
        "price",
        description="A request with inputs the model never saw in training (route, carrier, "
        "...): price: the model's price, flagged; baseline: the route x cabin training median "
        "when route and cabin are known, else price; refuse: 422 (batch scoring skips the row).",
    )
    pricing_policy: Literal["rule", "ladder", "optimal", "oracle"] = Field(
        "rule",
        description="What prices the API and batch scoring: rule: the market fare with the "
        "demand and urgency adjustments; ladder, optimal, oracle: revenue policies "
        "(src/flightprice/revenue/serving.py). Each quote's `policy` says which priced it.",
    )
    demand_source: Literal["warehouse", "simulator"] = Field(
        "warehouse",
        description="The demand optimal and ladder price with: warehouse: the latest "
        "`flightprice demand fit` (learnt from the bookings feed); without one they price by "
        "rule and each quote says so. simulator: the simulated market's demand (the demo).",
    )
    smoke_latency_budget_ms: float = Field(
        250.0, gt=0, description="Smoke test: highest acceptable p95 latency of /v1/price."
    )

    # Champion/challenger at serve time (flightprice.experiment): the API prices a stable
    # share of the flights with the challenger and logs which arm priced each quote.
    experiment_challenger: str | None = Field(
        None,
        description="A model version, or a pricing policy name, that prices "
        "FLIGHTPRICE_EXPERIMENT_SHARE of the flights; unset: no experiment.",
    )
    experiment_share: float = Field(
        0.5, ge=0, le=1, description="Share of the flights (stable hash) the challenger prices."
    )
    experiment_name: str = Field(
        "default", min_length=1, max_length=64,
        description="Names the experiment in its log and salts the hash: a new name reshuffles "
        "the flights between the arms.",
    )  # fmt: skip
    experiment_log_path: Path | None = Field(
        None, description="The assignment log (JSON Lines); defaults to "
        "<home>/experiments/quote_assignments.jsonl.",
    )  # fmt: skip

    # Batch scoring (flightprice score, flows/batch_scoring.py).
    scoring_mode: Literal["api", "local"] = Field(
        "api", description="api: price through the deployed API; local: the champion in-process."
    )
    scoring_chunk_rows: int = Field(
        100_000, ge=1, description="Rows read, priced and written per chunk (bounds memory)."
    )
    scoring_request_rows: int = Field(
        10_000, ge=1, description="api mode: flights per batch request (Arrow IPC)."
    )
    scoring_concurrency: int = Field(4, ge=1, le=64, description="api mode: requests in flight.")
    scoring_pricing_workers: int = Field(
        2,
        ge=1,
        le=16,
        description="local mode: chunks priced at once (at most one per core), the model's "
        "threads split between them (one chunk's feature and pricing steps run while another's "
        "prediction has the cores). Each adds a chunk's memory.",
    )
    scoring_retries: int = Field(
        4, ge=0, le=20, description="api mode: retries of a failed request (exponential back-off)."
    )
    scoring_timeout_seconds: float = Field(60.0, gt=0, description="api mode: per request.")
    scoring_duckdb_memory_limit: str | None = Field(
        "512MB",
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$",
        description="DuckDB memory_limit while scoring into the embedded file (the engine runs "
        "in the scoring process); None: DuckDB's default, 80% of RAM.",
    )
    scoring_duckdb_stream_memory_limit: str | None = Field(
        "384MB",
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$",
        description="DuckDB memory_limit while the chunks stream (its cache of scanned blocks "
        "grows with the rows); the publish gets scoring_duckdb_memory_limit back. None or the same "
        "value: that limit throughout.",
    )

    # Compute engine of training and local-model batch scoring (flightprice.engine).
    engine: Literal["local", "dask"] = Field(
        "local", description="local: this process; dask: a Dask cluster (FLIGHTPRICE_DASK_*)."
    )
    dask_address: str | None = Field(
        None, description="Scheduler of an existing Dask cluster (tcp://host:8786); None: a "
        "LocalCluster on this machine for the run.",
    )  # fmt: skip
    dask_workers: int = Field(
        2, ge=1, le=256, description="LocalCluster worker processes (one thread each)."
    )
    dask_partition_rows: int = Field(
        250_000, ge=1, description="Training rows per Dask partition (read in batches)."
    )

    # Dynamic pricing policy (flightprice.pricing.params): FLIGHTPRICE_PRICING__<PARAM>.
    pricing: PricingParams = Field(default_factory=PricingParams)

    # Deploy (flightprice deploy, the training flow's "deploy if better").
    deploy_target: Literal["local", "ecs"] = Field(
        "local", description="local: champion pointer + API reload; ecs: a new ECS revision."
    )
    model_version: str | None = Field(
        None, description="Serve this registered version, not the registry's champion "
        "(each ECS task-definition revision pins one).",
    )  # fmt: skip
    smoke_wait_seconds: float = Field(
        30.0, ge=0, description="Deploy: how long the smoke test waits for /health to answer."
    )
    ecs_cluster: str | None = None
    ecs_service: str | None = None
    ecs_service_url: str | None = Field(
        None, description="Base URL of the ECS service (its load balancer) for the smoke test."
    )
    ecs_task_definition_path: Path = Field(
        REPO_ROOT / "ecs" / "task-definition.json",
        description="Template of each new revision; ${FLIGHTPRICE_<FIELD>}, ${AWS_REGION} and "
        "${AWS_ACCOUNT_ID} are filled in at deploy time.",
    )  # fmt: skip
    ecs_container_name: str = Field("api", description="The container that serves the API.")
    ecs_image_tag: str = Field("latest", description="Tag of the flightprice-api image to run.")
    ecs_endpoint_url: str | None = Field(
        None, description="ECS/EC2/STS endpoint (a stand-in such as moto); None: AWS."
    )
    ecs_poll_timeout_seconds: float = Field(
        600.0, ge=0, description="Deploy: longest wait for the ECS rollout before smoke testing."
    )
    ecs_poll_interval_seconds: float = Field(15.0, gt=0, description="Deploy: ECS poll interval.")

    # Experiment tracking (flightprice.track): every training run in MLflow.
    mlflow_tracking: bool = Field(
        True, description="Log every training run (params, metrics, report, model) to MLflow."
    )
    mlflow_uri: str | None = Field(
        None, description="MLflow tracking server URI (production); None: the SQLite store "
        "<home>/mlflow/mlflow.db with artifacts under <home>/mlflow/artifacts.",
    )  # fmt: skip
    mlflow_strict: bool = Field(
        False, description="A tracking failure fails the training run (default: a warning)."
    )
    mlflow_experiment: str = Field("flightprice-training", description="MLflow experiment.")
    mlflow_model_name: str = Field(
        "flightprice-fare-model", description="MLflow registered model mirroring MODEL_REGISTRY."
    )
    mlflow_ui_port: int = Field(5000, ge=1, le=65535, description="`flightprice ui mlflow` port.")

    # Monitoring after deployment (flightprice.monitor), run by the scoring flow.
    monitoring_enabled: bool = Field(
        True, description="The scoring flow monitors each run into MODEL_MONITORING."
    )
    monitoring_input_psi: float = Field(
        0.25, gt=0, description="Input drift: a feature's PSI against the training rows above "
        "this breaches (0.1 moderate, 0.25 significant by the usual rule of thumb).",
    )  # fmt: skip
    monitoring_unseen_share: float = Field(
        0.05, ge=0, le=1,
        description="Input drift: a share of scored rows with an unseen route, carrier or cabin "
        "above this breaches.",
    )  # fmt: skip
    monitoring_output_psi: float = Field(
        0.25, gt=0, description="Output drift: PSI of market fares or prices against the last runs."
    )
    monitoring_accuracy_mape: float = Field(
        0.25, gt=0, description="Realised accuracy: MAPE of the market fare against fares "
        "observed after it was published, above this breaches.",
    )  # fmt: skip
    monitoring_history_runs: int = Field(
        5, ge=1, le=100, description="Output drift compares a run with this many earlier runs."
    )
    monitoring_accuracy_days: int = Field(
        7, ge=1, le=365, description="Realised accuracy looks at fares observed in the last N days."
    )
    monitoring_sample_rows: int = Field(
        100_000, ge=1000, description="Drift is measured on at most this many sampled rows."
    )
    monitoring_retrain: bool = Field(
        False, description="A breach starts the training deployment (reason in TRAINING_LOG)."
    )
    monitoring_training_deployment: str = Field(
        "model-training/weekly", description="The deployment a breach starts."
    )

    # Local scheduling (flightprice schedule): a Prefect server + worker under <home>/prefect.
    prefect_host: str = Field("127.0.0.1", description="Interface the Prefect server binds to.")
    prefect_port: int = Field(4200, ge=1, le=65535, description="Port of the Prefect server/UI.")

    @model_validator(mode="after")
    def _admin_key_from_home(self) -> Settings:
        """Without FLIGHTPRICE_API_KEY, use the key `flightprice init` wrote into the home.

        The API and `deploy` (the training flow's local deploy) read the same home, so the
        default set-up reloads the API with no key to configure.
        """
        if self.api_key is None and self.admin_key_file.is_file():
            key = self.admin_key_file.read_text().strip()
            if key:
                self.api_key = SecretStr(key)
        return self

    @property
    def admin_key_file(self) -> Path:
        """The admin key `flightprice init` generates (mode 0600) when none is configured."""
        return self.home / "admin.key"

    @property
    def duckdb_file(self) -> Path:
        return self.duckdb_path or self.home / "warehouse.duckdb"

    @property
    def lake(self) -> Path:
        return self.lake_dir or self.home / "lake"

    @property
    def experiment_log(self) -> Path:
        return self.experiment_log_path or self.home / "experiments" / "quote_assignments.jsonl"

    @property
    def prefect_home(self) -> Path:
        return self.home / "prefect"

    def require(self, *fields: str) -> None:
        """Raise one error naming every environment variable that `fields` need and lack."""
        missing = [f for f in fields if getattr(self, f) in (None, "")]
        if missing:
            names = ", ".join(ENV_PREFIX + f.upper() for f in missing)
            raise MissingSettingError(
                f"{names} must be set for warehouse={self.warehouse}, store={self.store}"
            )

    def check_production(self) -> None:
        """Fail fast when the selected production backends lack their required values."""
        if self.store == "s3":
            self.require("s3_bucket")
        if self.warehouse == "snowflake" and not self.snowflake_credentials_block:
            self.require("snowflake_account", "snowflake_user")
            if self.snowflake_password is None and self.snowflake_private_key_path is None:
                raise MissingSettingError(
                    f"{ENV_PREFIX}SNOWFLAKE_PASSWORD or {ENV_PREFIX}SNOWFLAKE_PRIVATE_KEY_PATH "
                    "must be set for warehouse=snowflake"
                )
            key = self.snowflake_private_key_path
            if key is not None and not key.expanduser().is_file():
                raise MissingSettingError(
                    f"{ENV_PREFIX}SNOWFLAKE_PRIVATE_KEY_PATH names no readable file: {key}"
                )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings; `get_settings.cache_clear()` re-reads them."""
    return Settings()
