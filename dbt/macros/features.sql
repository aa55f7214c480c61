{#- Expressions shared by the marts (the ML tables hold request columns only). -#}

{#- carrier || flight_number || '-' || YYYYMMDD of departure, e.g. 'AA100-20260910'. -#}
{% macro flight_id(carrier, flight_number, departure_at) -%}
    ({{ carrier }} || {{ flight_number }} || '-' || {{ format_yyyymmdd(departure_at) }})
{%- endmacro %}


{#- (departure_at - observed_at) in hours / 24, a double. -#}
{% macro days_to_departure(observed_at, departure_at) -%}
    ({{ hours_between(observed_at, departure_at) }} / 24.0)
{%- endmacro %}


{#- 1 - seats_remaining / capacity clipped to [0, 1]; null when either side is unknown. -#}
{% macro load_factor(seats_remaining, capacity) -%}
    cast(case
        when {{ seats_remaining }} is null or {{ capacity }} is null or {{ capacity }} <= 0
            then null
        when {{ seats_remaining }} <= 0 then 1.0
        when {{ seats_remaining }} >= {{ capacity }} then 0.0
        else 1.0 - cast({{ seats_remaining }} as double) / cast({{ capacity }} as double)
    end as double)
{%- endmacro %}

