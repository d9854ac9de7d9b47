"""HTTP settings: defaults, environment overrides, command-line overrides, and refusal of nonsense."""

import pytest

from chargeledger.http.settings import HttpSettings


def test_defaults_are_the_documented_ones():
    settings = HttpSettings.from_env({})
    assert (settings.max_body_bytes, settings.header_timeout, settings.keep_alive_timeout, settings.request_timeout,
            settings.max_connections, settings.trusted_proxy) == (1024 * 1024, 10.0, 5.0, 60.0, 200, "")
    assert (settings.login_failures_per_account, settings.login_failures_per_address, settings.login_window,
            settings.login_workers) == (5, 20, 300.0, 1)


def test_environment_then_options_override():
    env = {"CHARGELEDGER_HTTP_MAX_BODY_BYTES": "2048", "CHARGELEDGER_HTTP_HEADER_TIMEOUT": "2.5",
           "CHARGELEDGER_HTTP_TRUSTED_PROXY": "10.0.0.1"}
    settings = HttpSettings.from_env(env, trusted_proxy="10.0.0.2")
    assert (settings.max_body_bytes, settings.header_timeout, settings.trusted_proxy) == (2048, 2.5, "10.0.0.2")


@pytest.mark.parametrize("name, value", [("MAX_BODY_BYTES", "lots"), ("LOGIN_WORKERS", "0"),
                                         ("REQUEST_TIMEOUT", "-1")])
def test_nonsense_is_refused_with_the_variable_named(name, value):
    with pytest.raises(ValueError, match="must be positive|is not a"):
        HttpSettings.from_env({f"CHARGELEDGER_HTTP_{name}": value})
