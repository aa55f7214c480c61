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
