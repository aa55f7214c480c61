with

fares as (

    select * from {{ ref('int_fares_deduplicated') }}

),

schedules as (

    select * from {{ ref('int_schedules_deduplicated') }}

),

event_dates as (

    select cast(observed_at as date) as event_date from fares
    union all
    select cast(departure_at as date) as event_date from fares
    union all
    select cast(departure_at as date) as event_date from schedules
    union all
    select cast(arrival_at as date) as event_date from schedules

),

date_spine as (

    {{ date_spine(
        'select min(event_date) from event_dates',
        'select max(event_date) from event_dates'
    ) }}

),

final as (

    select
        date_day,
        cast(extract(year from date_day) as integer) as year_number,
        cast(extract(month from date_day) as integer) as month_number,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(dayofyear(date_day) as integer) as day_of_year,
        {{ iso_day_of_week('date_day') }} as iso_day_of_week,
        {{ iso_day_of_week('date_day') }} in (6, 7) as is_weekend

    from date_spine

)

select * from final
