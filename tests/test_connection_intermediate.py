"""IKE_INTERMEDIATE (RFC 9242) with additional key exchanges (RFC 9370), ML-KEM among
them, in IKEConnection; the IntAuth chain checked against strongSwan 6.0.1's logs."""

from __future__ import annotations

import pytest

from ikewire.connection.events import ChildSAEstablished, ConnectionFailed, IKESAEstablished
from ikewire.connection.state import State
from ikewire.constants import ExchangeType, NotifyType
from ikewire.crypto.auth import int_auth_step
from ikewire.crypto.decrypt import decrypt, reassemble
from ikewire.crypto.prf import prf_for
from ikewire.pcap import iter_udp
from ikewire.testing.pair import Pair, drain
from ikewire.wire.codec import decode_v2, encode_payloads
from ikewire.wire.models import KE
from test_connection_ike_sa import configs
from test_connection_lifecycle import consistent
from test_keys import _h, _initial, _swan
from test_wire_captures import VECTORS

HYBRID = "aes256gcm16-prfsha384-x25519-ke1_mlkem768"


def test_int_auth_chain_matches_strongswan() -> None:
    """RFC 9242 §3.3.2 on strongSwan 6.0.1's fragmented ML-KEM IKE_INTERMEDIATE: the
    IntAuth values charon logged, from the capture and the IKE_SA_INIT keys."""
    case = "b_x25519-ke1mlkem768"
    data = _swan(case)
    k0 = _initial(data["ike_key_sets"][0])
    want_i, want_r = data["ike_key_sets"][0]["intauth_n_log"]
    pcap = VECTORS / "strongswan-6.0.1-mlkem" / case / "ike.pcap"
    frames = [u.payload[4:] if u.payload[:4] == bytes(4) else u.payload for u in iter_udp(pcap)]
    request = reassemble([frames[2], frames[3]], k0)  # 2 RFC 7383 fragments
    response = decrypt(frames[4], k0)
    assert request.exchange_type == ExchangeType.IKE_INTERMEDIATE == response.exchange_type
    prf = prf_for(k0.prf_id)
    for msg, raw, sk_p, want in (
        (request, frames[2], k0.sk_pi, want_i),
        (response, frames[4], k0.sk_pr, want_r),
    ):
        inner = [p for p in msg.payloads if isinstance(p, KE)]
        got = int_auth_step(prf, sk_p, b"", raw[:28], int(inner[0].type), encode_payloads(inner))
        assert got == _h(want)


def _ike(data: bytes) -> bytes:
    return data[4:] if data[:4] == bytes(4) else data


def exchanges(pair: Pair) -> list[tuple[str, int]]:
    """The requests in order, a fragmented one once."""
    out: list[tuple[str, int]] = []
    for c in pair.captured:
        msg = decode_v2(_ike(c.data))
        item = (ExchangeType(msg.exchange_type).name, msg.message_id)
        if not msg.is_response and item not in out:
            out.append(item)
    return out


@pytest.mark.parametrize(
    ("suite", "intermediates"),
    [
        (HYBRID, 1),
        ("aes256gcm16-prfsha384-ecp256-ke1_mlkem1024-ke2_x25519", 2),
        ("aes128-sha256-modp2048-ke1_ecp384-ke3_mlkem768", 2),
    ],
)
def test_hybrid_ike_sa(suite: str, intermediates: int) -> None:
    pair = Pair(*configs(i_ike_proposals=(suite,), r_ike_proposals=(suite,)))
    pair.handshake()
    i, r = pair.initiator, pair.responder
    assert [type(e) for e in drain(i)] == [IKESAEstablished, ChildSAEstablished]
    assert [type(e) for e in drain(r)] == [IKESAEstablished, ChildSAEstablished]
    # RFC 9242 §3.2: IKE_INTERMEDIATE from message ID 1, then IKE_AUTH after them
    inter = [("IKE_INTERMEDIATE", n) for n in range(1, intermediates + 1)]
    assert exchanges(pair) == [("IKE_SA_INIT", 0), *inter, ("IKE_AUTH", intermediates + 1)]
    assert i.keys == r.keys and len(i._int_auth_i) == len(i._int_auth_r) > 0
    consistent(pair)
    # later exchanges ride on the updated keys; an IKE SA rekey (without IKE_FOLLOWUP_KE)
    i.rekey_ike(pair.now)
    pair.run()
    assert i.generation == 2 and i.state is State.ESTABLISHED
    consistent(pair)


