{#-
    Incremental models (see README "Incremental runs").

    Raw tables are append-only: the intermediate models read only the raw rows loaded since
    the latest load they hold, minus var('lookback_hours') (a load committed after a later
    one, or stamped out of order, is still picked up). Every row they write carries
    transformed_at, the dbt invocation's start; the models downstream read only upstream
    rows written after their own last build, recorded in STAGING.DBT_WATERMARKS by a
    post-hook. `dbt build --full-refresh` rebuilds every one from all history.
-#}

{#- The invocation's start as a timestamp literal: the transformed_at of rows written now. -#}
{% macro run_started_at_ts() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}


{#- The earliest load instant an incremental run of this model re-reads (a scalar query). -#}
{% macro load_cutoff() -%}
    select coalesce(max(loaded_at), cast('1900-01-01' as timestamp))
        - interval '{{ (var("lookback_hours") | float * 3600) | int }} second'
        as loaded_from
    from {{ this }}
{%- endmacro %}


{#- Whether `relation` has `column` (any case; false at parse time): a model reads a column
    its stored table may not have yet (added by on_schema_change on its next run). -#}
{% macro has_column(relation, column) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) if execute else [] -%}
    {{- return(column | lower in columns | map(attribute='name') | map('lower') | list) -}}
{%- endmacro %}


{#- The loads inside the lookback that an earlier run already read: ingest commits a file in
    one transaction and a run reads it whole or not at all, so a load with any row kept in
    {{ this }} was read in full and reading it again changes nothing (without this, every run
    re-ranked the latest load it had processed, always inside the lookback, beside its stored
    copies: benchmarks/README.md, "Session 7: dbt"). Needs a `load_cutoff` CTE. -#}
{% macro processed_loads() -%}
    select distinct
        stored.source_file,
        stored.loaded_at
    from {{ this }} as stored
    cross join load_cutoff
    where stored.loaded_at >= load_cutoff.loaded_from
{%- endmacro %}


{#- Rows of `staged` loaded since the cutoff (late deliveries of old days included: the filter
    is on the load instant), without the `processed_loads` CTE's loads. -#}
{% macro unread_loads(staged) -%}
    select staged.*
    from {{ staged }} as staged
    cross join load_cutoff
    where
        staged.loaded_at >= load_cutoff.loaded_from
        and not exists (
            select 1
            from processed_loads
            where
                processed_loads.source_file = staged.source_file
                and processed_loads.loaded_at = staged.loaded_at
        )
{%- endmacro %}


{% macro watermark_table() -%}
    {{ api.Relation.create(database=this.database, schema='STAGING', identifier='DBT_WATERMARKS') }}
{%- endmacro %}


{#- Pre-hook of a model that reads its parents by transformed_at. -#}
{% macro create_watermark_table() -%}
    create table if not exists {{ watermark_table() }} (model_name varchar, built_at timestamp)
{%- endmacro %}


{#- Post-hook: every upstream row written before this run is now in the model. -#}
{% macro record_watermark() -%}
    insert into {{ watermark_table() }} (model_name, built_at)
    values ('{{ this.identifier | lower }}', {{ run_started_at_ts() }})
{%- endmacro %}


{#- The start of this model's last build (a scalar subquery); upstream rows written later are new. -#}
{% macro last_built_at() -%}
    (
        select coalesce(max(built_at), cast('1900-01-01' as timestamp))
        from {{ watermark_table() }}
        where model_name = '{{ this.identifier | lower }}'
    )
{%- endmacro %}


{#- Post-hook of ml_demand_history: the latest booking load it has read (in DBT_WATERMARKS,
    under its own name: a load instant of the bookings feed, not a build's start). -#}
{% macro record_bookings_seen() -%}
    insert into {{ watermark_table() }} (model_name, built_at)
    select '{{ this.identifier | lower }}.bookings_loaded_at', max(loaded_at)
    from {{ ref('stg_raw__bookings') }}
{%- endmacro %}


{#- The earliest booking load instant an incremental run re-reads (a scalar query). -#}
{% macro bookings_seen() -%}
    select coalesce(max(built_at), cast('1900-01-01' as timestamp))
        - interval '{{ (var("lookback_hours") | float * 3600) | int }} second'
        as loaded_from
    from {{ watermark_table() }}
    where model_name = '{{ this.identifier | lower }}.bookings_loaded_at'
{%- endmacro %}


{#- Flight days a rewritten quote left (re-delivered as observed on another day, or for
    another flight or cabin): fct_fare_observation's pre-hook records them, before its
    delete+insert replaces the stored rows; the daily aggregates rebuild or drop them. -#}
{% macro vacated_days_table() -%}
    {{ api.Relation.create(database=this.database, schema='STAGING', identifier='DBT_VACATED_DAYS') }}
{%- endmacro %}


{#- Created by the first incremental run that reads or writes it (a pre-hook): a full build
    needs none, and leaves no empty table behind. -#}
{% macro create_vacated_days_table() -%}
    {%- if is_incremental() -%}
    create table if not exists {{ vacated_days_table() }} (
        flight_id varchar, cabin varchar, observation_date date, vacated_at timestamp
    )
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook of fct_fare_observation (incremental runs): the stored rows' flight days that
    the quotes written since its last build no longer have. Only quotes with an earlier
    version can have a stored row, written at or after that version's earliest_version_at:
    the probe reads the fact from there on (macros/replaced_versions.sql), not every row. -#}
{% macro record_vacated_days() -%}
    {%- if is_incremental() -%}
    insert into {{ vacated_days_table() }} (flight_id, cabin, observation_date, vacated_at)
    select distinct
        stored.flight_id,
        stored.cabin,
        stored.observation_date,
        {{ run_started_at_ts() }}
    from {{ this }} as stored
    inner join {{ ref('int_fares_deduplicated') }} as fresh
        on stored.quote_id = fresh.quote_id
    where
        fresh.transformed_at > {{ last_built_at() }}
        and (fresh.earliest_version_at is null or fresh.earliest_version_at <= {{ last_built_at() }})
        and stored.transformed_at >= {{ scalar_bound(fact_versions()) }}
        and (
            stored.flight_id <> fresh.flight_id
            or stored.cabin <> fresh.cabin
            or stored.observation_date <> cast(fresh.observed_at as date)
        )
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}


{#- The flight days vacated since this model's last build (a query). -#}
{% macro vacated_since_last_build() -%}
    select flight_id, cabin, observation_date
    from {{ vacated_days_table() }}
    where vacated_at > {{ last_built_at() }}
{%- endmacro %}


{#- Post-hook, before record_watermark: drop the rows of vacated days that this run did not
    write again (no quote of theirs is left). `date_column` is the model's day column; with
    by_flight=false a whole day goes (ml_demand_history rebuilds days whole). -#}
{% macro delete_vacated_rows(date_column, by_flight=true) -%}
    {%- if is_incremental() -%}
    {%- set stored = this.identifier -%}
    delete from {{ this }}
    using ({{ vacated_since_last_build() }}) as vacated
    where
        {{ stored }}.transformed_at < {{ run_started_at_ts() }}
        and {{ stored }}.{{ date_column }} = vacated.observation_date
        {%- if by_flight %}
        and {{ stored }}.flight_id = vacated.flight_id
        and {{ stored }}.cabin = vacated.cabin
        {%- endif %}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
