-- Embedded warehouse setup (DuckDB). Idempotent: every statement may run again.
-- Mirrors sql/snowflake_setup.sql: same schemas, same tables, same column names.

CREATE SCHEMA IF NOT EXISTS RAW;
CREATE SCHEMA IF NOT EXISTS STAGING;
CREATE SCHEMA IF NOT EXISTS ANALYTICS;
CREATE SCHEMA IF NOT EXISTS ML_PREDICTIONS;

-- One row per flight leg and cabin on sale, as delivered by the schedules feed.
CREATE TABLE IF NOT EXISTS RAW.SCHEDULES (
    carrier          VARCHAR   NOT NULL,
    flight_number    VARCHAR   NOT NULL,
    origin           VARCHAR   NOT NULL,
    destination      VARCHAR   NOT NULL,
    departure_at     TIMESTAMP NOT NULL,
    arrival_at       TIMESTAMP NOT NULL,
    cabin            VARCHAR   NOT NULL,
    stops            INTEGER   NOT NULL,
    capacity         INTEGER   NOT NULL,
    _source_file     VARCHAR   NOT NULL,
    _loaded_at       TIMESTAMP NOT NULL
);

-- One row per observed fare quote, as delivered by the fares feed.
CREATE TABLE IF NOT EXISTS RAW.FARES (
    quote_id         VARCHAR   NOT NULL,
    observed_at      TIMESTAMP NOT NULL,
    carrier          VARCHAR   NOT NULL,
    flight_number    VARCHAR   NOT NULL,
    origin           VARCHAR   NOT NULL,
    destination      VARCHAR   NOT NULL,
    departure_at     TIMESTAMP NOT NULL,
    cabin            VARCHAR   NOT NULL,
    stops            INTEGER   NOT NULL,
    duration_minutes INTEGER   NOT NULL,
    seats_remaining  INTEGER,
    price            DOUBLE    NOT NULL,
    currency         VARCHAR   NOT NULL,
    _source_file     VARCHAR   NOT NULL,
    _loaded_at       TIMESTAMP NOT NULL
);

-- One row per booking (a sale of `seats` seats at `price_paid` each, in `currency`), as
-- delivered by the bookings feed.
CREATE TABLE IF NOT EXISTS RAW.BOOKINGS (
    booking_id       VARCHAR   NOT NULL,
    booked_at        TIMESTAMP NOT NULL,
    carrier          VARCHAR   NOT NULL,
    flight_number    VARCHAR   NOT NULL,
    origin           VARCHAR   NOT NULL,
    destination      VARCHAR   NOT NULL,
    departure_at     TIMESTAMP NOT NULL,
    cabin            VARCHAR   NOT NULL,
    seats            INTEGER   NOT NULL,
    price_paid       DOUBLE    NOT NULL,
    currency         VARCHAR   NOT NULL,
    _source_file     VARCHAR   NOT NULL,
    _loaded_at       TIMESTAMP NOT NULL
);

-- One row per currency and date, as delivered by the currency_rates feed: USD per unit of
-- the currency from that date on (dbt overlays it on the shipped currency_rates seed).
CREATE TABLE IF NOT EXISTS RAW.CURRENCY_RATES (
    date             DATE      NOT NULL,
    currency         VARCHAR   NOT NULL,
    rate_to_usd      DOUBLE    NOT NULL,
    _source_file     VARCHAR   NOT NULL,
    _loaded_at       TIMESTAMP NOT NULL
);

-- One row per raw file loaded; (path, content_hash) makes re-loading a no-op. source_fingerprint
-- (size + mtime, or size + S3 ETag) lets discovery skip unchanged files without reading them.
CREATE TABLE IF NOT EXISTS RAW.LOAD_MANIFEST (
    path             VARCHAR   NOT NULL,
    content_hash     VARCHAR   NOT NULL,
    feed             VARCHAR   NOT NULL,
    rows_loaded      BIGINT    NOT NULL,
    loaded_at        TIMESTAMP NOT NULL,
    source_fingerprint VARCHAR,
    PRIMARY KEY (path, content_hash)
);
-- Warehouses set up before source_fingerprint existed get it here (no-op otherwise).
ALTER TABLE RAW.LOAD_MANIFEST ADD COLUMN IF NOT EXISTS source_fingerprint VARCHAR;

