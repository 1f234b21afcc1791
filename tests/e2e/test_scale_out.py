"""Several warden nodes on one PostgreSQL database behave as one service (docs/scale-out.md).

The tests run their own PostgreSQL cluster (initdb in a temp dir, its own port, pg_ctl), so they
can stop and restart it; each test gets a database of its own on it and three (or more) warden
nodes with the same master key. Without PostgreSQL's server binaries they are skipped, unless
`WARDEN_REQUIRE_POSTGRES` is set (CI sets it): then they fail.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time

import pytest
from botocore.exceptions import ClientError

from e2e_util import (
    ACCOUNT_ID,
    Creds,
    PgCluster,
    allow,
    error_of,
    make_client,
    new_master_key,
    policy_doc,
    raises_aws,
    totp,
    two_consecutive_codes,
    unique,
    wait_until,
)


@pytest.fixture(scope="module")
def cluster():
    c = PgCluster()
    yield c
    c.close()


class Nodes:
    """Warden nodes on one database of the cluster, sharing one master key."""

    def __init__(self, factory, cluster: PgCluster):
        self.factory = factory
        self.cluster = cluster
        self.database = cluster.new_database()
        self.master_key = new_master_key()
        self.nodes = []

    def env(self, master_key: str | None = None) -> dict[str, str]:
        return {
            "WARDEN_DATABASE_URL": self.cluster.url(self.database),
            "WARDEN_MASTER_KEY": master_key or self.master_key,
        }

    def add(self, start: bool = True, **kw):
        w = self.factory(start=start, extra_env={**self.env(kw.pop("master_key", None)), **kw.pop("env", {})}, **kw)
        self.nodes.append(w)
        return w

    def sql(self, sql: str) -> str:
        return self.cluster.sql(sql, self.database)


@pytest.fixture
def nodes(warden_factory, cluster):
    n = Nodes(warden_factory, cluster)
    for _ in range(3):
        n.add()
    return n


def user_names(w) -> set[str]:
    iam = w.client("iam")
    names, marker = set(), None
    while True:
        page = iam.list_users(**({"Marker": marker} if marker else {}))
        names |= {u["UserName"] for u in page["Users"]}
        if not page.get("IsTruncated"):
            return names
        marker = page["Marker"]


def test_the_same_user_created_at_once_on_three_nodes_exists_once(nodes):
    """Uniqueness holds across nodes: each write plans against the log's head under its lock."""
    for attempt in range(3):
        name = unique("race")
        barrier = threading.Barrier(3)

        def create(w):
            iam = w.client("iam")
            barrier.wait()
            try:
                return ("ok", iam.create_user(UserName=name)["User"]["UserId"])
            except ClientError as e:
                return error_of(e)

        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            outcomes = list(pool.map(create, nodes.nodes))
        created = [o for o in outcomes if o[0] == "ok"]
        refused = [o for o in outcomes if o[0] != "ok"]
        assert len(created) == 1, outcomes
        # AWS's text, as moto's test_iam.py records it for a second CreateUser.
        assert refused == [("EntityAlreadyExists", f"User with name {name} already exists.", 409)] * 2, outcomes
        # Every node names the one user by the winner's id.
        for w in nodes.nodes:
            assert wait_until(lambda w=w: w.client("iam").get_user(UserName=name)["User"]["UserId"] == created[0][1])


def test_a_policy_change_on_one_node_is_enforced_on_another_within_a_second(nodes):
    first, _, third = nodes.nodes
    iam = first.client("iam")
    name = unique("prop")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    creds = Creds(key["AccessKeyId"], key["SecretAccessKey"])
    iam.put_user_policy(UserName=name, PolicyName="list", PolicyDocument=policy_doc(allow("iam:ListUsers")))
    on_third = make_client("iam", third.url, creds)

    # Control: the grant reached node 3 and the key authenticates there.
    def allowed():
        try:
            on_third.list_users()
            return True
        except ClientError as e:
            if error_of(e)[0] in ("AccessDenied", "InvalidClientTokenId"):
                return False
            raise

    assert wait_until(allowed, timeout=1.0)

    iam.delete_user_policy(UserName=name, PolicyName="list")
    t0 = time.monotonic()
    while allowed():
        assert time.monotonic() - t0 < 1.0, "node 3 still allows a second after node 1 removed the grant"
        time.sleep(0.005)
    with raises_aws("AccessDenied", status=403):
        on_third.list_users()


