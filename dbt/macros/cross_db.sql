{#-
    SQL that differs between DuckDB (embedded) and Snowflake (production).
    Each macro dispatches on the adapter; the Snowflake forms are also the ones fakesnow
    can translate (to_char needs a typed argument there).
-#}

{#- 'YYYYMMDD' text of a timestamp or date. -#}
{% macro format_yyyymmdd(timestamp_expr) -%}
    {{ return(adapter.dispatch('format_yyyymmdd', 'flightprice')(timestamp_expr)) }}
{%- endmacro %}

{% macro duckdb__format_yyyymmdd(timestamp_expr) -%}
    strftime(cast({{ timestamp_expr }} as timestamp), '%Y%m%d')
{%- endmacro %}

{% macro snowflake__format_yyyymmdd(timestamp_expr) -%}
    to_char(cast({{ timestamp_expr }} as timestamp), 'YYYYMMDD')
{%- endmacro %}


{#- Hours from start to end as a double, at one-second resolution. -#}
{% macro hours_between(start_expr, end_expr) -%}
    {{ return(adapter.dispatch('hours_between', 'flightprice')(start_expr, end_expr)) }}
{%- endmacro %}

{% macro duckdb__hours_between(start_expr, end_expr) -%}
    (cast(date_diff('second', {{ start_expr }}, {{ end_expr }}) as double) / 3600.0)
{%- endmacro %}

{% macro snowflake__hours_between(start_expr, end_expr) -%}
    (cast(datediff(second, {{ start_expr }}, {{ end_expr }}) as double) / 3600.0)
{%- endmacro %}


{#- Whole minutes from start to end. -#}
{% macro minutes_between(start_expr, end_expr) -%}
    {{ return(adapter.dispatch('minutes_between', 'flightprice')(start_expr, end_expr)) }}
{%- endmacro %}

{% macro duckdb__minutes_between(start_expr, end_expr) -%}
    cast(date_diff('minute', {{ start_expr }}, {{ end_expr }}) as integer)
{%- endmacro %}

{% macro snowflake__minutes_between(start_expr, end_expr) -%}
    cast(datediff(minute, {{ start_expr }}, {{ end_expr }}) as integer)
{%- endmacro %}


{#- ISO day of week: Monday = 1 ... Sunday = 7. -#}
{% macro iso_day_of_week(timestamp_expr) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'flightprice')(timestamp_expr)) }}
{%- endmacro %}

{% macro duckdb__iso_day_of_week(timestamp_expr) -%}
    cast(isodow({{ timestamp_expr }}) as integer)
{%- endmacro %}

{% macro snowflake__iso_day_of_week(timestamp_expr) -%}
    cast(dayofweekiso({{ timestamp_expr }}) as integer)
{%- endmacro %}


{#-
    A select of one column, date_day, one row per day from start to end inclusive.
    start_expr / end_expr are SQL expressions (scalar subqueries are fine).
-#}
{% macro date_spine(start_expr, end_expr) -%}
    {{ return(adapter.dispatch('date_spine', 'flightprice')(start_expr, end_expr)) }}
{%- endmacro %}

{% macro duckdb__date_spine(start_expr, end_expr) -%}
    select cast(unnest(generate_series(
        cast(({{ start_expr }}) as timestamp),
        cast(({{ end_expr }}) as timestamp),
        interval 1 day
    )) as date) as date_day
{%- endmacro %}

{% macro snowflake__date_spine(start_expr, end_expr) -%}
    {#- generator needs a constant row count: 36,600 days is a century of dates. -#}
    select date_day
    from (
        select
            cast(dateadd(
                day,
                row_number() over (order by seq4()) - 1,
                cast(({{ start_expr }}) as date)
            ) as date) as date_day
        from table(generator(rowcount => 36600))
    ) as spine
    where date_day <= cast(({{ end_expr }}) as date)
{%- endmacro %}


{#-
    Aggregate: value_expr on the group's row with the latest at_expr, ties broken by the
    highest tie_expr (text, e.g. quote_id). Rows where value_expr is null are skipped, so
    it is "the latest reported value". One pass over the group instead of a row_number()
    window, which sorts every row.
-#}
{% macro latest_value(value_expr, at_expr, tie_expr) -%}
    {{ return(adapter.dispatch('latest_value', 'flightprice')(value_expr, at_expr, tie_expr)) }}
{%- endmacro %}

{% macro duckdb__latest_value(value_expr, at_expr, tie_expr) -%}
    {#- arg_max skips rows whose value is null; the key is a (time, tie) struct. -#}
    arg_max(({{ value_expr }}), ({{ at_expr }}, {{ tie_expr }}))
{%- endmacro %}

{% macro snowflake__latest_value(value_expr, at_expr, tie_expr) -%}
    {#- One sortable text key: fixed-width time first, then the tie-breaker. -#}
    max_by(
        ({{ value_expr }}),
        case when ({{ value_expr }}) is not null then
            to_char(cast({{ at_expr }} as timestamp), 'YYYY-MM-DD HH24:MI:SS.FF9') || {{ tie_expr }}
        end
    )
{%- endmacro %}


{#-
    Put between "name as" and the body of a CTE that is cheap to read again (a select or
    filter of one table) and is used more than once: DuckDB would otherwise materialise it,
    copying the whole table into memory (10 s and gigabytes at 10M fares) instead of
    scanning it again. Snowflake decides on its own.
-#}
{% macro inline_cte() -%}
    {{ return(adapter.dispatch('inline_cte', 'flightprice')()) }}
{%- endmacro %}

{% macro duckdb__inline_cte() -%}
    not materialized
{%- endmacro %}

{% macro default__inline_cte() -%}
{%- endmacro %}


{#-
    A fixed-width integer key of a text key (quote_id): a join on it hashes 8 bytes per row
    instead of the text (benchmarks/README.md, "Session 9: dbt"). Computed the same way on
    every load of one warehouse; DuckDB's hash() (UBIGINT) and Snowflake's HASH (NUMBER(19,0),
    documented deterministic) differ, which does not matter: keys are only compared within one
    warehouse. Collisions are possible, so a join on the key also compares the text key.
-#}
{% macro integer_key(text_expr) -%}
    {{ return(adapter.dispatch('integer_key', 'flightprice')(text_expr)) }}
{%- endmacro %}

{% macro duckdb__integer_key(text_expr) -%}
    hash({{ text_expr }})
{%- endmacro %}

{% macro snowflake__integer_key(text_expr) -%}
    hash({{ text_expr }})
{%- endmacro %}


{#- Put between "name as" and the body of a CTE to compute it once: DuckDB would otherwise
    inline the key probe into the select that compares quote_id, and its scan would read the
    quote_id column of every stored row again (0.4 s -> 1.2 s of the select at 30 days).
    Snowflake decides on its own. -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'flightprice')()) }}
{%- endmacro %}

{% macro duckdb__materialized_cte() -%}
    materialized
{%- endmacro %}

{% macro default__materialized_cte() -%}
{%- endmacro %}
