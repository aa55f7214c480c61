{#-
    Fails on each null in any of `columns`, one row per null naming its column: the
    not_null checks of a table in one scan and one node instead of one per column (dbt's
    fixed cost per node is most of a daily run's; see benchmarks/README.md).
-#}
{% test not_null_columns(model, columns) %}

{% for column in columns %}
    select '{{ column }}' as null_column
    from {{ model }}
    where {{ column }} is null
    {% if not loop.last %}union all{% endif %}
{% endfor %}

{% endtest %}