def test_a_node_killed_during_concurrent_writes_loses_no_acknowledged_write(nodes):
    """kill -9 of one node while all three write: every CreateUser that was answered with success
    is present on every node, the killed one included once it is back."""
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    victim = nodes.nodes[1]

    def writer(w, tag):
        iam = w.client("iam", connect_timeout=1, read_timeout=5)
        i = 0
        while not stop.is_set():
            name = f"{tag}-{i}"
            i += 1
            try:
                iam.create_user(UserName=name)
            except Exception:
                if w is victim:
                    continue
                raise
            with lock:
                acknowledged.append(name)

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(writer, w, f"{unique('k')}-{n}-{t}") for n, w in enumerate(nodes.nodes) for t in range(2)]
        try:
            time.sleep(1.0)
            victim.kill()
            time.sleep(1.0)
        finally:
            stop.set()
        for f in futures:
            f.result()
    assert len(acknowledged) > 5, acknowledged
    for w in (nodes.nodes[0], nodes.nodes[2]):
        missing = _lacking(w, acknowledged)
        assert not missing, f"{w.url} lacks {sorted(missing)[:5]}"
    victim.start()
    assert not set(acknowledged) - user_names(victim)


def _lacking(w, names, timeout=5.0):
    """The acknowledged `names` node `w` still lacks once propagation had its chance: a write
    acknowledged by another node just before the check may still be on its way (the 1 s poll bounds
    it, unless the database was just restarted and the node is reconnecting)."""
    missing = set(names)
    deadline = time.monotonic() + timeout
    while True:
        missing = set(names) - user_names(w)
        if not missing or time.monotonic() > deadline:
            return missing
        time.sleep(0.1)


def test_a_database_restart_under_load_loses_nothing_and_reads_keep_working(nodes, cluster):
    """While PostgreSQL is down, writes answer ServiceFailure (500) or ServiceUnavailable (503),
    while authentication, authorization and reads keep working from memory on every node; once it is
    back, writes resume, and every acknowledged write is on every node."""
    iam = nodes.nodes[0].client("iam")
    name = unique("reader")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=policy_doc(allow("iam:GetUser")))
    reader = Creds(key["AccessKeyId"], key["SecretAccessKey"])
    for w in nodes.nodes:
        assert wait_until(lambda w=w: _gets_user(w, reader, name))

    acknowledged: list[str] = []
    refusals: list[tuple] = []
    stop = threading.Event()
    lock = threading.Lock()

    def writer(w, tag):
        client = w.client("iam", connect_timeout=2, read_timeout=10)
        i = 0
        while not stop.is_set():
            n = f"{tag}-{i}"
            i += 1
            try:
                client.create_user(UserName=n)
                with lock:
                    acknowledged.append(n)
            except ClientError as e:
                with lock:
                    refusals.append(error_of(e))
                time.sleep(0.05)

    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(writer, w, f"{unique('db')}-{n}") for n, w in enumerate(nodes.nodes)]
        try:
            _under_a_database_restart(nodes, cluster, reader, name, acknowledged, lock)
        finally:
            stop.set()
        for f in futures:
            f.result()
    assert {r[0] for r in refusals} <= {"ServiceFailure", "ServiceUnavailable"}, refusals
    assert refusals, "no write was refused while the database was down"
    for w in nodes.nodes:
        missing = _lacking(w, acknowledged)
        assert not missing, f"{w.url} lacks {sorted(missing)[:5]}"


def _under_a_database_restart(nodes, cluster, reader, name, acknowledged, lock):
    """Stops PostgreSQL while the writers run, checks what the nodes answer meanwhile, starts it."""
    second, third = nodes.nodes[1], nodes.nodes[2]
    time.sleep(0.7)
    cluster.stop("fast")
    try:
        time.sleep(0.5)
        with lock:
            before = len(acknowledged)
        # Down: a write is refused with AWS's error for a failing service...
        with pytest.raises(ClientError) as down:
            second.client("iam").create_user(UserName=unique("down"))
        code, message, status = error_of(down.value)
        assert (code, status) in (("ServiceFailure", 500), ("ServiceUnavailable", 503)), error_of(down.value)
        # AWS's generic text: nothing of the database's error reaches the client.
        assert "PostgreSQL" not in message and "connect" not in message, message
        # ... while every node authenticates, authorizes and reads from memory.
        for w in nodes.nodes:
            assert _gets_user(w, reader, name)
            assert w.client("sts").get_caller_identity()["Account"] == ACCOUNT_ID
        # Denials too (the reader may only GetUser).
        with raises_aws("AccessDenied", status=403):
            make_client("iam", third.url, reader).list_users()
        time.sleep(0.5)
        with lock:
            assert len(acknowledged) == before, "a write was acknowledged while the database was down"
    finally:
        cluster.start()
    # Writes resume on every node.
    for w in nodes.nodes:
        assert wait_until(lambda w=w: _creates_user(w), timeout=10)


def _gets_user(w, creds, name) -> bool:
    try:
        return make_client("iam", w.url, creds).get_user(UserName=name)["User"]["UserName"] == name
    except ClientError:
        return False


def _identifies(w, creds) -> bool:
    try:
        make_client("sts", w.url, creds).get_caller_identity()
        return True
    except ClientError:
        return False


