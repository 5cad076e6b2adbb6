import pytest

# the error mapping tests check their rows in a shared module: pytest rewrites its asserts as a test module's,
# so that a failing check shows the values it compared
pytest.register_assert_rewrite("tests.unit.error_mapping")
