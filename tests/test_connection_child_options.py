"""The first Child SA's options: virtual IPs by CP (RFC 7296 §2.19, §3.15), transport
mode and the status notifies (§1.3.1), AH (RFC 4302) — and the address pool."""

from __future__ import annotations

import dataclasses

import pytest

from ikewire.connection.config import IKEConfig
from ikewire.connection.events import (
    ChildSAEstablished,
    ConnectionFailed,
    IKESAEstablished,
)
from ikewire.connection.pool import AddressPool
from ikewire.connection.selectors import ts_to_string
from ikewire.connection.state import State
from ikewire.constants import CfgType, CPAttributeType, NotifyType, ProtocolId
from ikewire.crypto.cipher import SKCipher, open_message, seal_message
from ikewire.errors import ConfigError
from ikewire.testing.pair import Pair, drain
from ikewire.wire.models import CP, SA, Message
from test_connection_ike_sa import configs


def run(i_cfg: IKEConfig, r_cfg: IKEConfig) -> tuple[Pair, list[object], list[object], Message]:
    """Handshake; both sides' events and the opened IKE_AUTH request and response."""
    pair = Pair(i_cfg, r_cfg)
    pair.handshake()
    assert pair.responder.keys is not None
    keys = pair.responder.keys
    req = open_message(pair.captured[2].data, SKCipher.from_keys(keys, sender_is_initiator=True))
    resp = open_message(pair.captured[3].data, SKCipher.from_keys(keys, sender_is_initiator=False))
    zero = bytes(8)
    both = Message.create(34, (), spi_i=zero)
    return (
        pair,
        drain(pair.initiator),
        drain(pair.responder),
        both._replace(payloads=tuple(req) + tuple(resp)),
    )


def vip_configs(pool: AddressPool, **extra: object) -> tuple[IKEConfig, IKEConfig]:
    i, r = configs(**extra)
    i = dataclasses.replace(i, request_virtual_ip=True, local_ts=("0.0.0.0/0",))
    r = dataclasses.replace(r, address_pool=pool, dns_servers=("10.3.0.53", "2001:db8::53"))
    return i, r


def test_virtual_ip_is_assigned_and_the_initiators_selector_narrowed() -> None:
    pool = AddressPool("10.3.0.0/24")
    pair, ei, er, both = run(*vip_configs(pool))
    request_cp, reply_cp = [p for p in both.payloads if isinstance(p, CP)]
    assert request_cp.cfg_type == CfgType.CFG_REQUEST
    assert request_cp.attributes[0].type == CPAttributeType.INTERNAL_IP4_ADDRESS
    assert request_cp.attributes[0].value == b""  # any address (RFC 7296 §3.15.1)
    assert reply_cp.cfg_type == CfgType.CFG_REPLY
    assert [(a.type, a.value) for a in reply_cp.attributes] == [
        (CPAttributeType.INTERNAL_IP4_ADDRESS, bytes([10, 3, 0, 1])),
        (CPAttributeType.INTERNAL_IP4_DNS, bytes([10, 3, 0, 53])),  # only its family
    ]
    for events in (ei, er):
        ike, child = events
        assert isinstance(ike, IKESAEstablished) and isinstance(child, ChildSAEstablished)
        assert ike.virtual_ips == ("10.3.0.1",)
        assert ike.dns_servers[0] == "10.3.0.53"
        assert [ts_to_string(t) for t in child.tsi] == ["10.3.0.1/32"]
    assert pool.leases == {"alice.example": "10.3.0.1"}
    # the lease ends with the IKE SA
    pair.initiator.close(pair.now)
    pair.run()
    assert pair.responder.state is State.CLOSED and pool.leases == {}


def test_same_identity_gets_the_same_address_and_an_empty_pool_refuses_the_child() -> None:
    pool = AddressPool("10.3.0.9-10.3.0.9")
    _, first, _, _ = run(*vip_configs(pool))
    assert first[0].virtual_ips == ("10.3.0.9",)  # type: ignore[attr-defined]
    _, again, _, _ = run(*vip_configs(pool))
    assert again[0].virtual_ips == ("10.3.0.9",)  # type: ignore[attr-defined]
    i, r = vip_configs(pool)
    other = dataclasses.replace(i, local_id=dataclasses.replace(i.local_id, data=b"carol.example"))
    r = dataclasses.replace(r, remote_id=None)
    pair, ei, er, _both = run(other, r)
    # RFC 7296 §3.10.1: INTERNAL_ADDRESS_FAILURE, no Child SA, the IKE SA stands
    assert [type(e) for e in ei] == [IKESAEstablished, ConnectionFailed]
    assert ei[1].notify == NotifyType.INTERNAL_ADDRESS_FAILURE  # type: ignore[attr-defined]
    assert "exhausted" in er[1].reason  # type: ignore[attr-defined]
    assert pair.initiator.state is State.ESTABLISHED and pair.initiator.child_sas == []


