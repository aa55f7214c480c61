-- The stored quote_key of the table's first rows (its oldest) is integer_key(quote_id) as the
-- warehouse computes it now: if an upgrade of the engine changed its hash(), incremental runs
-- would no longer find the stored version of a re-delivered quote by its key (rebuild with
-- `flightprice transform --full-refresh`). Reads a few row groups, not the history.
select
    oldest.quote_id,
    oldest.quote_key
from (
    select
        quote_id,
        quote_key
    from {{ ref('int_fares_deduplicated') }}
    -- Unordered on purpose: the rows stored first, without sorting the whole history.
    limit 10000  -- noqa: AM09
) as oldest
where oldest.quote_key is null or oldest.quote_key <> {{ integer_key('oldest.quote_id') }}
