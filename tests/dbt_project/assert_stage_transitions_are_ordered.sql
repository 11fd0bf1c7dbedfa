-- Stage transitions of an opportunity are numbered in time order, each from the stage the previous one went to.
with ordered as (

    select
        transitions.*,
        lag(transitions.to_stage)
            over (
                partition by transitions.source_relation, transitions.opportunity_id
                order by transitions.transition_number
            )
            as previous_to_stage,
        lag(transitions.changed_at)
            over (
                partition by transitions.source_relation, transitions.opportunity_id
                order by transitions.transition_number
            )
            as previous_changed_at
    from {{ ref('fct_opportunity_stage_transitions') }} as transitions

)

select opportunity_id, transition_number, from_stage, to_stage, changed_at
from ordered
where from_stage = to_stage
    or (transition_number > 1 and (from_stage <> previous_to_stage or changed_at < previous_changed_at))