def test_ml_kem_fragments_intermediate_behind_nat() -> None:
    """ML-KEM-1024's key is 1568 octets: its IKE_INTERMEDIATE needs RFC 7383 fragments
    (RFC 9242 §3.4) — here on port 4500."""
    suite = "aes256gcm16-prfsha384-x25519-ke1_mlkem1024"
    pair = Pair(*configs(i_ike_proposals=(suite,), r_ike_proposals=(suite,)), nat=True)
    pair.handshake()
    fragments = [
        c
        for c in pair.captured
        if c.data[:4] == bytes(4) and decode_v2(c.data[4:]).exchange_type == 43
    ]
    assert len(fragments) >= 3  # the request and the response, each in 2 or more
    assert pair.initiator.state is State.ESTABLISHED is pair.responder.state
    consistent(pair)


def test_additional_exchange_optional_none() -> None:
    """RFC 9370 §2.2.1: ADDKE with NONE offered: a responder without it picks NONE, and
    there is no IKE_INTERMEDIATE."""
    offer = "aes256gcm16-prfsha384-x25519-ke1_mlkem768-ke1_none"
    pair = Pair(
        *configs(i_ike_proposals=(offer,), r_ike_proposals=("aes256gcm16-prfsha384-x25519",))
    )
    pair.handshake()
    assert exchanges(pair) == [("IKE_SA_INIT", 0), ("IKE_AUTH", 1)]
    consistent(pair)


def test_required_additional_exchange_refused() -> None:
    pair = Pair(
        *configs(i_ike_proposals=("aes256gcm16-prfsha384-x25519",), r_ike_proposals=(HYBRID,))
    )
    pair.handshake()
    [ev] = drain(pair.initiator)
    assert isinstance(ev, ConnectionFailed) and ev.notify == NotifyType.NO_PROPOSAL_CHOSEN


def test_ml_kem_alone_in_ike_sa_init() -> None:
    """strongSwan 6 allows ML-KEM as the only key exchange of IKE_SA_INIT."""
    suite = "aes256gcm16-prfsha384-mlkem768"
    pair = Pair(*configs(i_ike_proposals=(suite,), r_ike_proposals=(suite,)))
    pair.handshake()
    assert exchanges(pair) == [("IKE_SA_INIT", 0), ("IKE_AUTH", 1)]
    consistent(pair)


def test_intermediate_exchange_lost_and_retransmitted() -> None:
    pair = Pair(*configs(i_ike_proposals=(HYBRID,), r_ike_proposals=(HYBRID,)))
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    pair.roundtrip(i, r)
    [inter] = pair.take(i)
    pair.deliver(inter, r)
    pair.drop(r)  # the answer is lost; the retransmission is answered from the cache
    pair.advance(2.0)
    pair.run()
    assert i.state is State.ESTABLISHED is r.state
    consistent(pair)


PPK = b"a post-quantum preshared key of 32 octets!!"


def ppk_pair(i_ppk: bytes | None, r_ppk: bytes | None, **kw: object) -> Pair:
    extra: dict[str, object] = dict(kw)
    if i_ppk is not None:
        extra.update(i_ppk=i_ppk, i_ppk_id=b"ppk-1")
    if r_ppk is not None:
        extra.update(r_ppk=r_ppk, r_ppk_id=b"ppk-1")
    pair = Pair(*configs(**extra))
    pair.handshake()
    return pair


@pytest.mark.parametrize("with_intermediate", [False, True])
def test_ppk_mixed_into_the_keys(with_intermediate: bool) -> None:
    """RFC 8784 §3: both have the PPK: SK_d, SK_pi, SK_pr are mixed (and, RFC 9242
    with it, after the IKE_INTERMEDIATE exchanges)."""
    kw: dict[str, object] = {}
    if with_intermediate:
        kw = {"i_ike_proposals": (HYBRID,), "r_ike_proposals": (HYBRID,)}
    pair = ppk_pair(PPK, PPK, **kw)
    i, r = pair.initiator, pair.responder
    [ike_i, _] = drain(i)
    [ike_r, _] = drain(r)
    assert isinstance(ike_i, IKESAEstablished) and ike_i.ppk and ike_r.ppk
    assert i.keys == r.keys and i._no_ppk_keys is not None
    plain = i._no_ppk_keys
    assert i.keys.sk_d != plain.sk_d and i.keys.sk_pi != plain.sk_pi
    assert i.keys.sk_ei == plain.sk_ei  # encryption keys are not touched
    consistent(pair)


