{#-
    Replacing re-delivered quotes without probing the whole history (README "Incremental runs").

    int_fares_deduplicated already reads the stored version of every quote it writes again;
    it stamps each row it writes with earliest_version_at: the transformed_at of the quote's
    first version written by an incremental run (this row's own for a quote new to it), null
    when that is unknown (a full rebuild, or rows written before the column existed). Every
    row of an earlier version of the quote, in that table or downstream, was written at or
    after it, and rows are appended in transformed_at order, so a delete of those versions
    needs to read only the row groups written since (DuckDB skips the others by their
    min/max; Snowflake keeps such min/max per micro-partition). Before this, the delete+insert
    of int_fares_deduplicated and fct_fare_observation and the fact's vacated-days pre-hook
    each probed every stored quote_id: 3 of the 4 probes that grew with the history
    (benchmarks/README.md, "Session 8: dbt").
-#}

{#- The custom incremental strategy `replace_versions`: dbt's delete+insert, the delete
    limited to rows written since the scalar query of the model's `versions_since` macro
    (far in the future when no key of the batch has an earlier version: nothing to delete). -#}
{% macro get_incremental_replace_versions_sql(arg_dict) -%}
    {%- set versions_since = context[config.require('versions_since')] -%}
    {#- Unqualified: the adapters spell the delete with and without an alias for the target. -#}
    {%- set predicates = (arg_dict['incremental_predicates'] or []) + [
        'transformed_at >= ' ~ scalar_bound(versions_since(arg_dict['temp_relation']))
    ] -%}
    {{ get_delete_insert_merge_sql(
        arg_dict['target_relation'], arg_dict['temp_relation'], arg_dict['unique_key'],
        arg_dict['dest_columns'], predicates
    ) }}
{%- endmacro %}


{#- A scalar query's timestamp, run now and inlined as a literal: DuckDB prunes a scan's row
    groups by a constant bound, not by a scalar subquery (fct_fare_observation's vacated-days
    probe at 30 days x 1M rows: 5.2 s with the subquery, 0.01 s with its value inlined;
    benchmarks/README.md, "Session 8: dbt"). At parse time: the subquery itself. -#}
{% macro scalar_bound(query) -%}
    {%- if execute -%}
        {%- set value = run_query(query).columns[0].values()[0] -%}
        cast('{{ value }}' as timestamp)
    {%- else -%}
        ({{ query }})
    {%- endif -%}
{%- endmacro %}


{#- The oldest of the stamps (an unknown one: the beginning); with none, a far-future instant,
    not null: DuckDB prunes row groups by a scalar bound only when it is not null (a null
    bound read every row, as slowly as no bound; benchmarks/README.md, "Session 8: dbt"). -#}
{% macro version_bound(stamp) -%}
    coalesce(
        min(coalesce({{ stamp }}, cast('1900-01-01' as timestamp))),
        cast('9999-12-31' as timestamp)
    )
{%- endmacro %}


{#- The oldest version of a stamped row set's quotes that may already be stored:
    rows whose earliest version is older than `before`, or unknown. -#}
{% macro earliest_stored_version(relation, before) -%}
    select {{ version_bound('earliest_version_at') }}
    from {{ relation }}
    where earliest_version_at is null or earliest_version_at < {{ before }}
{%- endmacro %}


{#- versions_since of int_fares_deduplicated: its batch carries the stamp. -#}
{% macro versions_in_batch(batch) -%}
    {{ earliest_stored_version(batch, run_started_at_ts()) }}
{%- endmacro %}


{#- The stamp read back from a stored row (`alias.` prefix optional): null for a table built
    before the column existed, whose first incremental run adds it. -#}
{% macro stored_earliest_version_at(alias=none) -%}
    {%- if has_column(this, 'earliest_version_at') -%}
        {{ alias ~ '.' if alias }}earliest_version_at
    {%- else -%}
        cast(null as timestamp)
    {%- endif -%}
{%- endmacro %}


{#- Flights published since this model's last build with a capacity changed since (a feed
    re-publishes every flight on sale daily; macros/capacity_changes.sql), with their
    departure day: every quote of a flight departs that day (flight_id ends with it), so
    `departure_at >= departure_day` lets a scan skip the row groups of older departures. -#}
{% macro republished_flights() -%}
    select
        flight_id,
        min(cast(cast(departure_at as date) as timestamp)) as departure_day
    from {{ ref('int_schedules_deduplicated') }}
    where
        transformed_at > {{ last_built_at() }}
        and {{ capacity_changed_since(last_built_at()) }}
    group by flight_id
{%- endmacro %}


{#- The int_fares_deduplicated rows fct_fare_observation writes again: those written since
    its last build, and the quotes of re-published flights (two conjunctive branches rather
    than one `or`, so that each scan skips row groups by its own column's min/max). -#}
{% macro fact_fares_to_write(columns='*') -%}
    select {{ columns }}
    from {{ ref('int_fares_deduplicated') }}
    where transformed_at > {{ last_built_at() }}

    union all

    select {{ columns }}
    from {{ ref('int_fares_deduplicated') }}
    where
        transformed_at <= {{ last_built_at() }}
        and departure_at >= (
            select coalesce(min(republished.departure_day), cast('9999-12-31' as timestamp))
            from ({{ republished_flights() }}) as republished
        )
        and flight_id in (select republished.flight_id from ({{ republished_flights() }}) as republished)
{%- endmacro %}


{#- versions_since of fct_fare_observation: the oldest stored version among the quotes it
    writes (a fact row of a quote was written at or after the quote's first version). Only
    quotes with a version up to the fact's last build can have a row in it. -#}
{% macro fact_versions(batch=none) -%}
    select {{ version_bound('earliest_version_at') }}
    from ({{ fact_fares_to_write('earliest_version_at') }}) as fares
    where earliest_version_at is null or earliest_version_at <= {{ last_built_at() }}
{%- endmacro %}


{#- Pre-hook of fct_fare_observation, after record_vacated_days: drop the vacated days every
    reader has re-aggregated (DBT_VACATED_DAYS would otherwise grow for ever). A reader that
    never built keeps them all. -#}
{% macro prune_vacated_days(readers) -%}
    {%- if is_incremental() -%}
    delete from {{ vacated_days_table() }}
    where vacated_at <= (
        select min(built.built_at)
        from (
            select model_name, max(built_at) as built_at
            from {{ watermark_table() }}
            where model_name in ('{{ readers | join("', '") }}')
            group by model_name
        ) as built
        having count(*) = {{ readers | length }}
    )
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
