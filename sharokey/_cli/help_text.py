"""What ``sharokey --help`` and each command's ``--help`` say beyond the options: examples.

Each example line is copy-pasteable: ``tests/cli/test_help_examples.py`` runs
every one of them against the emulator. The exit-code table mirrors
:data:`sharokey._cli.errors.EXIT_CODES`. Only plain strings: ``--help`` loads this.
"""

from __future__ import annotations

__all__ = ["COMMANDS", "MAIN_EPILOG"]

MAIN_EPILOG = """\
examples:
  sharokey config --token -                  store the API token (read from stdin)
  sharokey create "db password" --hours 24 --views 1 --description "prod DB"
  printf '%s' "$SECRET" | sharokey create --quiet
  sharokey create - --attach report.pdf --unique-nonces < note.txt
  sharokey list --status active --limit 10
  sharokey get ABC123XY --details-only
  sharokey reveal 'https://host/s/ABC123XY#q7mZp2Lk9RtVx4Bn8CwJd3Hs' --output-dir ./received
  sharokey delete ABC123XY --yes
  sharokey test                              check configuration, network and token

exit codes:
  0    success
  1    any other failure: server error, invalid response, quota, rate limit,
       a declined confirmation, a failing `sharokey test` check, a missing
       optional package (segno for QR codes, shtab for completion)
  2    usage or validation (bad option, value out of range, a --page past
       the last page, an unknown profile)
  3    authentication or access (missing or wrong token, permission denied,
       password / one-time code / captcha required or wrong)
  4    not found (unknown, expired, deleted or used-up secret or request)
  5    network or timeout
  6    decryption failed (wrong, incomplete or tampered link)
  130  interrupted

The token is read from --token, then SHAROKEY_TOKEN, then the profile of the
config file (`sharokey config`; --profile NAME or SHAROKEY_PROFILE, else
`default`); the API URL likewise from --api-url, SHAROKEY_API_URL, the
profile, then the default. Run `sharokey COMMAND --help` for a command's
options and examples.
"""

