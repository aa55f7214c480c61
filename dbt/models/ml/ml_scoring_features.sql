-- Each flight and cabin still on sale, as the price request it would be at the data clock
-- as_of: the columns of ml_training_features (no quote, no price), from what was known then.
-- Model features are derived from them in Python (flightprice.features).

{%- set quote_columns = [
    'quote_id', 'observed_at', 'flight_id', 'cabin', 'carrier', 'flight_number', 'origin',
    'destination', 'departure_at', 'stops', 'duration_minutes', 'seats_remaining',
] %}

-- Read only with a data clock before a flight's latest quote: declared for dbt's graph.
-- depends_on: {{ ref('fct_fare_observation') }}

with

stored_latest_quotes as (

    select * from {{ ref('int_flight_latest_quotes') }}

),

flights as (

    select * from {{ ref('dim_flight') }}

),

{#- Batch scoring sets the clock through the environment: a changed --vars value makes dbt
    re-parse the whole project, a changed env_var only the files that read it. -#}
{%- set scoring_as_of = var('scoring_as_of') or env_var('FLIGHTPRICE_SCORING_AS_OF', '') %}

data_clock as (

    {% if not scoring_as_of -%}
        -- The latest observed_at of all quotes: that of the flights' latest quotes.
        select max(observed_at) as as_of from stored_latest_quotes
    {%- else -%}
    select cast('{{ scoring_as_of }}' as timestamp) as as_of
    {%- endif %}

),

{% if not scoring_as_of %}

    latest_quotes as (

    -- Every quote is known at the latest instant: each flight's latest quote as stored.
        select * from stored_latest_quotes

    ),

{% else %}

flights_quoted_later as (

    -- Flights whose latest quote came after the clock: their latest known one is earlier.
    select
        stored_latest_quotes.flight_id,
        stored_latest_quotes.cabin
    from stored_latest_quotes
    cross join data_clock
    where stored_latest_quotes.observed_at > data_clock.as_of

),

known_quotes as {{ inline_cte() }} (

    -- Their quotes up to and including the clock: the latest one supplies seats_remaining.
    select {% for column in quote_columns %}observations.{{ column }}{{ ", " if not loop.last }}{% endfor %}

    from {{ ref('fct_fare_observation') }} as observations
    inner join flights_quoted_later
        on
        observations.flight_id = flights_quoted_later.flight_id
        and observations.cabin = flights_quoted_later.cabin
    cross join data_clock
    where observations.observed_at <= data_clock.as_of

),

latest_quotes as (

    -- The stored latest quote where the clock has seen it, else the latest known one up to
    -- the clock (macros/latest_quote.sql).
    select {% for column in quote_columns %}stored_latest_quotes.{{ column }}{{ ", " if not loop.last }}{% endfor %}
    from stored_latest_quotes
    cross join data_clock
    where stored_latest_quotes.observed_at <= data_clock.as_of

    union all

    {{ latest_quote_per_flight('known_quotes', quote_columns) }}

),

{% endif %}

flights_on_sale as (

    -- Scheduled flights, or flights quoted by the clock, that have not yet departed.
    -- The latest known quote describes the flight as a training row's own quote would.
    select
        data_clock.as_of,
        flights.flight_id,
        flights.cabin,
        coalesce(latest_quotes.carrier, flights.carrier) as carrier,
        coalesce(latest_quotes.flight_number, flights.flight_number) as flight_number,
        coalesce(latest_quotes.origin, flights.origin) as origin,
        coalesce(latest_quotes.destination, flights.destination) as destination,
        coalesce(latest_quotes.stops, flights.stops) as stops,
        coalesce(latest_quotes.duration_minutes, flights.duration_minutes) as duration_minutes,
        coalesce(latest_quotes.departure_at, flights.departure_at) as departure_at,
        flights.capacity_seats,
        latest_quotes.seats_remaining

    from flights
    cross join data_clock
    left join latest_quotes
        on flights.flight_id = latest_quotes.flight_id
        and flights.cabin = latest_quotes.cabin
    where
        (flights.is_scheduled or latest_quotes.quote_id is not null)
        and coalesce(latest_quotes.departure_at, flights.departure_at) > data_clock.as_of

),

final as (

    select
        flights_on_sale.as_of as observed_at,
        flights_on_sale.flight_id,
        flights_on_sale.carrier,
        flights_on_sale.flight_number,
        flights_on_sale.origin,
        flights_on_sale.destination,
        flights_on_sale.cabin,
        flights_on_sale.stops,
        flights_on_sale.duration_minutes,
        flights_on_sale.departure_at,
        flights_on_sale.capacity_seats as capacity,
        flights_on_sale.seats_remaining,
        flights_on_sale.as_of

    from flights_on_sale

)

select * from final
