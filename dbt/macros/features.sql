{#- Feature expressions shared by the marts and both ML tables, so each is written once. -#}

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


{#- The departure calendar columns of the feature contract. -#}
{% macro departure_calendar_columns(departure_at) -%}
    cast(extract(hour from {{ departure_at }}) as integer) as departure_hour,
    {{ iso_day_of_week(departure_at) }} as departure_dow,
    cast(extract(month from {{ departure_at }}) as integer) as departure_month,
    cast(dayofyear({{ departure_at }}) as integer) as departure_day_of_year,
    ({{ iso_day_of_week(departure_at) }} in (6, 7)) as is_weekend_departure
{%- endmacro %}
