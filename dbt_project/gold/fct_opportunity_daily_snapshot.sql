{#-
    One row per opportunity per day, from the day of its first landed version to the day it closed (or to the
    as-of day while it is open), with the state it ended that day in: rebuilt from the opportunity's version
    history (silver int_salesforce__opportunity_versions), so any past day's pipeline can be reproduced.

    Rules (unit tests in _gold__models.yml):
    - versions seen: valid (not quarantined), stamped at or before var as_of; a day's state is the last
      version stamped that day (SystemModstamp, then _extracted_at, then _batch_id), carried forward to the
      days after it until the next version;
    - a closed state is kept for the day it closed only; a reopened opportunity comes back from the day it
      reopened; a deleted state (IsDeleted, a merge loser) ends the rows the day before, and a record found
      hard-deleted has no rows (its delete cannot be dated);
    - days before the first landed version are not reconstructed (the org's history before extraction is
      not landed): the first row is the day of the first version known.
-#}

with versions as (

    select
        opportunity_id,
        source_relation,
        account_id,
        owner_id,
        stage_name,
        forecast_category,
        amount,
        probability,
        close_date,
        is_closed,
        is_won,
        is_deleted,
        created_at,
        system_modstamp,
        _extracted_at,
        _batch_id,
        cast(system_modstamp as date) as state_date
    from {{ ref('int_salesforce__opportunity_versions') }}
    where opportunity_id is not null
        and system_modstamp is not null
        and quarantine_reason is null
        and system_modstamp <= {{ as_of_timestamp() }}

),

day_versions as (

    select
        versions.*,
        row_number() over (
            partition by versions.source_relation, versions.opportunity_id, versions.state_date
            order by versions.system_modstamp desc, versions._extracted_at desc, versions._batch_id desc
        ) as rank_in_day
    from versions

),

day_states as (

    select
        day_versions.*,
        lag(day_versions.is_closed)
            over (
                partition by day_versions.source_relation, day_versions.opportunity_id order by day_versions.state_date
            )
            as was_closed,
        lag(day_versions.is_deleted)
            over (
                partition by day_versions.source_relation, day_versions.opportunity_id order by day_versions.state_date
            )
            as was_deleted,
        lead(day_versions.state_date)
            over (
                partition by day_versions.source_relation, day_versions.opportunity_id order by day_versions.state_date
            )
            as next_state_date
    from day_versions
    where day_versions.rank_in_day = 1

),

spans as (

    select
        day_states.*,
        case
            when day_states.is_deleted then null
            when
                day_states.is_closed
                and coalesce(day_states.was_closed, false)
                and not coalesce(day_states.was_deleted, false)
                then null
            when day_states.is_closed then day_states.state_date
            when day_states.next_state_date is not null then {{ add_days('next_state_date', -1) }}
            else {{ as_of_date() }}
        end as last_date
    from day_states

),

digits as (

    {% for digit in range(10) -%}
    select {{ digit }} as digit{% if not loop.last %}
    union all {% endif %}
    {% endfor %}

),

day_offsets as (

    select units.digit + 10 * tens.digit + 100 * hundreds.digit + 1000 * thousands.digit as day_offset
    from digits as units
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands

),

snapshot_days as (

    select
        {{ add_days('spans.state_date', 'day_offsets.day_offset') }} as snapshot_date,
        spans.*
    from spans
    inner join day_offsets
        on day_offsets.day_offset <= {{ days_between('spans.state_date', 'spans.last_date') }}
    where spans.last_date is not null

)

select
    snapshot_date,
    opportunity_id,
    account_id,
    owner_id,
    stage_name,
    forecast_category,
    amount,
    probability,
    {{ round_decimal('coalesce(amount, 0) * coalesce(probability, 0) * 0.01', 2) }} as weighted_amount,
    close_date,
    not is_closed as is_open,
    is_closed,
    is_won,
    {{ days_between('cast(created_at as date)', 'snapshot_date') }} as days_since_created,
    system_modstamp as state_recorded_at,
    snapshot_date = {{ as_of_date() }} as is_as_of_date,
    source_relation
from snapshot_days
