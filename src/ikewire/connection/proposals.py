"""SA proposal negotiation, state-free (RFC 7296 §2.7, §3.3; RFC 9370 §2.2.1).

The responder picks one proposal and one transform of each type from the
initiator's offer (:func:`select_proposal`); the initiator checks that the answer
is consistent with what it offered (:func:`check_selected`). Both sides use the
same transform-type rules:

* RFC 7296 §3.3.3 (mandatory types): IKE needs ENCR, PRF, INTEG and KE; ESP needs
  ENCR and ESN (INTEG and KE optional); AH needs INTEG and ESN (KE optional).
  "Negotiating an integrity algorithm is mandatory for the Encrypted payload
  format specified in this document" — but not with a combined-mode (AEAD) cipher
  (RFC 5282 §8).
* RFC 7296 §2.7: combined-mode ciphers "are not allowed to have any integrity
  algorithm other than NONE".
* RFC 7296 §3.3.2/§3.3.3: a Key Exchange method NONE (and, for ESP and AH, a KE
  type that is absent) means no key exchange. RFC 9370 §2.2.1: the Additional Key
  Exchange types (ADDKE1–7) are optional; an ADDKE type that is offered must be
  answered with one of its IDs, NONE among them if the initiator listed it, and
  the answer "MUST NOT contain duplicated algorithms ... except for the transform
  ID of NONE".

For the types whose Transform ID 0 means NONE (INTEG when optional, KE for ESP and
AH, ADDKE1–7) a type left out of a proposal and a type offering only NONE mean the
same, on either side.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal, NamedTuple, TypeAlias

from ..constants import (
    EncrId,
    KeyExchangeMethod,
    NotifyType,
    ProtocolId,
    TransformAttributeType,
    TransformType,
    to_enum,
)
from ..errors import ConfigError, ProtocolError
from ..wire.models import Proposal, Transform

__all__ = [
    "COMBINED_MODE_ENCR",
    "Prefer",
    "acceptable_ke_methods",
    "check_invalid_ke",
    "check_selected",
    "is_combined_mode",
    "ke_mismatch",
    "select_proposal",
]

#: Whose order wins when several choices are acceptable to both sides.
Prefer: TypeAlias = Literal["initiator", "responder"]

#: Encryption transforms that are combined-mode (AEAD) ciphers and so take no
#: separate integrity transform (RFC 7296 §2.7, §3.3.3; RFC 5282 §8; RFC 4543
#: for GMAC; RFC 5529 Camellia-CCM; RFC 7634; RFC 8750 IIV; RFC 9227 MGM).
COMBINED_MODE_ENCR: Final[frozenset[int]] = frozenset(
    {
        EncrId.ENCR_AES_CCM_8,
        EncrId.ENCR_AES_CCM_12,
        EncrId.ENCR_AES_CCM_16,
        EncrId.ENCR_AES_GCM_8,
        EncrId.ENCR_AES_GCM_12,
        EncrId.ENCR_AES_GCM_16,
        EncrId.ENCR_NULL_AUTH_AES_GMAC,
        EncrId.ENCR_CAMELLIA_CCM_8,
        EncrId.ENCR_CAMELLIA_CCM_12,
        EncrId.ENCR_CAMELLIA_CCM_16,
        EncrId.ENCR_CHACHA20_POLY1305,
        EncrId.ENCR_AES_CCM_8_IIV,
        EncrId.ENCR_AES_GCM_16_IIV,
        EncrId.ENCR_CHACHA20_POLY1305_IIV,
        EncrId.ENCR_KUZNYECHIK_MGM_KTREE,
        EncrId.ENCR_MAGMA_MGM_KTREE,
        EncrId.ENCR_KUZNYECHIK_MGM_MAC_KTREE,
        EncrId.ENCR_MAGMA_MGM_MAC_KTREE,
    }
)

_NONE: Final = 0  # Transform ID NONE of INTEG, KE and ADDKE1-7 (RFC 7296 §3.3.2, RFC 9370)
_ENCR: Final = int(TransformType.ENCR)
_PRF: Final = int(TransformType.PRF)
_INTEG: Final = int(TransformType.INTEG)
_KE: Final = int(TransformType.KE)
_ESN: Final = int(TransformType.ESN)
_IKE: Final = int(ProtocolId.IKE)
_ESP: Final = int(ProtocolId.ESP)
_AH: Final = int(ProtocolId.AH)
_ADDKE: Final = frozenset(range(int(TransformType.ADDKE1), int(TransformType.ADDKE7) + 1))

#: RFC 7296 §3.3.3, "Mandatory Types" per protocol (INTEG for IKE and AH is checked
#: through the rules below, as a combined-mode cipher waives it for IKE).
_MANDATORY: Final[dict[int, frozenset[int]]] = {
    ProtocolId.IKE: frozenset({_ENCR, _PRF, _KE}),
    ProtocolId.ESP: frozenset({_ENCR, _ESN}),
    ProtocolId.AH: frozenset({_INTEG, _ESN}),
}

#: Upper bound on the choices tried for the ADDKE types (RFC 9370 §2.2.1 forbids
#: duplicates, which makes the choice a small search); every loop here is bounded.
_ADDKE_SEARCH_BUDGET: Final = 4096

# How NONE (Transform ID 0) is treated for one transform type, given the protocol
# and whether the chosen ENCR is a combined-mode cipher.
_PLAIN: Final = 0  # no NONE semantics: the type is on both sides or on neither
_REAL: Final = 1  # an algorithm is required; NONE is never acceptable
_OPTIONAL: Final = 2  # NONE (or the type left out) is a valid choice
_NONE_ONLY: Final = 3  # only NONE (or the type left out) is valid

_Rule: TypeAlias = int
_AttrKey: TypeAlias = tuple[tuple[int, int | bytes], ...]
#: A transform's identity for negotiation: type, ID, and its attributes in a
#: canonical order (RFC 9370 §2.2.1: "the order of the attributes does not affect
#: the equality of the transform").
_Key: TypeAlias = tuple[int, int, _AttrKey]
#: A choice for one type: the key and the offered transform it came from (None when
#: the offer left the type out and NONE stands for it).
_Option: TypeAlias = tuple[_Key, Transform | None]


def is_combined_mode(encr_id: int) -> bool:
    """True for a combined-mode (AEAD) encryption transform (RFC 7296 §2.7, RFC 5282 §8)."""
    return encr_id in COMBINED_MODE_ENCR


def _attr_order(pair: tuple[int, int | bytes]) -> tuple[int, str]:
    return pair[0], repr(pair[1])


def _key(t: Transform) -> _Key:
    attrs = t.attributes
    if not attrs:
        return int(t.type), int(t.id), ()
    if len(attrs) == 1:
        a = attrs[0]
        return int(t.type), int(t.id), ((int(a.type), a.value),)
    pairs = sorted(((int(a.type), a.value) for a in attrs), key=_attr_order)
    return int(t.type), int(t.id), tuple(pairs)


def _none_key(ttype: int) -> _Key:
    return ttype, _NONE, ()


def _understood(t: Transform) -> bool:
    """RFC 7296 §3.3.6: a transform "that contains a Transform Attribute it does not
    understand" is unacceptable. The only IKEv2 attribute is Key Length (§3.3.5), in
    TV format, at most once."""
    attrs = t.attributes
    if not attrs:
        return True
    if len(attrs) > 1:
        return False
    attr = attrs[0]
    return attr.type == TransformAttributeType.KEY_LENGTH and isinstance(attr.value, int)


def _rule(ttype: int, protocol: int, combined: bool) -> _Rule:
    if ttype == _INTEG:
        if combined:
            return _NONE_ONLY  # RFC 7296 §2.7
        # RFC 7296 §3.3.3: mandatory for IKE (non-AEAD) and AH, optional for ESP.
        return _REAL if protocol in (_IKE, _AH) else _OPTIONAL
    if ttype == _KE:
        # IKE_SA_INIT always performs the Transform Type 4 key exchange (RFC 7296 §1.2,
        # RFC 9370 §2.2.1); for a Child SA it is optional PFS (RFC 7296 §3.3.3, §1.3.1).
        return _REAL if protocol == _IKE else _OPTIONAL
    if ttype in _ADDKE:
        return _OPTIONAL  # RFC 9370 §2.2.1
    return _PLAIN


def _by_type(transforms: Sequence[Transform]) -> dict[int, list[Transform]]:
    out: dict[int, list[Transform]] = {}
    for t in transforms:
        ttype = int(t.type)
        ts = out.get(ttype)
        if ts is None:
            out[ttype] = [t]
        else:
            ts.append(t)
    return out


class _Ours(NamedTuple):
    """One of our proposals, prepared once for matching and checking."""

    protocol: int
    #: Per transform type, in the order the types first appear: the keys of our
    #: transforms of that type mapped to their first position in our order.
    rank: dict[int, dict[_Key, int]]


class _Offer(NamedTuple):
    """An offered proposal, prepared once per call."""

    #: Per transform type present, in order of first appearance: the (key, transform)
    #: of each transform of that type we understand, in offered order (RFC 7296 §3.3.6).
    options: dict[int, list[_Option]]


#: Prepared forms of our proposals, keyed by ``id()``; each entry holds the proposal
#: itself, so the id cannot be reused while the entry lives. Configured proposal
#: tuples are parsed once and shared by every connection (``config.as_proposals``).
_OURS_CACHE: dict[int, tuple[Proposal, _Ours]] = {}
_OURS_CACHE_SIZE: Final = 256


def immutable_proposal(p: Proposal) -> bool:
    """Whether ``p`` cannot change after it is prepared (tuples all the way down)."""
    if not isinstance(p, tuple) or type(p.transforms) is not tuple:
        return False
    for t in p.transforms:
        if not isinstance(t, tuple) or type(t.attributes) is not tuple:
            return False
        for a in t.attributes:
            if not isinstance(a, tuple) or not isinstance(a.value, (int, bytes)):
                return False
    return True


def _prepare_ours(p: Proposal) -> _Ours:
    entry = _OURS_CACHE.get(id(p))
    if entry is not None and entry[0] is p:
        return entry[1]
    rank: dict[int, dict[_Key, int]] = {}
    for t in p.transforms:
        key = _key(t)
        keys = rank.get(key[0])
        if keys is None:
            rank[key[0]] = {key: 0}
        elif key not in keys:
            keys[key] = len(keys)
    ours = _Ours(int(p.protocol_id), rank)
    if immutable_proposal(p):
        if len(_OURS_CACHE) >= _OURS_CACHE_SIZE:
            _OURS_CACHE.clear()
        _OURS_CACHE[id(p)] = (p, ours)
    return ours


def _prepare_offer(p: Proposal) -> _Offer:
    """The offered proposal's understood transforms by type, keyed (as ``_key`` and
    ``_understood``, inlined: this runs on every offer received)."""
    options: dict[int, list[_Option]] = {}
    for t in p.transforms:
        ttype = int(t.type)
        found = options.get(ttype)
        if found is None:
            found = options[ttype] = []
        attrs = t.attributes
        if not attrs:
            found.append(((ttype, int(t.id), ()), t))
        elif len(attrs) == 1:
            a = attrs[0]
            if a.type == TransformAttributeType.KEY_LENGTH and isinstance(a.value, int):
                found.append(((ttype, int(t.id), ((int(a.type), a.value),)), t))
    return _Offer(options)


def _options(
    ttype: int,
    rule: _Rule,
    offered_opts: list[_Option] | None,
    rank: dict[_Key, int] | None,
    prefer: Prefer,
) -> list[_Option] | None:
    """The choices for one type acceptable to both sides, best first; None if the
    type cannot be answered at all. ``offered_opts`` are the understood offered
    transforms of the type (None: the type was left out), ``rank`` our transforms of
    the type (None: we left it out)."""
    none = (ttype, _NONE, ())
    if rule == _NONE_ONLY or (rule == _OPTIONAL and rank is None):
        # Whoever offers a combined-mode cipher accepts INTEG NONE with it, whatever
        # integrity algorithms its proposal lists for its other ciphers; a NONE-able
        # type we left out can only be answered with NONE.
        if offered_opts is None:
            return [(none, None)]
        return [o for o in offered_opts if o[0] == none]
    if rank is None:
        return None
    if offered_opts is None:
        if rule != _OPTIONAL:
            return None
        return [(none, None)] if none in rank else []
    if rule == _REAL:
        matches = [o for o in offered_opts if o[0][1] != _NONE and o[0] in rank]
    else:
        matches = [o for o in offered_opts if o[0] in rank]
    if prefer == "responder" and len(matches) > 1:
        matches.sort(key=lambda o: rank[o[0]])  # stable: offer order breaks ties
    return matches


def _choose_addke(choices: list[list[_Option]]) -> list[_Option] | None:
    """One option per ADDKE type, no algorithm twice except NONE (RFC 9370 §2.2.1),
    taking the best option of each type that still allows a complete answer."""
    picked: list[_Option] = []
    budget = _ADDKE_SEARCH_BUDGET

    def search(i: int, used: frozenset[tuple[int, _AttrKey]]) -> bool:
        nonlocal budget
        if i == len(choices):
            return True
        for option in choices[i]:
            budget -= 1
            if budget < 0:
                return False
            _, tid, attrs = option[0]
            algorithm = (tid, attrs)
            if tid != _NONE and algorithm in used:
                continue
            picked.append(option)
            if search(i + 1, (used | {algorithm}) if tid != _NONE else used):
                return True
            picked.pop()
        return False

    return picked if search(0, frozenset()) else None


def _match(
    offered: Proposal,
    offer: _Offer,
    ours: _Ours,
    prefer: Prefer,
    ke_group: int | None,
) -> Proposal | None:
    """The answer to ``offered`` (prepared as ``offer``) within ``ours``, or None."""
    protocol = ours.protocol
    off = offer.options
    mine = ours.rank
    # RFC 7296 §3.3.6: "a proposal that is missing a mandatory Transform Type"
    # is unacceptable.
    mandatory = _MANDATORY.get(protocol)
    if mandatory is not None and not mandatory <= off.keys():
        return None
    if (_ENCR in off) != (_ENCR in mine):
        return None
    if _ENCR in off:
        encr_choices: list[_Option | None] = list(
            _options(_ENCR, _PLAIN, off[_ENCR], mine[_ENCR], prefer) or ()
        )
    else:
        encr_choices = [None]
    present = off.keys() | mine.keys()
    if protocol == _IKE:
        present.add(_INTEG)  # needed unless the cipher is combined-mode (RFC 7296 §3.3.3)
    present.discard(_ENCR)
    types = sorted(present)
    for encr in encr_choices:
        combined = encr is not None and encr[0][1] in COMBINED_MODE_ENCR
        chosen: dict[int, _Option] = {} if encr is None else {_ENCR: encr}
        addke: list[list[_Option]] = []
        for ttype in types:
            rule = _rule(ttype, protocol, combined)
            opts = _options(ttype, rule, off.get(ttype), mine.get(ttype), prefer)
            if opts and ttype == _INTEG and _null_esp(protocol, encr):
                # ESP with ENCR_NULL must take a real integrity algorithm (RFC 4303 §3.2):
                # skip INTEG NONE here rather than reject the proposal after choosing it.
                opts = [o for o in opts if o[0][1] != _NONE]
            if not opts:
                break
            if ttype in _ADDKE:
                addke.append(opts)
                continue
            if ttype == _KE and ke_group is not None and len(opts) > 1:
                # RFC 7296 §3.3.6: the proposal is chosen first; within it, the group
                # the initiator guessed is the one to take when it is acceptable.
                opts = sorted(opts, key=lambda o: o[0][1] != ke_group)
            chosen[ttype] = opts[0]
        else:
            if addke:
                picked = _choose_addke(addke)
                if picked is None:
                    continue
                for option in picked:
                    chosen[option[0][0]] = option
            if not _esp_protected(protocol, chosen):
                continue
            return _answer(offered, chosen)
    return None


def _null_esp(protocol: int, encr: _Option | None) -> bool:
    """ESP whose chosen cipher is ENCR_NULL (RFC 4303 §3.2)."""
    return protocol == ProtocolId.ESP and encr is not None and encr[0][1] == EncrId.ENCR_NULL


def _esp_protected(protocol: int, chosen: dict[int, _Option]) -> bool:
    """RFC 4303 §3.2 (via RFC 7296 §3.3.3): ESP with ENCR_NULL needs an integrity
    algorithm — confidentiality and integrity may not both be NONE."""
    if protocol != ProtocolId.ESP or _ENCR not in chosen:
        return True
    encr_id = chosen[_ENCR][0][1]
    if encr_id != EncrId.ENCR_NULL:
        return True
    integ = chosen.get(_INTEG)
    return integ is not None and integ[0][1] != _NONE


def _answer(offered: Proposal, chosen: dict[int, _Option]) -> Proposal:
    """The offered proposal cut down to the chosen transforms, in the offered order,
    attributes unmodified (RFC 7296 §3.3.6)."""
    wanted = {id(t) for _, t in chosen.values() if t is not None}
    seen: set[int] = set()
    kept: list[Transform] = []
    for t in offered.transforms:
        if id(t) in wanted and int(t.type) not in seen:
            seen.add(int(t.type))
            kept.append(t)
    return Proposal(offered.number, offered.protocol_id, offered.spi, tuple(kept))


def _check_prefer(prefer: str) -> None:
    if prefer not in ("initiator", "responder"):
        raise ConfigError(f"prefer must be 'initiator' or 'responder', not {prefer!r}")


def select_proposal(
    offered: Sequence[Proposal],
    acceptable: Sequence[Proposal],
    *,
    prefer: Prefer = "initiator",
    ke_group: int | None = None,
) -> Proposal:
    """The responder's choice of one proposal from the initiator's offer (RFC 7296 §2.7).

    Walks the offered proposals in the initiator's order (with ``prefer="responder"``:
    our ``acceptable`` proposals in our order, each against every offered one) and
    answers with the first that matches one of our proposals of the same protocol:
    one transform of each type, the first offered transform we accept (ID and
    attributes equal, so the Key Length must match exactly, RFC 7296 §3.3.5) — or the
    first in our order with ``prefer="responder"``.

    Per RFC 7296 §3.3.6, unknown transforms (an ID or attribute we do not have) are
    skipped and the other transforms of the type still count; a proposal with a
    transform type we do not use, or missing a mandatory type, is skipped and the
    other proposals still count.

    ``ke_group`` is the group of the initiator's KE payload: the proposal is chosen
    without regard to it, but within the chosen proposal that group is preferred
    over the other acceptable ones (RFC 7296 §3.3.6: the initiator "SHOULD pick the
    one the responder is most likely to accept"). See :func:`ke_mismatch`.

    The answer keeps the offered proposal's number and SPI (put the responder's
    own SPI in with ``._replace(spi=...)`` for ESP and AH, RFC 7296 §3.3.1) and
    holds exactly one transform of each offered type, in the offered order, with
    its attributes unmodified (§3.3.6); a type the offer left out is not added.

    Raises :class:`ProtocolError` with ``notify=NO_PROPOSAL_CHOSEN`` (RFC 7296 §2.7,
    §3.10.1) when nothing matches.
    """
    _check_prefer(prefer)
    if prefer == "initiator":
        pairs = ((o, a) for o in offered for a in acceptable)
    else:
        pairs = ((o, a) for a in acceptable for o in offered)
    # Each offered proposal is prepared once per call, each of ours once per process.
    offers: dict[int, tuple[Proposal, _Offer]] = {}
    for o, a in pairs:
        ours = _prepare_ours(a)
        if int(o.protocol_id) != ours.protocol:
            continue
        entry = offers.get(id(o))
        if entry is None or entry[0] is not o:
            entry = offers[id(o)] = (o, _prepare_offer(o))
        answer = _match(o, entry[1], ours, prefer, ke_group)
        if answer is not None:
            return answer
    raise ProtocolError(
        "none of the proposed crypto suites is acceptable (RFC 7296 §2.7)",
        notify=NotifyType.NO_PROPOSAL_CHOSEN,
    )


def _inconsistency(ours: _Ours, selected: Proposal) -> str | None:
    """Why ``selected`` is not a valid answer to our proposal (prepared as ``ours``),
    or None if it is."""
    protocol = ours.protocol
    sel = _by_type(selected.transforms)
    mine = ours.rank
    for ttype, ts in sel.items():
        if len(ts) > 1:
            return f"{len(ts)} transforms of type {ttype}, not one (RFC 7296 §2.7)"
    encr = sel.get(_ENCR)
    combined = encr is not None and encr[0].id in COMBINED_MODE_ENCR
    for ttype, (t,) in sel.items():
        rule = _rule(ttype, protocol, combined)
        none = int(t.id) == _NONE
        if rule == _NONE_ONLY and none:
            pass  # INTEG NONE with a combined-mode cipher we offered (RFC 7296 §2.7)
        elif ttype in mine:
            if _key(t) not in mine[ttype]:
                return f"transform {_key(t)} was not offered"
        elif not (none and rule == _OPTIONAL):
            return f"transform type {ttype} was not offered"
        if rule == _REAL and none:
            return f"NONE for transform type {ttype}, which needs an algorithm"
        if rule == _NONE_ONLY and not none:
            return "an integrity algorithm with a combined-mode cipher (RFC 7296 §2.7)"
    for ttype, keys in mine.items():
        if ttype in sel:
            continue
        rule = _rule(ttype, protocol, combined)
        if rule == _NONE_ONLY or (rule == _OPTIONAL and (ttype, _NONE, ()) in keys):
            continue
        return f"no transform of the offered type {ttype} (RFC 7296 §2.7)"
    mandatory = _MANDATORY.get(protocol)
    if mandatory is not None and not mandatory <= sel.keys():
        missing = mandatory - sel.keys()
        return f"mandatory transform types {sorted(missing)} missing (RFC 7296 §3.3.3)"
    if protocol == _IKE and not combined and _INTEG not in sel:
        return "no integrity algorithm for a non-AEAD cipher (RFC 7296 §3.3.3)"
    if not _ADDKE.isdisjoint(sel):
        addke = [(int(t.id), _key(t)[2]) for ttype, (t,) in sel.items() if ttype in _ADDKE]
        real = [a for a in addke if a[0] != _NONE]
        if len(set(real)) != len(real):
            return "a duplicated additional key exchange (RFC 9370 §2.2.1)"
    if protocol == _ESP and _ENCR in sel:
        chosen: dict[int, _Option] = {ttype: (_key(t), t) for ttype, (t,) in sel.items()}
        if not _esp_protected(protocol, chosen):
            return "ESP with ENCR_NULL and no integrity (RFC 4303 §3.2)"
    return None


def check_selected(offered: Sequence[Proposal], selected: Proposal | Sequence[Proposal]) -> None:
    """The initiator's check of the responder's choice (RFC 7296 §3.3.6, §2.7).

    RFC 7296 §3.3.6: "The initiator of an exchange MUST check that the accepted offer
    is consistent with one of its proposals, and if not MUST terminate the
    exchange." ``selected`` is the answered proposal (or the answered SA's list of
    proposals, which must hold exactly one: "The responder MUST accept a single
    proposal", §2.7). It must carry the number of one of ours (§3.3.1) and its
    protocol, exactly one transform of each type we offered, each one we offered
    with its attributes unmodified, and obey the same type rules as
    :func:`select_proposal`. Leniency kept for interoperability: a type we offered
    only NONE for may be left out, and NONE may be answered for a NONE-able type we
    left out (the two mean the same).

    RFC 7296 names no notification for this (the initiator cannot answer a
    response); the :class:`ProtocolError` carries INVALID_SYNTAX, the catch-all of
    §3.10.1 for a value out of range, and the exchange is to be abandoned.
    """
    if not isinstance(selected, Proposal):
        if len(selected) != 1:
            raise ProtocolError(
                f"the responder accepted {len(selected)} proposals, not one (RFC 7296 §2.7)",
                notify=NotifyType.INVALID_SYNTAX,
            )
        selected = selected[0]
    candidates = [
        p
        for p in offered
        if p.number == selected.number and int(p.protocol_id) == int(selected.protocol_id)
    ]
    if not candidates:
        raise ProtocolError(
            f"the accepted proposal #{selected.number} (protocol {int(selected.protocol_id)}) "
            "matches none we offered (RFC 7296 §3.3.1, §3.3.6)",
            notify=NotifyType.INVALID_SYNTAX,
        )
    reason = ""
    for p in candidates:
        why = _inconsistency(_prepare_ours(p), selected)
        if why is None:
            return
        reason = reason or why
    raise ProtocolError(
        f"the accepted proposal is not consistent with ours: {reason} (RFC 7296 §3.3.6)",
        notify=NotifyType.INVALID_SYNTAX,
    )


def acceptable_ke_methods(
    selected_or_offer: Proposal | Sequence[Proposal],
) -> tuple[KeyExchangeMethod | int, ...]:
    """The Key Exchange methods (Transform Type 4) of a proposal or an offer, in order,
    each once, NONE included if listed (RFC 7296 §3.3.2).

    The initiator sends its KE payload for the first non-NONE one of its offer and,
    after INVALID_KE_PAYLOAD, retries with the group asked for if it is in this list
    (RFC 7296 §3.3.6; see :func:`check_invalid_ke`).
    """
    proposals = (
        (selected_or_offer,) if isinstance(selected_or_offer, Proposal) else selected_or_offer
    )
    seen: dict[int, KeyExchangeMethod | int] = {}
    for p in proposals:
        for t in p.transforms:
            if t.type == _KE and int(t.id) not in seen:
                seen[int(t.id)] = to_enum(KeyExchangeMethod, int(t.id))
    return tuple(seen.values())


def ke_mismatch(
    offered_proposals: Sequence[Proposal],
    ke_group_sent: int | None,
    acceptable: Sequence[Proposal],
    *,
    prefer: Prefer = "initiator",
) -> KeyExchangeMethod | int | None:
    """The group a responder asks for in INVALID_KE_PAYLOAD, or None if the KE payload
    received will do (RFC 7296 §1.3, §3.3.6, §3.10.1).

    RFC 7296 §3.3.6 (IKE_SA_INIT): "If the guess turns out to be wrong, the responder
    will indicate the correct group in the response"; §1.3 (CREATE_CHILD_SA): "If the
    responder selects a proposal using a different Diffie-Hellman group (other than
    NONE), the responder MUST reject the request and indicate its preferred
    Diffie-Hellman group in the INVALID_KE_PAYLOAD Notify payload." The proposal is
    selected as :func:`select_proposal` does,
    with the received group preferred inside the chosen proposal. ``ke_group_sent``
    is None when the request carried no KE payload; a chosen group other than NONE
    then has to be asked for too. When NONE is chosen any KE payload is ignored
    (§3.3.6), so the answer is None.

    Raises :class:`ProtocolError` (NO_PROPOSAL_CHOSEN) when no proposal is acceptable.
    """
    answer = select_proposal(offered_proposals, acceptable, prefer=prefer, ke_group=ke_group_sent)
    chosen = next((int(t.id) for t in answer.transforms if t.type == _KE), _NONE)
    if chosen in (_NONE, ke_group_sent):
        return None
    return to_enum(KeyExchangeMethod, chosen)


def check_invalid_ke(
    offered: Sequence[Proposal], requested: int, *, sent: int | None = None
) -> KeyExchangeMethod | int:
    """The initiator's check of the group an INVALID_KE_PAYLOAD asks for (RFC 7296
    §3.3.6, §3.10.1); returns it.

    RFC 7296 §3.3.6: "the responder will indicate the correct group in the response
    and the initiator SHOULD pick an element of that group for its KE value when
    retrying the first message. It SHOULD, however, continue to propose its full
    supported set of groups". The correct group is one of our proposals'; a group we
    did not offer, NONE, or the very group we sent cannot be the answer to our
    request, and retrying with it would loop or downgrade. Raises
    :class:`ProtocolError` (INVALID_SYNTAX).
    """
    methods = acceptable_ke_methods(offered)
    if requested in (_NONE, sent) or requested not in methods:
        raise ProtocolError(
            f"INVALID_KE_PAYLOAD asks for group {requested}, which is not a group we "
            "offered and did not send (RFC 7296 §3.3.6)",
            notify=NotifyType.INVALID_SYNTAX,
        )
    return to_enum(KeyExchangeMethod, requested)
