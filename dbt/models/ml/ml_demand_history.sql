-- The seller's sales history, the grain demand is learnt at (flightprice.revenue.fitted):
-- per flight, cabin and sale day with a quote, the price on offer, the seats booked at it,
-- the seats left before the day, and the cheapest competitor's fare. The market fare the
-- price is compared with is the fare model's, added in Python (as the API prices).

-- Read only by an incremental run (bookings loaded since the last build): declared for dbt's graph.
-- depends_on: {{ ref('stg_raw__bookings') }}

{#- Incremental by sale day (see README "Incremental runs"): a run rebuilds whole the sale
    days that gained or changed a quote, and every day from the earliest booking date a
    newly loaded booking touches (seats_left counts the bookings of earlier days). A day is
    the unit because its competitor fares read every offer of that day. It was the costliest
    node of a daily run as a table (benchmarks/README.md, "Session 7: dbt"). -#}
{{ config(
    materialized='incremental',
    unique_key='sale_date',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    pre_hook=["{{ create_watermark_table() }}", "{{ create_vacated_days_table() }}"],
    post_hook=[
        "{{ delete_vacated_rows('sale_date', by_flight=false) }}",
        "{{ record_watermark() }}",
        "{{ record_bookings_seen() }}",
    ],
) }}

with

{% if is_incremental() %}

bookings_seen as (

    -- The latest booking load the last build read, minus the lookback: a load committed
    -- after that build but stamped before it is still caught.
    {{ bookings_seen() }}

),

touched_bookings as (

    -- Every delivery of each booking loaded since: the dates of its earlier versions too,
    -- so that a booking moved to another day leaves no stale seats behind.
    select cast(all_versions.booked_at as date) as booking_date
    from {{ ref('stg_raw__bookings') }} as all_versions
    where all_versions.booking_id in (
        select recent.booking_id
        from {{ ref('stg_raw__bookings') }} as recent
        cross join bookings_seen
        where recent.loaded_at >= bookings_seen.loaded_from
    )

),

changed_days as (

    -- Days that gained or changed a quote, and days a re-delivered quote left.
    select observation_date as sale_date
    from {{ ref('fct_fare_observation') }}
    where transformed_at > {{ last_built_at() }}

    union

    select vacated.observation_date
    from ({{ vacated_since_last_build() }}) as vacated

),

earliest_day as (

    -- Implied by the filter below, but a plain bound: the scan skips the row groups of
    -- older days by their min/max, which an `or` of two conditions does not allow.
    select coalesce(min(days.candidate_day), cast('9999-12-31' as date)) as sale_date
    from (
        select changed_days.sale_date as candidate_day from changed_days
        union all
        select touched_bookings.booking_date from touched_bookings
    ) as days

),

quotes as (

    select observations.*
    from {{ ref('fct_fare_observation') }} as observations
    where
        observations.observation_date >= (select earliest_day.sale_date from earliest_day)
        and (
            observations.observation_date in (select changed_days.sale_date from changed_days)
            or observations.observation_date >= (select min(touched_bookings.booking_date) from touched_bookings)
        )

),

{% else %}

    quotes as (

        select * from {{ ref('fct_fare_observation') }}

    ),

{% endif %}

bookings as (

    select * from {{ ref('fct_flight_load_daily') }}

),

offers as (

    -- The seller's offer of a day: its quotes of that flight and cabin, averaged.
    select
        flight_id,
        cabin,
        observation_date as sale_date,
        min(carrier) as carrier,
        min(flight_number) as flight_number,
        min(origin) as origin,
        min(destination) as destination,
        min(route) as route,
        min(departure_at) as departure_at,
        min(departure_date) as departure_date,
        min(stops) as stops,
        min(duration_minutes) as duration_minutes,
        min(observed_at) as first_observed_at,
        count(*) as quotes,
        avg(days_to_departure) as days_to_departure,
        max(capacity_seats) as capacity_seats,
        avg(price_usd) as price_usd

    from quotes
    group by flight_id, cabin, observation_date

),

competitors as (

    -- The cheapest other carrier's offer on the same route, cabin and departure date that day.
    select
        offers.flight_id,
        offers.cabin,
        offers.sale_date,
        min(rivals.price_usd) as competitor_fare_usd

    from offers
    inner join offers as rivals
        on
        offers.route = rivals.route
        and offers.cabin = rivals.cabin
        and offers.departure_date = rivals.departure_date
        and offers.sale_date = rivals.sale_date
        and offers.carrier <> rivals.carrier
    group by offers.flight_id, offers.cabin, offers.sale_date

),

sold_before as (

    -- Seats booked on earlier days: what the day's sales could not have.
    select
        offers.flight_id,
        offers.cabin,
        offers.sale_date,
        sum(bookings.seats_booked) as seats_booked

    from offers
    inner join bookings
        on
        offers.flight_id = bookings.flight_id
        and offers.cabin = bookings.cabin
        and offers.sale_date > bookings.booking_date
    group by offers.flight_id, offers.cabin, offers.sale_date

),

final as (

    select
        offers.flight_id,
        offers.cabin,
        offers.sale_date,
        offers.carrier,
        offers.flight_number,
        offers.origin,
        offers.destination,
        offers.route,
        offers.departure_at,
        offers.stops,
        offers.duration_minutes,
        offers.first_observed_at,
        offers.quotes,
        offers.days_to_departure,
        offers.capacity_seats,
        offers.capacity_seats - coalesce(sold_before.seats_booked, 0) as seats_left,
        cast(offers.price_usd as double) as price_usd,
        cast(coalesce(today.seats_booked, 0) as integer) as seats_booked,
        cast(competitors.competitor_fare_usd as double) as competitor_fare_usd,
        {{ run_started_at_ts() }} as transformed_at

    from offers
    left join bookings as today
        on
        offers.flight_id = today.flight_id
        and offers.cabin = today.cabin
        and offers.sale_date = today.booking_date
    left join sold_before
        on
        offers.flight_id = sold_before.flight_id
        and offers.cabin = sold_before.cabin
        and offers.sale_date = sold_before.sale_date
    left join competitors
        on
        offers.flight_id = competitors.flight_id
        and offers.cabin = competitors.cabin
        and offers.sale_date = competitors.sale_date

)

select * from final