# command -> (one-line help, epilog with examples)
COMMANDS: dict[str, tuple[str, str]] = {
    "list": (
        "list your company's secrets (metadata only)",
        """examples:
  sharokey list
  sharokey list --status active --limit 10
  sharokey list --all --search invoice --json
  sharokey list --creator alice@example.com
  sharokey list --limit 5 --page 2                 past the last page is an error (exit 2)""",
    ),
    "create": (
        "encrypt a secret here and print its share link",
        """examples:
  sharokey create "My secret content" --hours 24 --views 1 --description "DB credentials"
  printf '%s' "$DB_PASSWORD" | sharokey create --quiet      content from stdin
  sharokey create - --password < notes.txt                  asks the password, no echo
  sharokey create "see file" --attach id_rsa.pub --unique-nonces
  sharokey create "code inside" --otp-email bob@example.com --hours 2
  sharokey create - --password-file pw.txt < notes.txt      password kept out of `ps`
  sharokey create --generate --alphabet alnum --length 24 --json
  sharokey create "for your phone" --qr --qr-png link.png   needs the extra `qr`
  sharokey --profile staging create "staging DB password"

Content on the command line is visible in shell history and to other local
users: prefer stdin (`-`, or no argument with piped input). One trailing
newline of stdin is dropped (as `$(...)` would). --password without a value
prompts for it. Write the content before --password, or use --password=PW:
`--password WORD` takes WORD as the password.""",
    ),
    "get": (
        "show a secret's details (never its content)",
        """examples:
  sharokey get ABC123XY
  sharokey get ABC123XY --details-only
  sharokey get ABC123XY --json""",
    ),
    "delete": (
        "delete a secret: its content is cleared, its metadata stays (expired)",
        """examples:
  sharokey delete ABC123XY            asks for confirmation on a terminal
  sharokey delete ABC123XY --yes      for scripts""",
    ),
    "stats": (
        "show your company's secret statistics",
        """examples:
  sharokey stats
  sharokey stats --json""",
    ),
    "reveal": (
        "open a share link: print the content, save the attachments",
        """examples:
  sharokey reveal 'https://host/s/ABC123XY#q7mZp2Lk9RtVx4Bn8CwJd3Hs'
  sharokey reveal "$LINK" --password              asks the password, no echo
  sharokey reveal "$LINK" --otp 123456 --output-dir ./received
  sharokey reveal "$LINK" --json > secret.json
  printf '%s\\n' "$LINK" | sharokey reveal -         the link stays out of `ps` and history
  sharokey reveal "$LINK" --password-env SECRET_PW --otp-file code.txt

Revealing counts a view: a one-view secret is gone afterwards. The content
goes to stdout, everything else to stderr. Attachments are written into
--output-dir (default: the current directory) under sanitised names; an
existing file is never overwritten without --force (the attachment is saved
under a free name instead, so nothing is lost). The secret is fetched from
--api-url (or the configured URL), never from the host written in the link.""",
    ),
    "create-request": (
        "ask someone to send you a secret",
        """examples:
  sharokey create-request --email-to bob@example.com --message "VPN password please"
  sharokey create-request --secret-hours 24 --request-hours 48 --views 1 --locale fr""",
    ),
    "list-requests": (
        "list your secret requests",
        """examples:
  sharokey list-requests
  sharokey list-requests --status active --all --json""",
    ),
    "get-request": (
        "show a secret request",
        """examples:
  sharokey get-request TOKEN
  sharokey get-request TOKEN --json""",
    ),
    "delete-request": (
        "delete a secret request",
        """examples:
  sharokey delete-request TOKEN
  sharokey delete-request TOKEN --yes""",
    ),
    "request-stats": (
        "show your company's secret request statistics",
        """examples:
  sharokey request-stats""",
    ),
    "config": (
        "store the token, API URL and timeout, or show them",
        """examples:
  sharokey config --token -                 reads the token from stdin (not in history)
  sharokey config --token - --api-url http://127.0.0.1:8080/api/v1 --timeout 10
  sharokey config --show
  sharokey config --profile staging --token - --api-url http://127.0.0.1:8080/api/v1
  sharokey config --profile staging --hours 2 --views 3 --attachment-nonces unique
  sharokey config --list                    every profile, tokens masked
  sharokey config --profile staging --unset token

The file is $XDG_CONFIG_HOME/sharokey/config.json (or ~/.config/...), created
readable by you only (0600, directory 0700). Its top level is the profile
`default` (a file from before profiles is just that); the others are chosen with
--profile NAME or SHAROKEY_PROFILE. For each setting the flag wins, then the
environment (SHAROKEY_TOKEN, SHAROKEY_API_URL), then the profile, then the
default; `create` takes the profile's hours, views and nonce format when its
flags are absent.""",
    ),
    "qr": (
        "show a share link as a QR code, for a phone (needs the extra `qr`)",
        """examples:
  sharokey qr 'https://host/s/ABC123XY#q7mZp2Lk9RtVx4Bn8CwJd3Hs'
  printf '%s\\n' "$LINK" | sharokey qr -             the link stays out of `ps` and history
  sharokey qr "$LINK" --png link.png

The code is drawn with Unicode half blocks (light modules in the terminal's
colour, for the usual dark background) on stdout; --png writes an image
instead, readable by you only, and never replaces a file without --force.
The code holds the link's key: whoever scans it can open the secret.
Needs segno: `pip install segno`, or this package's extra `qr`.""",
    ),
    "completion": (
        "print a shell completion script (bash, zsh or fish)",
        """examples:
  source <(sharokey completion bash)             this shell only
  sharokey completion bash > ~/.local/share/bash-completion/completions/sharokey
  sharokey completion zsh > "${fpath[1]}/_sharokey"
  sharokey completion fish > ~/.config/fish/completions/sharokey.fish

The script is generated from this version's options: regenerate it after an
upgrade. Needs shtab: `pip install shtab`, or this package's extra `completion`.""",
    ),
    "test": (
        "check configuration, network, authentication and access",
        """examples:
  sharokey test
  sharokey test --api-url http://127.0.0.1:8080/api/v1

Prints one PASS/FAIL line per check and exits 1 if any failed.""",
    ),
}
