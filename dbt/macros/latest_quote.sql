{#- The latest quote of each flight and cabin in `quotes` (a CTE with `columns`): the highest
    quote_id at the flight's latest observed_at. Joining to that instant first leaves the
    window only the few quotes of that instant to rank, not every quote. Used where many
    quotes per flight are ranked (a full build, and scoring at an earlier data clock). -#}
{% macro latest_quote_per_flight(quotes, columns) -%}
    select {% for column in columns %}{{ quotes }}.{{ column }}{{ ", " if not loop.last }}{% endfor %}
    from {{ quotes }}
    inner join (
        select
            flight_id,
            cabin,
            max(observed_at) as latest_observed_at
        from {{ quotes }}
        group by flight_id, cabin
    ) as latest_instants
        on
        {{ quotes }}.flight_id = latest_instants.flight_id
        and {{ quotes }}.cabin = latest_instants.cabin
        and {{ quotes }}.observed_at = latest_instants.latest_observed_at
    qualify row_number() over (
        partition by {{ quotes }}.flight_id, {{ quotes }}.cabin
        order by {{ quotes }}.quote_id desc
    ) = 1
{%- endmacro %}
