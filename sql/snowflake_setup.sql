-- Production warehouse setup (Snowflake). Idempotent: every statement may run again.
-- Run as a role that may create databases, warehouses and roles (e.g. SYSADMIN + SECURITYADMIN),
-- or with `flightprice init` when FLIGHTPRICE_WAREHOUSE=snowflake.
-- Same schemas, tables and column names as sql/duckdb_setup.sql.

CREATE WAREHOUSE IF NOT EXISTS COMPUTE_WH
    WAREHOUSE_SIZE = 'XSMALL' AUTO_SUSPEND = 60 AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE;

CREATE DATABASE IF NOT EXISTS FLIGHT_PRICING;

CREATE ROLE IF NOT EXISTS DATA_ENGINEER;

CREATE SCHEMA IF NOT EXISTS FLIGHT_PRICING.RAW;
CREATE SCHEMA IF NOT EXISTS FLIGHT_PRICING.STAGING;
CREATE SCHEMA IF NOT EXISTS FLIGHT_PRICING.ANALYTICS;
CREATE SCHEMA IF NOT EXISTS FLIGHT_PRICING.ML_PREDICTIONS;

-- Least privilege: use the warehouse, own what dbt and the loaders create in these schemas.
GRANT USAGE ON WAREHOUSE COMPUTE_WH TO ROLE DATA_ENGINEER;
GRANT USAGE ON DATABASE FLIGHT_PRICING TO ROLE DATA_ENGINEER;
GRANT USAGE, CREATE TABLE, CREATE VIEW, CREATE STAGE, CREATE FILE FORMAT
    ON SCHEMA FLIGHT_PRICING.RAW TO ROLE DATA_ENGINEER;
GRANT USAGE, CREATE TABLE, CREATE VIEW ON SCHEMA FLIGHT_PRICING.STAGING TO ROLE DATA_ENGINEER;
GRANT USAGE, CREATE TABLE, CREATE VIEW ON SCHEMA FLIGHT_PRICING.ANALYTICS TO ROLE DATA_ENGINEER;
GRANT USAGE, CREATE TABLE ON SCHEMA FLIGHT_PRICING.ML_PREDICTIONS TO ROLE DATA_ENGINEER;

USE DATABASE FLIGHT_PRICING;

-- Raw files are staged as typed Parquet (validated by flightprice ingest) or as CSV.
CREATE FILE FORMAT IF NOT EXISTS RAW.PARQUET_FORMAT TYPE = PARQUET;
CREATE FILE FORMAT IF NOT EXISTS RAW.CSV_FORMAT
    TYPE = CSV SKIP_HEADER = 1 FIELD_OPTIONALLY_ENCLOSED_BY = '"' NULL_IF = ('') EMPTY_FIELD_AS_NULL = TRUE
    TIMESTAMP_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS';

CREATE STAGE IF NOT EXISTS RAW.RAW_STAGE FILE_FORMAT = RAW.PARQUET_FORMAT;

