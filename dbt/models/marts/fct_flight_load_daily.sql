with

bookings as (

    select * from {{ ref('fct_booking') }}

),

flights as (

    select * from {{ ref('dim_flight') }}

),

daily_sales as (

    select
        flight_id,
        cabin,
        booking_date,
        count(*) as bookings,
        sum(seats) as seats_booked,
        sum(revenue_usd) as revenue_usd

    from bookings
    group by flight_id, cabin, booking_date

),

cumulative as (

    select
        flight_id,
        cabin,
        booking_date,
        bookings,
        seats_booked,
        revenue_usd,
        sum(seats_booked) over (
            partition by flight_id, cabin
            order by booking_date
            rows between unbounded preceding and current row
        ) as seats_booked_to_date,
        sum(revenue_usd) over (
            partition by flight_id, cabin
            order by booking_date
            rows between unbounded preceding and current row
        ) as revenue_to_date_usd

    from daily_sales

),

final as (

    select
        cumulative.flight_id,
        cumulative.cabin,
        cumulative.booking_date,
        cumulative.bookings,
        cumulative.seats_booked,
        cumulative.revenue_usd,
        cumulative.seats_booked_to_date,
        cumulative.revenue_to_date_usd,
        flights.capacity_seats,
        -- Null without a scheduled capacity. Not clipped: over 1 means overbooking (or a
        -- feed that sold more than the schedule's seats), which a test flags.
        case
            when flights.capacity_seats > 0
                then cast(cumulative.seats_booked_to_date as double) / flights.capacity_seats
        end as load_factor

    from cumulative
    left join flights
        on
        cumulative.flight_id = flights.flight_id
        and cumulative.cabin = flights.cabin

)

select * from final
