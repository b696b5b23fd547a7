"""The pytest plugin, used from a throwaway project the way a user would (``pytester``).

Each test writes a small test file into a fresh directory and runs pytest on it in a
subprocess: the plugin arrives through its ``pytest11`` entry point, as it does for anyone
who installed ``sharokey[aiohttp]``, never through this suite's conftest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.live

QUIET = ("-p", "no:cacheprovider", "-q")


def test_a_one_view_secret_is_three_lines(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_one_view(sharokey_client):
            link = sharokey_client.create("hunter2", views=1).share_url
            assert sharokey_client.reveal(link).content == "hunter2"
        """
    )
    pytester.runpytest_subprocess(*QUIET).assert_outcomes(passed=1)


def test_each_test_starts_from_a_clean_emulator(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("round", [1, 2, 3])
        def test_clean(sharokey_emulator, sharokey_client, round):
            assert sharokey_emulator.secret_count() == 0
            assert sharokey_emulator.outbox == [] and sharokey_emulator.faults == []
            sharokey_client.create("x", otp_email="reader@example.com")
            sharokey_emulator.fail_next(status=500, times=5)
            sharokey_emulator.advance(hours=2)
        """
    )
    pytester.runpytest_subprocess(*QUIET).assert_outcomes(passed=3)


def test_the_handle_drives_clock_outbox_faults_and_a_second_tenant(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from sharokey import NotFoundError, OtpRequiredError, Sharokey, ServerError

        def test_clock(sharokey_emulator, sharokey_client):
            secret = sharokey_client.create("x", hours=1)
            sharokey_emulator.advance(hours=2)
            assert sharokey_client.get_details(secret.slug).status == "expired"

        def test_outbox(sharokey_emulator, sharokey_client):
            secret = sharokey_client.create("x", otp_email="reader@example.com")
            with pytest.raises(OtpRequiredError):
                sharokey_client.reveal(secret.share_url)
            code = sharokey_emulator.last_otp(secret.slug)
            assert sharokey_emulator.outbox[0].destination == "reader@example.com"
            assert sharokey_client.reveal(secret.share_url, otp=code).content == "x"

        def test_faults(sharokey_emulator, sharokey_client):
            sharokey_emulator.fail_next(status=503, times=2)
            assert sharokey_client.health().status == "ok"  # two retries ride it out
            assert sharokey_emulator.hits("GET", "/api/v1/health") == 3
            sharokey_emulator.fail_next(status=500, times=3)
            with pytest.raises(ServerError):
                sharokey_client.health()

        def test_tenants(sharokey_emulator, sharokey_client):
            secret = sharokey_client.create("x")
            other = Sharokey(sharokey_emulator.other_token, api_url=sharokey_emulator.api_url)
            with other, pytest.raises(NotFoundError):
                other.get_details(secret.slug)
        """
    )
    pytester.runpytest_subprocess(*QUIET).assert_outcomes(passed=4)


def test_the_async_client_in_strict_and_auto_mode(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        async def test_async(sharokey_async_client):
            secret = await sharokey_async_client.create("async hunter2")
            assert (await sharokey_async_client.reveal(secret.share_url)).content == "async hunter2"
        """
    )
    pytester.runpytest_subprocess(*QUIET, "-W", "error::ResourceWarning").assert_outcomes(passed=1)
    auto = pytester.runpytest_subprocess(*QUIET, "-o", "asyncio_mode=auto")
    auto.assert_outcomes(passed=1)


def test_fixtures_are_listed_with_one_line_docs(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    text = result.stdout.str()
    for name in ("sharokey_emulator", "sharokey_client", "sharokey_async_client"):
        (line,) = [i for i, row in enumerate(result.stdout.lines) if row.startswith(name + " ")]
        doc = result.stdout.lines[line + 1].strip()
        assert doc and doc.endswith("."), (name, doc)
        assert result.stdout.lines[line + 2].strip() == "", f"{name}: more than one line"
    assert "fixtures defined from sharokey.testing.plugin" in text


def test_the_plugin_loads_nothing_heavy_until_a_fixture_is_used(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_nothing_loaded():
            assert "sharokey.emulator" not in sys.modules
            assert "sharokey.client" not in sys.modules
        """
    )
    pytester.runpytest_subprocess(*QUIET).assert_outcomes(passed=1)


def test_without_aiohttp_the_plugin_loads_and_a_fixture_says_what_is_missing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "no_aiohttp"
    (blocker / "aiohttp").mkdir(parents=True)
    (blocker / "aiohttp" / "__init__.py").write_text(
        "raise ImportError('aiohttp is not installed (blocked by the test)')\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(blocker))
    pytester.makepyfile(
        """
        def test_plain():
            assert 1 + 1 == 2

        def test_needs_it(sharokey_emulator):
            pass
        """
    )
    result = pytester.runpytest_subprocess(*QUIET, "-p", "no:recording")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*needs the aiohttp extra*"])
