with

flights as (

    select * from {{ ref('dim_flight') }}

),

airports as (

    select * from {{ ref('dim_airport') }}

),

routes as (

    select
        route,
        min(origin) as origin,
        min(destination) as destination,
        count(distinct carrier) as carrier_count,
        count(distinct flight_id) as flight_count

    from flights
    group by route

),

final as (

    select
        routes.route,
        routes.origin as origin_airport_code,
        routes.destination as destination_airport_code,
        routes.carrier_count,
        routes.flight_count,
        -- Haversine on a 6,371 km sphere; null when either airport has no coordinates.
        2 * 6371.0 * asin(sqrt(
            power(sin(radians(destinations.latitude_deg - origins.latitude_deg) / 2), 2)
            + cos(radians(origins.latitude_deg)) * cos(radians(destinations.latitude_deg))
            * power(sin(radians(destinations.longitude_deg - origins.longitude_deg) / 2), 2)
        )) as great_circle_distance_km

    from routes
    left join airports as origins
        on routes.origin = origins.airport_code
    left join airports as destinations
        on routes.destination = destinations.airport_code

)

select * from final
