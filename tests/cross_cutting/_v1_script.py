"""A program written for the official Sharokey SDK 1.0.0, as its README teaches.

``tests/cross_cutting/test_v1_script.py`` runs it, unchanged, twice: with the
official 1.0.0 installed, and with this package installed instead. It uses
only what 1.0.0 offered (``sharokey.SharokeyClient``, dictionaries in and out,
``sharokey.exceptions``) and must not be edited to suit this package: it is
the proof that 1.0.0 code keeps running.

Input (environment): ``SHAROKEY_API_URL``, ``SHAROKEY_TOKEN``, ``SHAROKEY_WORKDIR``.
Output (stdout): one JSON object of what the program saw.
"""

import asyncio
import json
import os
import sys
from pathlib import Path

import sharokey
from sharokey.exceptions import NotFoundError, SharokeyError


def entries(response):
    # The live service nests the list under data.items; the documented API puts it in data.
    data = response["data"]
    return data["items"] if isinstance(data, dict) else data


async def main():
    workdir = Path(os.environ["SHAROKEY_WORKDIR"])
    contract = workdir / "contract.txt"
    contract.write_text("Contract terms, version 3. " * 4)  # 1.0.0 refuses files under 64 bytes
    scan = workdir / "scan.bin"
    scan.write_bytes(bytes(range(256)) * 2)

    client = sharokey.SharokeyClient(
        token=os.environ["SHAROKEY_TOKEN"], api_url=os.environ["SHAROKEY_API_URL"], timeout=20
    )
    out = {"version": sharokey.__version__}

    protected = await client.create(
        "Confidential docs",
        hours=48,
        views=3,
        description="Contract files",
        password="opensesame",
        attachments=[str(contract), str(scan)],
    )
    out["protected"] = protected["data"]["share_url"]
    out["protected_slug"] = protected["data"]["slug"]

    plain = await client.create("db password: hunter2", 24, 1)
    out["plain"] = plain["data"]["share_url"]
    doomed = await client.create("to be deleted", hours=1)

    out["listed"] = sorted(secret["slug"] for secret in entries(await client.list()))
    active = await client.list(status="active", limit=10)
    out["active"] = sorted(secret["slug"] for secret in entries(active))

    details = await client.get(protected["data"]["slug"])
    out["details"] = {
        key: details["data"][key] for key in ("slug", "maximum_views", "has_password")
    }

    deleted = await client.delete(doomed["data"]["slug"])
    out["deleted"] = deleted["success"]
    try:
        await client.get("NoSuchSecret404")
    except NotFoundError:
        out["missing"] = "NotFoundError"
    except SharokeyError as error:
        out["missing"] = type(error).__name__

    stats = await client.stats()
    out["stats"] = {key: stats["data"][key] for key in ("total_secrets", "active_secrets")}

    request = await client.create_request(
        message="Please share the VPN key",
        description="VPN for the new hire",
        secret_expiration_hours=48,
        request_expiration_hours=72,
        maximum_views=2,
        email_to="vendor@example.com",
    )
    token = request["data"]["token"]
    out["request_listed"] = token in {r["token"] for r in entries(await client.list_requests())}
    request_stats = await client.request_stats()
    out["total_requests"] = request_stats["data"]["total_requests"]

    sys.stdout.write(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main())
