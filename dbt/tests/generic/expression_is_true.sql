{#-
    Fails on rows where the SQL expression is false. On a column the expression is
    appended to the column ("column_name >= 0" from expression: ">= 0"); on a model it
    stands alone. Rows where it is null pass, as in a check constraint.
-#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
{% if column_name is none -%}
where not ({{ expression }})
{%- else -%}
where not ({{ column_name }} {{ expression }})
{%- endif %}

{% endtest %}
