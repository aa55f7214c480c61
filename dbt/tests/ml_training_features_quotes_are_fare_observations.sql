{#-
    dbt's relationships test (ml_training_features.quote_id -> fct_fare_observation.quote_id),
    scoped on both sides so that it reads one build's rows, not the history:
    - the quotes of the model's latest build (its latest transformed_at, as test_scope.sql
      scopes the generic tests); earlier builds' quotes were checked by their own run;
    - the fact rows that build could have read: an incremental build reads the fact rows written
      after the model's previous build (STAGING.DBT_WATERMARKS), and a fact row rewritten since
      carries a later stamp. After a full refresh (or a build that rewrote every row) the model
      holds no older rows, and the whole fact is read.
    The fact's rows are appended in build order, so the transformed_at filter skips whole row
    groups (DuckDB's zone maps, Snowflake's micro-partition pruning).
-#}
{%- set training = ref('ml_training_features') -%}
{%- set watermarks = api.Relation.create(
    database=training.database, schema='STAGING', identifier='DBT_WATERMARKS') -%}

with

latest_build as (

    select max(transformed_at) as built_at
    from {{ training }}

),

training_quotes as (

    select quote_id
    from {{ training }}
    where
        transformed_at = (select latest_build.built_at from latest_build)
        and quote_id is not null

),

read_after as (

    -- The previous build of the model, when the latest one was incremental.
    select
        case
            when exists (
                select 1
                from {{ training }}
                where transformed_at < (select latest_build.built_at from latest_build)
            )
                then (
                    select max(built_at)
                    from {{ watermarks }}
                    where
                        model_name = 'ml_training_features'
                        and built_at < (select latest_build.built_at from latest_build)
                )
        end as built_at

),

fact_quotes as (

    select quote_id
    from {{ ref('fct_fare_observation') }}
    where
        transformed_at > coalesce(
            (select read_after.built_at from read_after), cast('1900-01-01' as timestamp)
        )

),

final as (

    select training_quotes.quote_id
    from training_quotes
    left join fact_quotes on training_quotes.quote_id = fact_quotes.quote_id
    where fact_quotes.quote_id is null

)

select * from final
