#!/usr/bin/env bash
# Install Debian's Chromium and ChromeDriver for the viewer's browser tests.
#
# Why it never fails: the browser tests skip with a clear reason when the
# binaries are missing, so a package mirror hiccup must not turn CI red.
# Run as root (CI and the sessions are root); without apt-get it does nothing.
set +e

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    echo "install-browser: chromium and chromedriver already present"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: apt-get not found; browser tests will be skipped"
    exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo -n"
    else
        echo "install-browser: not root and no sudo; browser tests will be skipped"
        exit 0
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || echo "install-browser: apt-get update failed (continuing)"
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver \
    || echo "install-browser: apt-get install failed; browser tests will be skipped"

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    echo "install-browser: $(/usr/bin/chromium --version 2>/dev/null | head -n1)"
else
    echo "install-browser: chromium or chromedriver missing after install"
fi
exit 0