-- One row per rejected row of a loaded file (its good rows are in RAW.FARES/SCHEDULES),
-- written in the load's transaction; a file quarantined whole has none (see its reason.json).
CREATE TABLE IF NOT EXISTS RAW.REJECTED_ROWS (
    path             VARCHAR   NOT NULL,
    content_hash     VARCHAR   NOT NULL,
    row_number       BIGINT    NOT NULL,
    check_name       VARCHAR   NOT NULL,
    column_name      VARCHAR,
    value            VARCHAR,
    reason           VARCHAR   NOT NULL,
    run_id           VARCHAR   NOT NULL,
    rejected_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (path, content_hash, row_number)
);

-- One row per scoring run.
CREATE TABLE IF NOT EXISTS ML_PREDICTIONS.SCORING_LOG (
    run_id           VARCHAR   NOT NULL,
    mode             VARCHAR   NOT NULL,
    model_version    VARCHAR,
    rows_scored      BIGINT    NOT NULL,
    duration_seconds DOUBLE    NOT NULL,
    status           VARCHAR   NOT NULL,
    error            VARCHAR,
    started_at       TIMESTAMP NOT NULL,
    finished_at      TIMESTAMP,
    details          VARCHAR               -- JSON: unseen-input counts (serve/unseen.py)
);
-- Warehouses set up before details existed get the column here (no-op otherwise).
ALTER TABLE ML_PREDICTIONS.SCORING_LOG ADD COLUMN IF NOT EXISTS details VARCHAR;

-- One row per model version ever trained; exactly one has status 'champion'.
CREATE TABLE IF NOT EXISTS ML_PREDICTIONS.MODEL_REGISTRY (
    version          VARCHAR   NOT NULL PRIMARY KEY,
    created_at       TIMESTAMP NOT NULL,
    status           VARCHAR   NOT NULL,   -- champion | challenger | retired
    metrics          VARCHAR,              -- JSON
    artifact_uri     VARCHAR   NOT NULL,
    sha256           VARCHAR   NOT NULL,
    promoted_at      TIMESTAMP,
    promoted_from    VARCHAR,
    reason           VARCHAR
);

-- One row per training run, including skipped and failed ones.
CREATE TABLE IF NOT EXISTS ML_PREDICTIONS.TRAINING_LOG (
    run_id           VARCHAR   NOT NULL,
    started_at       TIMESTAMP NOT NULL,
    finished_at      TIMESTAMP,
    status           VARCHAR   NOT NULL,   -- trained | skipped | failed
    model_version    VARCHAR,
    -- decision: promoted | rejected | first_champion | rolled_back | none
    decision         VARCHAR,
    reason           VARCHAR,
    metrics          VARCHAR,              -- JSON
    training_rows    BIGINT,
    holdout_rows     BIGINT
);

-- One row per data-quality check result (dbt tests, metrics, ingest rejections).
CREATE TABLE IF NOT EXISTS ML_PREDICTIONS.DATA_QUALITY_LOG (
    run_id           VARCHAR   NOT NULL,
    checked_at       TIMESTAMP NOT NULL,
    check_name       VARCHAR   NOT NULL,
    check_type       VARCHAR   NOT NULL,   -- dbt_test, ingest or a checks.CHECKS kind
    object_name      VARCHAR,
    status           VARCHAR   NOT NULL,   -- pass | warn | fail | error
    failures         BIGINT,
    rows_checked     BIGINT,
    metric_value     DOUBLE,
    details          VARCHAR,
    severity         VARCHAR             -- error (blocks training) | warn; null: before severities
);

-- Warehouses set up before severities existed get the column here (no-op otherwise).
ALTER TABLE ML_PREDICTIONS.DATA_QUALITY_LOG ADD COLUMN IF NOT EXISTS severity VARCHAR;