def test_ppk_optional_falls_back_with_no_ppk_auth() -> None:
    """The responder has no PPK: it checks NO_PPK_AUTH; the SA comes up without one."""
    pair = ppk_pair(PPK, None)
    [ike_i, _] = drain(pair.initiator)
    assert isinstance(ike_i, IKESAEstablished) and not ike_i.ppk
    consistent(pair)


@pytest.mark.parametrize(
    ("i_required", "r_required", "fails"),
    [(True, False, "initiator"), (False, True, "responder")],
)
def test_ppk_mandatory_refuses_without(i_required: bool, r_required: bool, fails: str) -> None:
    kw: dict[str, object] = {}
    if i_required:
        kw.update(i_ppk_required=True)
        pair = ppk_pair(PPK, None, **kw)
    else:
        kw.update(r_ppk_required=True)
        pair = ppk_pair(None, PPK, **kw)
    loser = pair.initiator if fails == "initiator" else pair.responder
    events = drain(loser)
    assert any(type(e).__name__ == "AuthenticationFailed" for e in events)
    assert loser.state is State.FAILED


def test_wrong_ppk_fails_authentication() -> None:
    pair = ppk_pair(PPK, b"another ppk of the same PPK_ID, wrong!", i_ppk_required=True)
    assert pair.responder.state is State.FAILED or pair.initiator.state is State.FAILED


HYBRID_ESP = "aes256gcm16-x25519-ke1_mlkem768"


@pytest.mark.parametrize("rekeyer", ["initiator", "responder"])
def test_rekeys_with_ike_followup_ke(rekeyer: str) -> None:
    """RFC 9370 §2.2.4: Child SA and IKE SA rekeys with additional key exchanges, each
    CREATE_CHILD_SA followed by IKE_FOLLOWUP_KE (as strongSwan 6 does)."""
    pair = Pair(
        *configs(
            i_ike_proposals=(HYBRID,),
            r_ike_proposals=(HYBRID,),
            i_esp_proposals=(HYBRID_ESP,),
            r_esp_proposals=(HYBRID_ESP,),
        )
    )
    pair.handshake()
    drain(pair.initiator), drain(pair.responder)
    a = pair.initiator if rekeyer == "initiator" else pair.responder
    first = len(pair.captured)
    a.rekey_child(a.child_sas[0].spi_in, pair.now)
    pair.run()
    a.rekey_ike(pair.now)
    pair.run()
    requests = [name for name, _ in exchanges(pair) if name == "IKE_FOLLOWUP_KE"]
    assert len(requests) == 2 and first < len(pair.captured)  # one after each CREATE_CHILD_SA
    assert a.generation == 2 and a.child_sas[0].generation == 2
    consistent(pair)
    # and a rekey collision with follow-ups still ends with one of each
    pair.initiator.rekey_child(pair.initiator.child_sas[0].spi_in, pair.now)
    pair.responder.rekey_child(pair.responder.child_sas[0].spi_in, pair.now)
    pair.run()
    assert len(pair.initiator.child_sas) == 1
    consistent(pair)


def test_unknown_followup_link_is_state_not_found() -> None:
    from ikewire.wire.models import Notify

    pair = Pair(*configs(i_ike_proposals=(HYBRID,), r_ike_proposals=(HYBRID,)))
    pair.handshake()
    i, r = pair.initiator, pair.responder
    bogus = [Notify(NotifyType.ADDITIONAL_KEY_EXCHANGE, b"nolink!!"), KE(36, b"\x00" * 1184)]
    i._send_request(ExchangeType.IKE_FOLLOWUP_KE, bogus, pair.now, "info")
    for req in pair.take(i):  # the ML-KEM-sized KE needs two fragments
        pair.deliver(req, r)
    [resp] = pair.take(r)
    assert r.keys is not None
    from ikewire.crypto.cipher import SKCipher, open_message

    [n] = open_message(resp, SKCipher.from_keys(r.keys, sender_is_initiator=False))
    assert isinstance(n, Notify) and n.notify_type == NotifyType.STATE_NOT_FOUND
    assert r.state is State.ESTABLISHED
