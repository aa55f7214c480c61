{#-
    Re-published flights whose capacity did not change cost the fare fact nothing
    (README "Incremental runs").

    A schedule feed re-publishes every flight on sale every day, so int_schedules_deduplicated
    writes every future leg again each day (a new load is a new publication). The fact reads
    one thing from the schedule, the capacity dim_flight gives a flight and cabin (its latest
    publication), so it needs a flight's quotes again only when that capacity changed.
    int_schedules_deduplicated stamps each row it writes with capacity_changed_at: when an
    incremental run last changed its flight's capacity (or first saw the flight); null when
    unknown (a full rebuild), which republished_flights() treats as changed.
-#}

{#- A stored row's stamp (`alias.` prefix): its capacity has been in the table since the row
    was written, so a row without a stamp (a full rebuild's, or written before the column
    existed) answers with its transformed_at, a bound as safe as "unknown" that lets an
    unchanged flight go after its first incremental run. Null when neither column exists. -#}
{% macro stored_capacity_changed_at(alias) -%}
    {%- set known = [] -%}
    {%- for column in ['capacity_changed_at', 'transformed_at'] if has_column(this, column) -%}
        {%- do known.append(alias ~ '.' ~ column) -%}
    {%- endfor -%}
    {%- if known | length == 2 -%}
        coalesce({{ known | join(', ') }})
    {%- elif known -%}
        {{ known[0] }}
    {%- else -%}
        cast(null as timestamp)
    {%- endif -%}
{%- endmacro %}


{#- The filter of republished_flights() on int_schedules_deduplicated rows written since the
    model's last build: legs whose flight's capacity changed since then, or may have. Without
    the column (a fact built alone on a table not yet rebuilt): every written leg, as before. -#}
{% macro capacity_changed_since(since) -%}
    {%- if has_column(ref('int_schedules_deduplicated'), 'capacity_changed_at') -%}
        (capacity_changed_at is null or capacity_changed_at > {{ since }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
