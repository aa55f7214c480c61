with

schedules as (

    select * from {{ ref('int_schedules_deduplicated') }}

),

fares as (

    select * from {{ ref('int_fares_deduplicated') }}

),

airports as (

    select * from {{ ref('airports') }}

),

airport_codes as (

    select origin as airport_code from schedules
    union
    select destination as airport_code from schedules
    union
    select origin as airport_code from fares
    union
    select destination as airport_code from fares

),

final as (

    -- Airports missing from the reference seed keep null attributes.
    select
        airport_codes.airport_code,
        airports.airport_name,
        airports.city,
        airports.country_code,
        cast(airports.latitude as double) as latitude_deg,
        cast(airports.longitude as double) as longitude_deg

    from airport_codes
    left join airports
        on airport_codes.airport_code = airports.airport_code

)

select * from final