def test_no_pool_no_cp_reply() -> None:
    i, r = vip_configs(AddressPool("10.3.0.0/24"))
    _, ei, _, both = run(i, dataclasses.replace(r, address_pool=None, remote_ts=("0.0.0.0/0",)))
    assert len([p for p in both.payloads if isinstance(p, CP)]) == 1  # the request only
    assert ei[0].virtual_ips == ()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("i_mode", "r_mode", "expected"),
    [
        ("transport", "transport", "transport"),
        ("transport", "tunnel", "tunnel"),  # RFC 7296 §1.3.1: the responder decides
        ("tunnel", "transport", "tunnel"),  # not asked: tunnel
    ],
)
def test_transport_mode(i_mode: str, r_mode: str, expected: str) -> None:
    _, ei, er, both = run(*configs(i_mode=i_mode, r_mode=r_mode))
    assert ei[1].mode == er[1].mode == expected  # type: ignore[attr-defined]
    sent = [n.notify_type for n in both.notifies()]
    assert sent.count(NotifyType.USE_TRANSPORT_MODE) == (i_mode == "transport") + (
        expected == "transport"
    )


def test_tfc_padding_and_non_first_fragments_notifies() -> None:
    _, ei, er, both = run(
        *configs(i_tfc_padding=False, i_non_first_fragments=True, r_non_first_fragments=True)
    )
    sent = [n.notify_type for n in both.notifies()]
    assert sent.count(NotifyType.ESP_TFC_PADDING_NOT_SUPPORTED) == 1
    assert sent.count(NotifyType.NON_FIRST_FRAGMENTS_ALSO) == 2
    ci, cr = ei[1], er[1]
    assert isinstance(ci, ChildSAEstablished) and isinstance(cr, ChildSAEstablished)
    assert ci.tfc_padding and not cr.tfc_padding  # the responder must not pad to us
    assert ci.non_first_fragments and cr.non_first_fragments
    _, ei, _, _ = run(*configs(i_non_first_fragments=True))
    assert not ei[1].non_first_fragments  # type: ignore[attr-defined]


def test_ah_child_sa() -> None:
    _, ei, er, both = run(
        *configs(
            i_ah_proposals=("sha256",),
            r_esp_proposals=(),
            r_ah_proposals=("sha384", "sha256"),
        )
    )
    offered, chosen = [p for p in both.payloads if isinstance(p, SA)]
    assert [p.protocol_id for p in offered.proposals] == [ProtocolId.ESP, ProtocolId.AH]
    assert [p.number for p in offered.proposals] == [1, 2]
    assert chosen.proposals[0].protocol_id == ProtocolId.AH and chosen.proposals[0].number == 2
    for c in (ei[1], er[1]):
        assert isinstance(c, ChildSAEstablished)
        assert c.protocol == "AH" and c.encr_id is None and c.encr_key_in == b""
        assert len(c.integ_key_in) == 32


def test_child_option_config_errors() -> None:
    i, _ = configs()
    with pytest.raises(ConfigError):
        dataclasses.replace(i, mode="beet")
    with pytest.raises(ConfigError):
        dataclasses.replace(i, esp_proposals=(), ah_proposals=())
    with pytest.raises(ConfigError):
        dataclasses.replace(i, dns_servers=("not-an-ip",))


def test_address_pool() -> None:
    v4 = AddressPool("192.0.2.0/30")  # network and broadcast excluded
    assert [str(v4.acquire(x)) for x in "ab"] == ["192.0.2.1", "192.0.2.2"]
    assert v4.acquire("c") is None
    v4.release("a")
    assert str(v4.acquire("c")) == "192.0.2.1"
    v6 = AddressPool("2001:db8::/127")
    assert str(v6.acquire("x")) == "2001:db8::" and v6.attribute_family == 6
    assert str(v6.acquire("y")) == "2001:db8::1" and v6.acquire("z") is None
    for bad in ("10.0.0.9-10.0.0.1", "10.0.0.1-2001:db8::1", "nonsense", "10.0.0.0/8"):
        with pytest.raises(ConfigError):
            AddressPool(bad)


# ------------------------------------------------- PFS groups stay out of IKE_AUTH


