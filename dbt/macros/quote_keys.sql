{#-
    Finding the stored version of each new quote without hashing every stored quote_id
    (README "Incremental runs"; benchmarks/README.md, "Session 9: dbt").

    int_fares_deduplicated must find any stored version of each quote of a batch, and a quote
    id carries no date, so no bound on the write time applies: the probe reads every stored
    row. Each row therefore carries quote_key, integer_key(quote_id) (macros/cross_db.sql),
    and the probe joins the batch's keys to that 8-byte column alone, then compares quote_id
    on the few rows it keeps. Joining on the text read the quote_id column of every stored
    row and hashed it (31M rows at 30 days x 1M: the most of the model's 3 s; the key
    join reads one fixed-width column and lets DuckDB's join filter skip most of it).
-#}

{#- The stored rows whose quote_key is that of a quote_id of `batch` (a CTE name): a superset
    of the stored versions of the batch's quotes (keys may collide; compare quote_id after).
    A table built before the column existed is probed by quote_id, once: the run's post-hook
    back-fills the keys (backfill_quote_keys). -#}
{% macro stored_rows_keyed_like(batch) -%}
    select *
    from {{ this }}
    {%- if has_column(this, 'quote_key') %}
    where quote_key in (select {{ integer_key(batch ~ '.quote_id') }} from {{ batch }})
    {%- else %}
    where quote_id in (select {{ batch }}.quote_id from {{ batch }})
    {%- endif %}
{%- endmacro %}


{#- Post-hook: give the keys to stored rows without one (a table built before the column,
    which its first incremental run appends empty: on_schema_change). Later runs find none;
    DuckDB skips the row groups whose statistics say they hold no null. -#}
{% macro backfill_quote_keys() -%}
    {%- if is_incremental() -%}
    update {{ this }} set quote_key = {{ integer_key('quote_id') }} where quote_key is null
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
