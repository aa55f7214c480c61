-- sqlfluff:dialect:snowflake
-- Production warehouse setup (Snowflake). Idempotent: every statement may run again.
--
-- Run once per account as a role that may create warehouses, databases and roles
-- (ACCOUNTADMIN, or SYSADMIN + SECURITYADMIN), either in a worksheet / `snowsql -f` or with
--     FLIGHTPRICE_WAREHOUSE=snowflake FLIGHTPRICE_SNOWFLAKE_ROLE=ACCOUNTADMIN flightprice init
-- which puts the configured database, warehouse and role names in place of FLIGHT_PRICING,
-- COMPUTE_WH and DATA_ENGINEER. The pipeline then runs as DATA_ENGINEER; give it to the
-- service user by hand: GRANT ROLE DATA_ENGINEER TO USER <service user>;
-- Same schemas, tables and column names as sql/duckdb_setup.sql.
--
-- Against the fakesnow stand-in (FLIGHTPRICE_SNOWFLAKE_STAND_IN=true) `flightprice init`
-- skips the account-level statements (CREATE WAREHOUSE, CREATE ROLE, GRANT): the stand-in
-- has no warehouses, roles or privileges. Everything else runs there as written.

-- Account level: compute, the database, the role -------------------------------------------

CREATE WAREHOUSE IF NOT EXISTS COMPUTE_WH
    WAREHOUSE_SIZE = 'XSMALL' AUTO_SUSPEND = 60 AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE;

CREATE DATABASE IF NOT EXISTS FLIGHT_PRICING;

CREATE ROLE IF NOT EXISTS DATA_ENGINEER;
-- Keep the custom role under SYSADMIN, so administrators can manage what it owns.
GRANT ROLE DATA_ENGINEER TO ROLE SYSADMIN;

CREATE SCHEMA IF NOT EXISTS FLIGHT_PRICING.RAW;
CREATE SCHEMA IF NOT EXISTS FLIGHT_PRICING.STAGING;
CREATE SCHEMA IF NOT EXISTS FLIGHT_PRICING.ANALYTICS;
CREATE SCHEMA IF NOT EXISTS FLIGHT_PRICING.ML_PREDICTIONS;

USE DATABASE FLIGHT_PRICING;

-- Loading: raw rows arrive as typed Parquet (validated by flightprice ingest), are PUT to the
-- stage and COPY'd INTO their table (flightprice.warehouse.snowflake). USE_LOGICAL_TYPE reads
-- Parquet timestamps as timestamps rather than as raw integers.
CREATE FILE FORMAT IF NOT EXISTS RAW.PARQUET_FORMAT TYPE = PARQUET USE_LOGICAL_TYPE = TRUE;
-- For loading the contract's CSV files by hand (COPY INTO ... FILE_FORMAT = RAW.CSV_FORMAT).
CREATE FILE FORMAT IF NOT EXISTS RAW.CSV_FORMAT
    TYPE = CSV SKIP_HEADER = 1 FIELD_OPTIONALLY_ENCLOSED_BY = '"'
    NULL_IF = ('') EMPTY_FIELD_AS_NULL = TRUE TIMESTAMP_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS';

CREATE STAGE IF NOT EXISTS RAW.RAW_STAGE FILE_FORMAT = RAW.PARQUET_FORMAT
    COMMENT = 'flightprice bulk loads: PUT under loads/<table>/<id>/, COPY INTO ... PURGE = TRUE';

-- Tables: loads, logs and published prices ------------------------------------------------

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

-- One row per booking (a sale of `seats` seats at `price_paid` each, in `currency`), as
-- delivered by the bookings feed.
CREATE TABLE IF NOT EXISTS RAW.BOOKINGS (
    booking_id       VARCHAR       NOT NULL,
    booked_at        TIMESTAMP_NTZ NOT NULL,
    carrier          VARCHAR       NOT NULL,
    flight_number    VARCHAR       NOT NULL,
    origin           VARCHAR       NOT NULL,
    destination      VARCHAR       NOT NULL,
    departure_at     TIMESTAMP_NTZ NOT NULL,
    cabin            VARCHAR       NOT NULL,
    seats            INTEGER       NOT NULL,
    price_paid       DOUBLE        NOT NULL,
    currency         VARCHAR       NOT NULL,
    _source_file     VARCHAR       NOT NULL,
    _loaded_at       TIMESTAMP_NTZ NOT NULL
);

-- One row per currency and date, as delivered by the currency_rates feed: USD per unit of
-- the currency from that date on (dbt overlays it on the shipped currency_rates seed).
CREATE TABLE IF NOT EXISTS RAW.CURRENCY_RATES (
    date             DATE          NOT NULL,
    currency         VARCHAR       NOT NULL,
    rate_to_usd      DOUBLE        NOT NULL,
    _source_file     VARCHAR       NOT NULL,
    _loaded_at       TIMESTAMP_NTZ NOT NULL
);

-- One row per raw file loaded; (path, content_hash) makes re-loading a no-op. source_fingerprint
-- (size + mtime, or size + S3 ETag) lets discovery skip unchanged files without reading them.
CREATE TABLE IF NOT EXISTS RAW.LOAD_MANIFEST (
    path             VARCHAR       NOT NULL,
    content_hash     VARCHAR       NOT NULL,
    feed             VARCHAR       NOT NULL,
    rows_loaded      BIGINT        NOT NULL,
    loaded_at        TIMESTAMP_NTZ NOT NULL,
    source_fingerprint VARCHAR,
    PRIMARY KEY (path, content_hash)
);
-- Warehouses set up before source_fingerprint existed get it here (no-op otherwise).
ALTER TABLE RAW.LOAD_MANIFEST ADD COLUMN IF NOT EXISTS source_fingerprint VARCHAR;