def test_ike_auth_proposals_carry_no_key_exchange_transforms() -> None:
    """RFC 7296 §1.2: IKE_AUTH has no KE payload, so the initiator omits the KE (and
    RFC 9370 ADDKE) transforms of its PFS proposals there; both sides agree on the
    Child SA, and the first CREATE_CHILD_SA rekey then runs with the PFS groups."""
    from ikewire.constants import TransformType
    from ikewire.wire.models import Proposal

    esp = "aes256gcm16-x25519-ke1_ecp384"
    i, r = configs(i_esp_proposals=(esp,), r_esp_proposals=(esp,))
    pair, ei, er, both = run(i, r)
    assert [type(e) for e in ei] == [IKESAEstablished, ChildSAEstablished], ei
    assert [type(e) for e in er] == [IKESAEstablished, ChildSAEstablished], er
    offered, chosen = [p for p in both.payloads if isinstance(p, SA)]
    ke_types = {TransformType.KE, *range(TransformType.ADDKE1, TransformType.ADDKE7 + 1)}
    for sa in (offered, chosen):
        (prop,) = sa.proposals
        assert not [t for t in prop.transforms if t.type in ke_types], prop
    assert str(offered.proposals[0]._replace(spi=b"")) == "aes256gcm16-noesn"
    # the configuration keeps its PFS groups: the rekey runs both key exchanges
    assert Proposal.parse(esp, ProtocolId.ESP).transforms_of(TransformType.KE)
    first = ei[1]
    assert isinstance(first, ChildSAEstablished)
    pair.initiator.rekey_child(first.spi_in, pair.now)
    pair.run()
    new_i = [e for e in drain(pair.initiator) if isinstance(e, ChildSAEstablished)]
    new_r = [e for e in drain(pair.responder) if isinstance(e, ChildSAEstablished)]
    assert len(new_i) == len(new_r) == 1 and new_i[0].generation == 2
    assert new_i[0].suite == new_r[0].suite == "aes256gcm16-curve25519-noesn-ke1_ecp384"


def test_responder_ignores_key_exchange_transforms_left_in_ike_auth() -> None:
    """A peer that leaves its PFS group in IKE_AUTH's proposal (RFC 7296 §1.2 says
    SHOULD omit) still gets its Child SA: the responder compares without it."""
    from ikewire.connection.sa_records import without_ke

    esp = "aes256gcm16-x25519"
    i, r = configs(i_esp_proposals=(esp,), r_esp_proposals=(esp,))
    pair = Pair(i, r)
    # this initiator keeps the KE transform in IKE_AUTH, as older peers do
    pair.initiator._auth_esp_proposals = pair.initiator._esp_proposals
    pair.handshake()
    ei, er = drain(pair.initiator), drain(pair.responder)
    assert [type(e) for e in er] == [IKESAEstablished, ChildSAEstablished], er
    assert without_ke(pair.initiator._esp_proposals) != pair.initiator._esp_proposals
    # the responder answered without the group; this initiator's check wants it
    assert [type(e) for e in ei][:1] == [IKESAEstablished]


def test_auth_response_with_only_an_error_fails_and_deletes_at_the_peer() -> None:
    """A responder that answers IKE_AUTH with an error notify and no IDr/AUTH (strongSwan
    6.0.1 does so when the first Child SA fails) is not authenticated: the initiator
    reports the notify by name, fails the SA and sends a Delete for the IKE SA the peer
    may think exists (RFC 7296 §1.4.1)."""
    import os

    from ikewire.wire.codec import decode_v2
    from ikewire.wire.models import Delete, Notify

    pair = Pair(*configs())
    pair.initiator.initiate(pair.now)
    pair.roundtrip(pair.initiator, pair.responder)  # IKE_SA_INIT
    (auth_request,) = pair.take(pair.initiator)
    pair.deliver(auth_request, pair.responder)
    (auth_response,) = pair.take(pair.responder)
    keys = pair.responder.keys
    assert keys is not None
    # the same response header, its SK holding only N(NO_PROPOSAL_CHOSEN)
    bare = seal_message(
        decode_v2(auth_response),
        [Notify(NotifyType.NO_PROPOSAL_CHOSEN)],
        SKCipher.from_keys(keys, sender_is_initiator=False),
        os.urandom(8),
    )
    pair.deliver(bare, pair.initiator)
    events = drain(pair.initiator)
    failed = [e for e in events if isinstance(e, ConnectionFailed)]
    assert [e.notify for e in failed] == [NotifyType.NO_PROPOSAL_CHOSEN], events
    assert "without IDr and AUTH, refused: NO_PROPOSAL_CHOSEN" in failed[0].reason
    assert not [e for e in events if isinstance(e, IKESAEstablished)]
    assert pair.initiator.state is State.FAILED
    (delete,) = pair.take(pair.initiator)
    header = decode_v2(delete)
    assert header.exchange_type == 37 and not header.flags & 0x20  # INFORMATIONAL request
    inner = open_message(delete, SKCipher.from_keys(keys, sender_is_initiator=True))
    assert [type(p) for p in inner] == [Delete] and inner[0].protocol_id == ProtocolId.IKE
