"""`manage.py check --deploy` with production environment values reports nothing."""

from tests.helpers import run_check


def test_production_values_pass_the_deploy_check():
    result = run_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_notices_a_weak_configuration():
    result = run_check(SECURE_HSTS_SECONDS="0", SECURE_SSL_REDIRECT="false")
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr
    assert "security.W008" in result.stdout + result.stderr