-- One row per flight and cabin: the current recommended price, published by the latest
-- successful scoring run that priced it (flightprice.scoring). The scoring MERGE keeps the
-- key unique; no PRIMARY KEY index: on millions of rows DuckDB's index costs more memory and
-- time than the upsert itself.
CREATE TABLE IF NOT EXISTS ML_PREDICTIONS.FLIGHT_PRICES (
    flight_id          VARCHAR   NOT NULL,
    cabin              VARCHAR   NOT NULL,
    departure_at       TIMESTAMP NOT NULL,
    days_to_departure  DOUBLE    NOT NULL,
    price_usd          DOUBLE    NOT NULL,   -- the recommended price, after guardrails and rounding
    market_fare_usd    DOUBLE    NOT NULL,   -- the model's market fare
    demand_adjustment  DOUBLE    NOT NULL,   -- multiplier - 1 (0.05 = +5%)
    urgency_adjustment DOUBLE    NOT NULL,   -- multiplier - 1
    guardrail          VARCHAR   NOT NULL,   -- none | floor | ceiling | max_increase | max_decrease
    reasons            VARCHAR   NOT NULL,   -- JSON: flightprice.pricing.reasons_json
    previous_price_usd DOUBLE,               -- the last published price the change limit used
    model_version      VARCHAR   NOT NULL,
    as_of              TIMESTAMP NOT NULL,   -- the data clock the features describe
    scored_at          TIMESTAMP NOT NULL,
    run_id             VARCHAR   NOT NULL,
    unseen             VARCHAR,              -- inputs unseen in training, comma-joined; '' = none
    confidence         VARCHAR,                -- high | medium | low
    fare_source        VARCHAR                 -- model | baseline (route x cabin training median)
);
-- Warehouses set up before the unseen-input flags get them here (no-op otherwise); null:
-- priced before the flags existed.
ALTER TABLE ML_PREDICTIONS.FLIGHT_PRICES ADD COLUMN IF NOT EXISTS unseen VARCHAR;
ALTER TABLE ML_PREDICTIONS.FLIGHT_PRICES ADD COLUMN IF NOT EXISTS confidence VARCHAR;
ALTER TABLE ML_PREDICTIONS.FLIGHT_PRICES ADD COLUMN IF NOT EXISTS fare_source VARCHAR;

-- One row per scoring run, flight and cabin: every published price (same columns as
-- FLIGHT_PRICES). Re-running a run id replaces that run's rows, never adds to them.
CREATE TABLE IF NOT EXISTS ML_PREDICTIONS.PRICE_HISTORY (
    flight_id          VARCHAR   NOT NULL,
    cabin              VARCHAR   NOT NULL,
    departure_at       TIMESTAMP NOT NULL,
    days_to_departure  DOUBLE    NOT NULL,
    price_usd          DOUBLE    NOT NULL,
    market_fare_usd    DOUBLE    NOT NULL,
    demand_adjustment  DOUBLE    NOT NULL,
    urgency_adjustment DOUBLE    NOT NULL,
    guardrail          VARCHAR   NOT NULL,
    reasons            VARCHAR   NOT NULL,
    previous_price_usd DOUBLE,
    model_version      VARCHAR   NOT NULL,
    as_of              TIMESTAMP NOT NULL,
    scored_at          TIMESTAMP NOT NULL,
    run_id             VARCHAR   NOT NULL,
    unseen             VARCHAR,              -- inputs unseen in training, comma-joined; '' = none
    confidence         VARCHAR,                -- high | medium | low
    fare_source        VARCHAR                 -- model | baseline (route x cabin training median)
);
-- Warehouses set up before the unseen-input flags get them here (no-op otherwise); null:
-- priced before the flags existed.
ALTER TABLE ML_PREDICTIONS.PRICE_HISTORY ADD COLUMN IF NOT EXISTS unseen VARCHAR;
ALTER TABLE ML_PREDICTIONS.PRICE_HISTORY ADD COLUMN IF NOT EXISTS confidence VARCHAR;
ALTER TABLE ML_PREDICTIONS.PRICE_HISTORY ADD COLUMN IF NOT EXISTS fare_source VARCHAR;

-- One row per scoring run and check after deployment (flightprice.monitor): input drift
-- against the champion's training rows, output drift against the last runs, realised accuracy.
CREATE TABLE IF NOT EXISTS ML_PREDICTIONS.MODEL_MONITORING (
    run_id           VARCHAR       NOT NULL,   -- the scoring run monitored
    monitored_at     TIMESTAMP     NOT NULL,
    model_version    VARCHAR,
    kind             VARCHAR       NOT NULL,   -- input_drift | unseen | output_drift | accuracy
    name             VARCHAR       NOT NULL,   -- feature, output column, day or days-out bucket
    metric           VARCHAR       NOT NULL,   -- psi | share | mape
    value            DOUBLE,
    threshold        DOUBLE,                   -- null: shown, never alerts (a breakdown row)
    breached         BOOLEAN       NOT NULL,
    rows_compared    BIGINT
);