CREATE TABLE IF NOT EXISTS RAW.SCHEDULES (
    carrier          VARCHAR       NOT NULL,
    flight_number    VARCHAR       NOT NULL,
    origin           VARCHAR       NOT NULL,
    destination      VARCHAR       NOT NULL,
    departure_at     TIMESTAMP_NTZ NOT NULL,
    arrival_at       TIMESTAMP_NTZ NOT NULL,
    cabin            VARCHAR       NOT NULL,
    stops            INTEGER       NOT NULL,
    capacity         INTEGER       NOT NULL,
    _source_file     VARCHAR       NOT NULL,
    _loaded_at       TIMESTAMP_NTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS RAW.FARES (
    quote_id         VARCHAR       NOT NULL,
    observed_at      TIMESTAMP_NTZ NOT NULL,
    carrier          VARCHAR       NOT NULL,
    flight_number    VARCHAR       NOT NULL,
    origin           VARCHAR       NOT NULL,
    destination      VARCHAR       NOT NULL,
    departure_at     TIMESTAMP_NTZ NOT NULL,
    cabin            VARCHAR       NOT NULL,
    stops            INTEGER       NOT NULL,
    duration_minutes INTEGER       NOT NULL,
    seats_remaining  INTEGER,
    price            DOUBLE        NOT NULL,
    currency         VARCHAR       NOT NULL,
    _source_file     VARCHAR       NOT NULL,
    _loaded_at       TIMESTAMP_NTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS RAW.LOAD_MANIFEST (
    path             VARCHAR       NOT NULL,
    content_hash     VARCHAR       NOT NULL,
    feed             VARCHAR       NOT NULL,
    rows_loaded      BIGINT        NOT NULL,
    loaded_at        TIMESTAMP_NTZ NOT NULL,
    PRIMARY KEY (path, content_hash)
);

CREATE TABLE IF NOT EXISTS ML_PREDICTIONS.SCORING_LOG (
    run_id           VARCHAR       NOT NULL,
    mode             VARCHAR       NOT NULL,
    model_version    VARCHAR,
    rows_scored      BIGINT        NOT NULL,
    duration_seconds DOUBLE        NOT NULL,
    status           VARCHAR       NOT NULL,
    error            VARCHAR,
    started_at       TIMESTAMP_NTZ NOT NULL,
    finished_at      TIMESTAMP_NTZ
);

CREATE TABLE IF NOT EXISTS ML_PREDICTIONS.MODEL_REGISTRY (
    version          VARCHAR       NOT NULL PRIMARY KEY,
    created_at       TIMESTAMP_NTZ NOT NULL,
    status           VARCHAR       NOT NULL,
    metrics          VARCHAR,
    artifact_uri     VARCHAR       NOT NULL,
    sha256           VARCHAR       NOT NULL,
    promoted_at      TIMESTAMP_NTZ,
    promoted_from    VARCHAR,
    reason           VARCHAR
);

CREATE TABLE IF NOT EXISTS ML_PREDICTIONS.TRAINING_LOG (
    run_id           VARCHAR       NOT NULL,
    started_at       TIMESTAMP_NTZ NOT NULL,
    finished_at      TIMESTAMP_NTZ,
    status           VARCHAR       NOT NULL,
    model_version    VARCHAR,
    decision         VARCHAR,
    reason           VARCHAR,
    metrics          VARCHAR,
    training_rows    BIGINT,
    holdout_rows     BIGINT
);

CREATE TABLE IF NOT EXISTS ML_PREDICTIONS.DATA_QUALITY_LOG (
    run_id           VARCHAR       NOT NULL,
    checked_at       TIMESTAMP_NTZ NOT NULL,
    check_name       VARCHAR       NOT NULL,
    check_type       VARCHAR       NOT NULL,
    object_name      VARCHAR,
    status           VARCHAR       NOT NULL,
    failures         BIGINT,
    rows_checked     BIGINT,
    metric_value     DOUBLE,
    details          VARCHAR
);

-- One row per flight and cabin: the current recommended price (latest successful scoring run).
CREATE TABLE IF NOT EXISTS ML_PREDICTIONS.FLIGHT_PRICES (
    flight_id          VARCHAR       NOT NULL,
    cabin              VARCHAR       NOT NULL,
    departure_at       TIMESTAMP_NTZ NOT NULL,
    days_to_departure  DOUBLE        NOT NULL,
    price_usd          DOUBLE        NOT NULL,
    market_fare_usd    DOUBLE        NOT NULL,
    demand_adjustment  DOUBLE        NOT NULL,
    urgency_adjustment DOUBLE        NOT NULL,
    guardrail          VARCHAR       NOT NULL,
    reasons            VARCHAR       NOT NULL,
    previous_price_usd DOUBLE,
    model_version      VARCHAR       NOT NULL,
    as_of              TIMESTAMP_NTZ NOT NULL,
    scored_at          TIMESTAMP_NTZ NOT NULL,
    run_id             VARCHAR       NOT NULL,
    PRIMARY KEY (flight_id, cabin)
);

-- One row per scoring run, flight and cabin: every published price.
CREATE TABLE IF NOT EXISTS ML_PREDICTIONS.PRICE_HISTORY (
    flight_id          VARCHAR       NOT NULL,
    cabin              VARCHAR       NOT NULL,
    departure_at       TIMESTAMP_NTZ NOT NULL,
    days_to_departure  DOUBLE        NOT NULL,
    price_usd          DOUBLE        NOT NULL,
    market_fare_usd    DOUBLE        NOT NULL,
    demand_adjustment  DOUBLE        NOT NULL,
    urgency_adjustment DOUBLE        NOT NULL,
    guardrail          VARCHAR       NOT NULL,
    reasons            VARCHAR       NOT NULL,
    previous_price_usd DOUBLE,
    model_version      VARCHAR       NOT NULL,
    as_of              TIMESTAMP_NTZ NOT NULL,
    scored_at          TIMESTAMP_NTZ NOT NULL,
    run_id             VARCHAR       NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA FLIGHT_PRICING.RAW TO ROLE DATA_ENGINEER;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA FLIGHT_PRICING.ML_PREDICTIONS
    TO ROLE DATA_ENGINEER;
GRANT READ, WRITE ON STAGE RAW.RAW_STAGE TO ROLE DATA_ENGINEER;
