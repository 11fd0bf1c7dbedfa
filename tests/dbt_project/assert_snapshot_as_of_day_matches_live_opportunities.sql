-- Reconciliation: on the as-of day the snapshot (built from the version history) holds exactly the open live
-- opportunities of fct_opportunities whose live version is stamped at or before var as_of, with the same stage,
-- amount and owner: history and current state agree.
with live_open as (

    select source_relation, opportunity_id, stage_name, amount, owner_id
    from {{ ref('fct_opportunities') }}
    where is_open
        and system_modstamp <= {{ as_of_timestamp() }}

),

snapshot_open as (

    select source_relation, opportunity_id, stage_name, amount, owner_id
    from {{ ref('fct_opportunity_daily_snapshot') }}
    where is_as_of_date and is_open
        and opportunity_id in (
            select live.opportunity_id from {{ ref('fct_opportunities') }} as live
            where live.system_modstamp <= {{ as_of_timestamp() }}
        )

),

missing_from_snapshot as (

    select 'missing from the snapshot' as problem, live_open.*
    from live_open
    left join snapshot_open
        on snapshot_open.source_relation = live_open.source_relation
        and snapshot_open.opportunity_id = live_open.opportunity_id
        and snapshot_open.stage_name = live_open.stage_name
        and snapshot_open.owner_id = live_open.owner_id
        and coalesce(snapshot_open.amount, -1) = coalesce(live_open.amount, -1)
    where snapshot_open.opportunity_id is null

),

not_live as (

    select 'in the snapshot, not live and open' as problem, snapshot_open.*
    from snapshot_open
    left join live_open
        on live_open.source_relation = snapshot_open.source_relation
        and live_open.opportunity_id = snapshot_open.opportunity_id
    where live_open.opportunity_id is null

)

select * from missing_from_snapshot
union all
select * from not_live
