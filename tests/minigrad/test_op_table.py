"""minigrad.op_table: rows bind their parameters and keep inputs inside their domain."""

import numpy as np
from hypothesis import given

from minigrad.op_table import OPS_BY_NAME, OpCase
from minigrad.testing import away_from


def test_spec_binds_params_and_gives_fresh_leaves() -> None:
    spec = OPS_BY_NAME["sum"]
    case = OpCase((np.arange(6.0).reshape(2, 3),), {"axis": -1, "keepdims": True})
    fn = spec.bind(case)
    leaves = spec.leaves(case)
    assert fn.__name__ == "sum" and leaves[0].requires_grad
    assert not np.shares_memory(leaves[0].data, case.arrays[0])
    np.testing.assert_array_equal(fn(*leaves).data, [[3.0], [12.0]])


def test_domain_rejects_cases_with_assume() -> None:
    spec = OPS_BY_NAME["relu"]

    @given(spec.strategy())
    def inside(case: OpCase) -> None:
        assert away_from(case.arrays[0], [0.0])

    inside()
