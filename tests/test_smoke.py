from workflow.registry import workflow_for


def test_every_state_reachable_through_the_door(org):
    workflow = workflow_for("promotion")
    from demo.paths import PATHS

    for state in PATHS:
        post = org.post_a_plain if state == "appointed" else org.post_a
        case = org.case_in(state, post=post)
        assert case.state == state
    assert {s.name for s in workflow.states} == set(PATHS)
