with

source as (

    select * from {{ source('raw', 'currency_rates') }}

),

renamed as (

    select
        cast(date as date) as rate_date,
        upper(trim(currency)) as currency,
        cast(rate_to_usd as double) as rate_to_usd,
        _source_file as source_file,
        cast(_loaded_at as timestamp) as loaded_at

    from source

)

select * from renamed