-- One row per rejected row of a loaded file (its good rows are in RAW.FARES/SCHEDULES),
-- written in the load's transaction; a file quarantined whole has none (see its reason.json).
CREATE TABLE IF NOT EXISTS RAW.REJECTED_ROWS (
    path             VARCHAR       NOT NULL,
    content_hash     VARCHAR       NOT NULL,
    row_number       BIGINT        NOT NULL,
    check_name       VARCHAR       NOT NULL,
    column_name      VARCHAR,
    value            VARCHAR,
    reason           VARCHAR       NOT NULL,
    run_id           VARCHAR       NOT NULL,
    rejected_at      TIMESTAMP_NTZ NOT NULL,
    PRIMARY KEY (path, content_hash, row_number)
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
    finished_at      TIMESTAMP_NTZ,
    details          VARCHAR               -- JSON: unseen-input counts (serve/unseen.py)
);
-- Warehouses set up before details existed get the column here (no-op otherwise).
ALTER TABLE ML_PREDICTIONS.SCORING_LOG ADD COLUMN IF NOT EXISTS details VARCHAR;

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
    details          VARCHAR,
    severity         VARCHAR           -- error (blocks training) | warn; null: before severities
);

-- Warehouses set up before severities existed get the column here (no-op otherwise).
ALTER TABLE ML_PREDICTIONS.DATA_QUALITY_LOG ADD COLUMN IF NOT EXISTS severity VARCHAR;

-- One row per flight and cabin: the current recommended price (latest successful scoring run;
-- the scoring MERGE keeps flight_id + cabin unique).
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
    unseen             VARCHAR,              -- inputs unseen in training, comma-joined; '' = none
    confidence         VARCHAR,                -- high | medium | low
    fare_source        VARCHAR                 -- model | baseline (route x cabin training median)
);
-- Warehouses set up before the unseen-input flags get them here (no-op otherwise); null:
-- priced before the flags existed.
ALTER TABLE ML_PREDICTIONS.FLIGHT_PRICES ADD COLUMN IF NOT EXISTS unseen VARCHAR;
ALTER TABLE ML_PREDICTIONS.FLIGHT_PRICES ADD COLUMN IF NOT EXISTS confidence VARCHAR;
ALTER TABLE ML_PREDICTIONS.FLIGHT_PRICES ADD COLUMN IF NOT EXISTS fare_source VARCHAR;

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
    run_id             VARCHAR       NOT NULL,
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
    monitored_at     TIMESTAMP_NTZ NOT NULL,
    model_version    VARCHAR,
    kind             VARCHAR       NOT NULL,   -- input_drift | unseen | output_drift | accuracy
    name             VARCHAR       NOT NULL,   -- feature, output column, day or days-out bucket
    metric           VARCHAR       NOT NULL,   -- psi | share | mape
    value            DOUBLE,
    threshold        DOUBLE,                   -- null: shown, never alerts (a breakdown row)
    breached         BOOLEAN       NOT NULL,
    rows_compared    BIGINT
);

-- Least privilege for DATA_ENGINEER ----------------------------------------------------------
-- Run the warehouse; read and write the rows of RAW and ML_PREDICTIONS (whose tables this
-- script owns); create the tables and views dbt builds in STAGING and ANALYTICS (which it then
-- owns); load through the stage. No other schema, no DDL on RAW or ML_PREDICTIONS.

GRANT USAGE ON WAREHOUSE COMPUTE_WH TO ROLE DATA_ENGINEER;
GRANT USAGE ON DATABASE FLIGHT_PRICING TO ROLE DATA_ENGINEER;

GRANT USAGE ON SCHEMA FLIGHT_PRICING.RAW TO ROLE DATA_ENGINEER;
GRANT USAGE ON SCHEMA FLIGHT_PRICING.ML_PREDICTIONS TO ROLE DATA_ENGINEER;
GRANT USAGE, CREATE TABLE, CREATE VIEW ON SCHEMA FLIGHT_PRICING.STAGING TO ROLE DATA_ENGINEER;
GRANT USAGE, CREATE TABLE, CREATE VIEW ON SCHEMA FLIGHT_PRICING.ANALYTICS TO ROLE DATA_ENGINEER;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA FLIGHT_PRICING.RAW
    TO ROLE DATA_ENGINEER;
GRANT SELECT, INSERT, UPDATE, DELETE ON FUTURE TABLES IN SCHEMA FLIGHT_PRICING.RAW
    TO ROLE DATA_ENGINEER;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA FLIGHT_PRICING.ML_PREDICTIONS
    TO ROLE DATA_ENGINEER;
GRANT SELECT, INSERT, UPDATE, DELETE ON FUTURE TABLES IN SCHEMA FLIGHT_PRICING.ML_PREDICTIONS
    TO ROLE DATA_ENGINEER;

GRANT USAGE ON FILE FORMAT FLIGHT_PRICING.RAW.PARQUET_FORMAT TO ROLE DATA_ENGINEER;
GRANT USAGE ON FILE FORMAT FLIGHT_PRICING.RAW.CSV_FORMAT TO ROLE DATA_ENGINEER;
GRANT READ, WRITE ON STAGE FLIGHT_PRICING.RAW.RAW_STAGE TO ROLE DATA_ENGINEER;
