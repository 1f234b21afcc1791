"""Persistence: restart keeps everything, first start without env keys writes root-credentials
(0600) and prints a ready-to-paste profile, kill -9 during concurrent writes loses no
acknowledged write, and no plaintext secret/password reaches the database files or the logs. The
restart, kill -9 and secrets tests run once per store: SQLite and PostgreSQL (see `store` in conftest).
"""

from __future__ import annotations

import os
import re
import signal
import stat
import threading
import time

from botocore.exceptions import ClientError

from e2e_util import (
    ACCOUNT_ID,
    ROOT,
    ROOT_ARN,
    Creds,
    grant,
    grant_change_own_password,
    make_client,
    raises_aws,
    run_aws,
    totp,
    two_consecutive_codes,
    unique,
    wait_next_window,
)


def all_users(iam) -> dict[str, dict]:
    out = {}
    for page in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 1000}):
        for u in page["Users"]:
            out[u["UserName"]] = u
    return out


def extract_profile(text: str) -> str | None:
    """The first `[profile x]` / `[x]` block of `key = value` lines in the server's output."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", ln) for ln in text.splitlines()]
    for i, ln in enumerate(lines):
        if re.match(r"^\s*\[(profile )?[\w.-]+\]\s*$", ln):
            body = [ln.strip()]
            for nxt in lines[i + 1 :]:
                if re.match(r"^\s*[A-Za-z_][\w.-]*\s*=\s*\S", nxt):
                    body.append(nxt.strip())
                elif nxt.strip() == "" and len(body) == 1:
                    continue
                else:
                    break
            if any(b.startswith("aws_access_key_id") for b in body) or any("endpoint_url" in b for b in body):
                return "\n".join(body) + "\n"
    return None


def test_data_survives_restart(warden_factory, store):
    w = warden_factory(extra_env=store.env)
    iam = w.client("iam")
    name, group = unique("keep"), unique("keepg")
    user = iam.create_user(UserName=name, Path="/kept/", Tags=[{"Key": "k", "Value": "v"}])["User"]
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    iam.create_login_profile(UserName=name, Password="Kept-Passw0rd-Here!", PasswordResetRequired=True)
    grant(iam, name, ["iam:ChangePassword"], resource=user["Arn"], name="change-own-password")
    dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("keepmfa"))["VirtualMFADevice"]
    c1, c2 = two_consecutive_codes(dev["Base32StringSeed"])
    iam.enable_mfa_device(UserName=name, SerialNumber=dev["SerialNumber"], AuthenticationCode1=c1, AuthenticationCode2=c2)
    iam.update_account_password_policy(MinimumPasswordLength=9, AllowUsersToChangePassword=True)
    iam.create_account_alias(AccountAlias=unique("keep-alias"))
    aliases = iam.list_account_aliases()["AccountAliases"]
    sts_session = make_client("sts", w.url, Creds(key["AccessKeyId"], key["SecretAccessKey"])).get_session_token(
        DurationSeconds=900
    )["Credentials"]

    w.restart()

    iam = w.client("iam")
    got = iam.get_user(UserName=name)["User"]
    assert (got["UserId"], got["Arn"], got["Path"]) == (user["UserId"], user["Arn"], "/kept/")
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [name]
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]] == [key["AccessKeyId"]]
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is True
    assert [m["SerialNumber"] for m in iam.list_mfa_devices(UserName=name)["MFADevices"]] == [dev["SerialNumber"]]
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 9
    assert iam.list_account_aliases()["AccountAliases"] == aliases
    # The user's key still authenticates, and so does a session token issued before the restart
    # (tokens are sealed under a persistent server key).
    ident = make_client("sts", w.url, Creds(key["AccessKeyId"], key["SecretAccessKey"])).get_caller_identity()
    assert ident["Arn"] == user["Arn"]
    temp = Creds(sts_session["AccessKeyId"], sts_session["SecretAccessKey"], sts_session["SessionToken"])
    assert make_client("sts", w.url, temp).get_caller_identity()["Arn"] == user["Arn"]
    assert w.client("sts").get_caller_identity()["Arn"] == ROOT_ARN
    # The password hash and the MFA seed survived too: the old password is still the current one,
    # and the device still produces accepted codes.
    user_iam = make_client("iam", w.url, Creds(key["AccessKeyId"], key["SecretAccessKey"]))
    user_iam.change_password(OldPassword="Kept-Passw0rd-Here!", NewPassword="Kept-Passw0rd-Here!2")
    wait_next_window()
    st = make_client("sts", w.url, Creds(key["AccessKeyId"], key["SecretAccessKey"])).get_session_token(
        SerialNumber=dev["SerialNumber"], TokenCode=totp(dev["Base32StringSeed"]), DurationSeconds=900
    )
    assert st["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_root_credentials_file_on_first_start(warden_factory):
    w = warden_factory(root_from_env=False)
    path = w.data_dir / "root-credentials"
    assert path.is_file(), f"{path} not created; data dir has {os.listdir(w.data_dir)}"
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode == 0o600, oct(mode)
    text = path.read_text()
    akid = re.search(r"aws_access_key_id\s*=\s*(\S+)", text)
    secret = re.search(r"aws_secret_access_key\s*=\s*(\S+)", text)
    assert akid and secret, text
    creds = Creds(akid.group(1), secret.group(1))
    assert re.match(r"^AKIA[A-Z0-9]{16}$", creds.access_key_id), creds.access_key_id
    assert len(creds.secret_access_key) == 40

    printed = w.stdout_text() + w.stderr_text()
    assert "endpoint_url" in printed, printed[-2000:]
    assert w.url in printed or f"127.0.0.1:{w.port}" in printed
    assert creds.access_key_id in printed and creds.secret_access_key in printed

    # Key material in the data dir is private to the server's user.
    for p in w.data_dir.iterdir():
        if p.is_file() and any(s in p.name.lower() for s in ("key", "cred", "secret")):
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, (p.name, oct(p.stat().st_mode))

    # The generated keys are the root user's.
    ident = make_client("sts", w.url, creds).get_caller_identity()
    assert ident["Arn"] == ROOT_ARN and ident["Account"] == ACCOUNT_ID
    # The env-less test keys are not valid here.
    with raises_aws("InvalidClientTokenId", status=403):
        make_client("sts", w.url, ROOT).get_caller_identity()

    # Printed once: a restart keeps the same root keys and does not print the secret again.
    w.restart()
    assert creds.secret_access_key not in (w.stdout_text() + w.stderr_text())
    assert make_client("sts", w.url, creds).get_caller_identity()["Arn"] == ROOT_ARN
    assert path.read_text() == text


def test_default_data_dir_is_warden_data_in_the_working_directory(warden_bin, tmp_path):
    """`warden serve` without --data-dir uses ./warden-data (the issue's normal-mode contract)."""
    import subprocess

    from e2e_util import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WARDEN_ROOT_"))}
    with open(tmp_path / "out.log", "wb") as out:
        p = subprocess.Popen(
            [warden_bin, "serve", "--listen", f"127.0.0.1:{port}"], cwd=tmp_path, env=env,
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        from e2e_util import wait_until
        import http.client

        def healthy():
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                c.request("GET", "/health")
                ok = c.getresponse().status == 200
                c.close()
                return ok
            except OSError:
                return False

        assert wait_until(healthy, timeout=10), (tmp_path / "out.log").read_text()[-2000:]
        data = tmp_path / "warden-data"
        assert data.is_dir(), os.listdir(tmp_path)
        assert (data / "root-credentials").is_file(), os.listdir(data)
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def test_printed_profile_works_with_the_cli(warden_factory, tmp_path):
    """A new user goes from nothing to `aws --profile warden iam list-users` with what was printed.

    Standard output is the whole config text (the profile and its `[services warden]` section), so
    it is written as it is; test_first_hour.py appends it to an existing config."""
    w = warden_factory(root_from_env=False)
    printed = w.stdout_text()
    block = extract_profile(printed)
    assert block, printed[-2000:]
    profile = re.match(r"\[(?:profile )?([^\]]+)\]", block).group(1).strip()
    assert profile == "warden"
    config = tmp_path / "config"
    config.write_text(printed)
    import subprocess

    from e2e_util import aws_cli_command

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    p = subprocess.run(
        aws_cli_command() + ["--profile", profile, "--output", "json", "iam", "list-users"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert p.returncode == 0, (block, p.stderr)
    assert '"Users"' in p.stdout


def test_kill_9_during_concurrent_writes_loses_no_acknowledged_write(warden_factory, store):
    w = warden_factory(extra_env=store.env)
    acked: list[str] = []
    acked_keys: list[tuple[str, Creds]] = []
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[str] = []

    def writer(i: int):
        iam = w.client("iam", connect_timeout=2, read_timeout=5)
        n = 0
        while not stop.is_set() and n < 2000:
            name = f"k9-{i}-{n}"
            n += 1
            try:
                iam.create_user(UserName=name)
            except Exception as e:  # the server dies under us: unacknowledged, fine
                if not stop.is_set() and not isinstance(e, ClientError):
                    errors.append(repr(e))
                if stop.is_set():
                    return
                continue
            with lock:
                acked.append(name)
            if n % 10 == 0:
                try:
                    k = iam.create_access_key(UserName=name)["AccessKey"]
                except Exception:
                    continue
                with lock:
                    acked_keys.append((name, Creds(k["AccessKeyId"], k["SecretAccessKey"])))

    threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(8)]
    for t in threads:
        t.start()
    # Let writes flow, then kill -9 while they are in flight.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(acked) < 150:
        time.sleep(0.05)
    w.kill(signal.SIGKILL)
    stop.set()
    for t in threads:
        t.join(15)
    assert len(acked) >= 20, f"too few writes acknowledged before the kill ({len(acked)}): {errors[:3]}"

    w.start()
    iam = w.client("iam")
    present = all_users(iam)
    missing = [n for n in acked if n not in present]
    assert not missing, f"{len(missing)} acknowledged users lost after kill -9, e.g. {missing[:5]}"
    for name, creds in acked_keys[:10]:
        ident = make_client("sts", w.url, creds).get_caller_identity()
        assert ident["Arn"].endswith(f":user/{name}")
    # The store is consistent and writable after the crash.
    iam.create_user(UserName=unique("after-crash"))


def test_acknowledged_updates_and_deletes_survive_kill_9(warden_factory, store):
    """Durability is not only for inserts: a deactivation, a rename and a delete that were
    acknowledged just before SIGKILL are all there after the restart."""
    w = warden_factory(extra_env=store.env)
    iam = w.client("iam")
    keep, gone, renamed = unique("k9u-keep"), unique("k9u-gone"), unique("k9u-old")
    iam.create_user(UserName=keep)
    k = iam.create_access_key(UserName=keep)["AccessKey"]
    iam.create_user(UserName=gone)
    iam.create_user(UserName=renamed)
    iam.update_access_key(UserName=keep, AccessKeyId=k["AccessKeyId"], Status="Inactive")
    iam.delete_user(UserName=gone)
    new_name = unique("k9u-new")
    iam.update_user(UserName=renamed, NewUserName=new_name)
    w.kill(signal.SIGKILL)
    w.start()
    iam = w.client("iam")
    assert iam.list_access_keys(UserName=keep)["AccessKeyMetadata"][0]["Status"] == "Inactive"
    with raises_aws("InvalidClientTokenId", status=403):
        make_client("sts", w.url, Creds(k["AccessKeyId"], k["SecretAccessKey"])).get_caller_identity()
    with raises_aws("NoSuchEntity", status=404):
        iam.get_user(UserName=gone)
    with raises_aws("NoSuchEntity", status=404):
        iam.get_user(UserName=renamed)
    assert iam.get_user(UserName=new_name)["User"]["UserName"] == new_name


def test_no_plaintext_secrets_in_database_or_logs(warden_factory, store):
    w = warden_factory(extra_env=store.env)
    iam = w.client("iam")
    secrets: list[str] = [ROOT.secret_access_key]
    passwords = ["Plaintext-Canary-Passw0rd-1!", "Plaintext-Canary-Passw0rd-2!"]
    for i in range(3):
        name = unique("sec")
        iam.create_user(UserName=name)
        k = iam.create_access_key(UserName=name)["AccessKey"]
        secrets.append(k["SecretAccessKey"])
        if i == 0:
            iam.create_login_profile(UserName=name, Password=passwords[0])
            grant_change_own_password(iam, name)
            me = make_client("iam", w.url, Creds(k["AccessKeyId"], k["SecretAccessKey"]))
            me.change_password(OldPassword=passwords[0], NewPassword=passwords[1])
            st = make_client("sts", w.url, Creds(k["AccessKeyId"], k["SecretAccessKey"])).get_session_token()
            secrets.append(st["Credentials"]["SecretAccessKey"])
    # A failing sign-in attempt with a password-like secret must not be logged either.
    try:
        make_client("sts", w.url, Creds("AKIAUNKNOWNKEY000000", "Canary-Secret-That-Must-Not-Leak-00001")).get_caller_identity()
    except ClientError:
        pass
    secrets.append("Canary-Secret-That-Must-Not-Leak-00001")

    def scan(label: str):
        blobs = {}
        for p in w.data_dir.rglob("*"):
            if p.is_file() and p.name != "root-credentials":
                blobs[str(p)] = p.read_bytes()
        blobs["logs"] = w.all_logs_bytes()
        blobs["postgres"] = store.dump().encode()
        for where, data in blobs.items():
            for s in secrets + passwords:
                assert s.encode() not in data, f"{label}: plaintext secret found in {where}"

    scan("while running")
    w.stop()
    scan("after shutdown")
    if store.kind == "sqlite":
        db_files = [p for p in w.data_dir.rglob("*") if p.is_file() and p.stat().st_size > 0]
        assert db_files, "no database file in the data dir"
    else:
        # The records, sealed secrets included, are in PostgreSQL, and no SQLite file was made.
        assert "access_key" in store.dump()
        assert not (w.data_dir / "warden.db").exists()


def test_sqlite_database_is_in_the_data_dir(server):
    files = [p.name for p in server.data_dir.rglob("*") if p.is_file()]
    header_ok = False
    for p in server.data_dir.rglob("*"):
        if p.is_file() and p.stat().st_size >= 16:
            with open(p, "rb") as f:
                if f.read(16) == b"SQLite format 3\x00":
                    header_ok = True
    assert header_ok, f"no SQLite database found among {files}"


def test_cli_against_restarted_server(warden_factory):
    w = warden_factory()
    name = unique("cli-restart")
    res = run_aws(w.url, "iam", "create-user", "--user-name", name)
    assert res.returncode == 0, res.stderr
    w.restart()
    res = run_aws(w.url, "iam", "get-user", "--user-name", name)
    assert res.returncode == 0, res.stderr
    assert res.json["User"]["UserName"] == name
