{#-
    The relation a data test reads (dbt's get_where_subquery, overridden here).

    A data test of an incremental model with a documented transformed_at column checks only
    the rows the model's latest build wrote (its latest transformed_at), not the history: rows of
    earlier builds were checked by the build that wrote them, and the model's unique_key
    (delete+insert) keeps a key from appearing in two builds. After `--full-refresh` every
    row carries the one transformed_at, so every row is checked. A test's own `where`
    config takes precedence; other models are read whole, as by dbt.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if not where and is_incremental_relation(relation) -%}
        {%- set where -%}
            transformed_at = (select max(transformed_at) from {{ relation }})
        {%- endset -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}


{#- Whether `relation` is an incremental model stamping transformed_at (from dbt's graph). -#}
{% macro is_incremental_relation(relation) -%}
    {%- if not execute or relation.identifier is none -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model'
              and node.config.materialized == 'incremental'
              and 'transformed_at' in node.columns
              and (node.alias or node.name) | lower == relation.identifier | lower -%}
            {%- do return(true) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return(false) -%}
{%- endmacro %}