def _creates_user(w) -> bool:
    try:
        w.client("iam").create_user(UserName=unique("back"))
        return True
    except ClientError:
        return False


def _enabled_mfa_user(nodes):
    """A user with an access key and an enabled virtual MFA device, both known to node 2."""
    iam = nodes.nodes[0].client("iam")
    name = unique("mfa")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    creds = Creds(key["AccessKeyId"], key["SecretAccessKey"])
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("dev"))["VirtualMFADevice"]
    seed, serial = device["Base32StringSeed"], device["SerialNumber"]
    c1, c2 = two_consecutive_codes(seed)
    iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1=c1, AuthenticationCode2=c2)
    # The key works on node 2 (so a refusal there is about the code, not the key).
    assert wait_until(lambda: _identifies(nodes.nodes[1], creds))
    return creds, seed, serial


INVALID_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."


def test_a_totp_code_spent_on_one_node_is_refused_on_another(nodes):
    """The device's last accepted step is in its record and written through the write path, which
    catches up before it checks: a code spent on node 1 cannot be spent again on node 2."""
    first, second, _ = nodes.nodes
    creds, seed, serial = _enabled_mfa_user(nodes)
    # The next window's code: accepted once (a clock-skew window), newer than the two spent.
    code = totp(seed, time.time() + 30)
    # Control: the code is good, on node 1.
    make_client("sts", first.url, creds).get_session_token(SerialNumber=serial, TokenCode=code)
    # Replayed on node 2 at once: refused.
    with raises_aws("AccessDenied", INVALID_CODE, status=403):
        make_client("sts", second.url, creds).get_session_token(SerialNumber=serial, TokenCode=code)


def test_one_totp_code_sent_to_two_nodes_at_once_is_accepted_once(nodes):
    """The same code raced on two nodes: the head lock orders the two writes and the second plans
    against the first, so exactly one is accepted (a node planning on its own copy would accept
    both)."""
    first, second, _ = nodes.nodes
    for _ in range(3):
        creds, seed, serial = _enabled_mfa_user(nodes)
        code = totp(seed, time.time() + 30)
        clients = [make_client("sts", w.url, creds) for w in (first, second)]
        barrier = threading.Barrier(2)

        def spend(sts):
            barrier.wait()
            try:
                sts.get_session_token(SerialNumber=serial, TokenCode=code)
                return "ok"
            except ClientError as e:
                return error_of(e)

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            outcomes = sorted(pool.map(spend, clients), key=str)
        assert outcomes == [("AccessDenied", INVALID_CODE, 403), "ok"], outcomes


def test_a_node_started_later_catches_up_and_follows(nodes):
    first = nodes.nodes[0]
    iam = first.client("iam")
    names = {unique("early") for _ in range(5)}
    for n in names:
        iam.create_user(UserName=n)
    late = nodes.add()
    assert names <= user_names(late)
    # It follows the log from there: a write on node 1 shows up on it, and the other way round.
    after = unique("after")
    iam.create_user(UserName=after)
    assert wait_until(lambda: after in user_names(late), timeout=2)
    back = unique("back")
    late.client("iam").create_user(UserName=back)
    assert wait_until(lambda: back in user_names(first), timeout=2)


def test_three_nodes_starting_at_once_on_an_empty_database_make_one_root_key(warden_factory, cluster):
    n = Nodes(warden_factory, cluster)
    ws = [n.add(start=False, root_from_env=False) for _ in range(3)]
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda w: w.start(timeout=30), ws))
    made = [w for w in ws if (w.data_dir / "root-credentials").exists()]
    assert len(made) == 1, [str(w.data_dir) for w in made]
    assert n.sql("SELECT count(*) FROM warden_records WHERE kind = 'access_key'").strip() == "1"
    assert n.sql("SELECT count(*) FROM warden_records WHERE kind = 'account'").strip() == "1"


def test_a_node_with_another_master_key_is_refused(nodes):
    """The records are sealed under the nodes' shared key: a node with another one could not open
    them, so it refuses to start and says why (the key ids are safe to show; the key is not)."""
    other = new_master_key()
    w = nodes.add(start=False, master_key=other)
    with pytest.raises(RuntimeError, match="exited"):
        w.start(timeout=20)
    err = w.stderr_text() + w.stdout_text()
    assert "every warden on one database must use the same master key" in err, err
    assert other not in err and nodes.master_key not in err
    assert "panicked" not in err


def test_a_database_with_a_newer_schema_is_refused(nodes):
    nodes.sql("UPDATE warden_schema_version SET version = 99")
    w = nodes.add(start=False)
    with pytest.raises(RuntimeError, match="exited"):
        w.start(timeout=20)
    err = w.stderr_text() + w.stdout_text()
    assert "the database schema version 99 is newer than this warden understands (2)" in err, err
