with

flights as (

    select * from {{ ref('dim_flight') }}

),

final as (

    select
        carrier as carrier_code,
        count(distinct flight_id) as flight_count,
        count(distinct route) as route_count,
        min(departure_at) as first_departure_at,
        max(departure_at) as last_departure_at

    from flights
    group by carrier

)

select * from final
