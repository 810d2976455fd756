"""What only strongSwan 6.0.1 has (Debian 13, run from its debootstrap root):
IKE_INTERMEDIATE (RFC 9242) with RFC 9370 additional key exchanges, both roles. (Every
other strongSwan cell runs against 6.0.1 as well as 5.9.8: see the ``any_charon``
fixture in conftest.py.) Debian's 6.0.1 has no ML-KEM, so the
additional exchanges use the classical groups it has (``ke1_``, ``ke2_`` in strongSwan's
proposal syntax); ikewire's ML-KEM path is proven against strongSwan's own ML-KEM
captures in tests/test_connection_intermediate.py and tests/test_keys.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import Charon
from .test_strongswan import initiator_cell, responder_cell
from .test_strongswan_lifecycle import rekey_cell, simultaneous_cell

pytestmark = pytest.mark.slow

# ------------------------------------------------- IKE_INTERMEDIATE, RFC 9370 additional KEs

# charon's list-sas names only the first group (dh-group); the additional ones are read
# from the proposal it logs as selected (KE1_..., KE2_...)
ADDKE = {
    "aes256gcm16-prfsha256-x25519-ke1_ecp384": (
        "aes256gcm16",
        {"encr-alg": "AES_GCM_16", "encr-keysize": "256", "prf-alg": "PRF_HMAC_SHA2_256",
         "dh-group": "CURVE_25519"},
        {"encr-alg": "AES_GCM_16", "encr-keysize": "256"},
    ),
    "aes256-sha384-ecp256-ke1_x25519-ke2_modp3072": (
        "aes256-sha384",
        {"encr-alg": "AES_CBC", "encr-keysize": "256", "integ-alg": "HMAC_SHA2_384_192",
         "prf-alg": "PRF_HMAC_SHA2_384", "dh-group": "ECP_256"},
        {"encr-alg": "AES_CBC", "encr-keysize": "256", "integ-alg": "HMAC_SHA2_384_192"},
    ),
}  # fmt: skip


KE_NAMES = {"ecp384": "ECP_384", "x25519": "CURVE_25519", "modp3072": "MODP_3072"}


def _check_intermediate(charon: Charon, ike: str) -> None:
    """charon selected the same additional key exchanges and ran one IKE_INTERMEDIATE
    exchange for each (RFC 9370 §2.2.2)."""
    log = charon.log_text()
    assert charon.version() == "6.0.1"
    extra = [part.split("_", 1) for part in ike.split("-") if part.startswith("ke")]
    selected = re.findall(r"selected proposal: IKE:(\S+)", log)
    assert len(selected) == 1, selected
    want = "".join(f"/KE{n[2:]}_{KE_NAMES[g]}" for n, g in extra)
    assert selected[0].endswith(want), (selected, want)
    for n in range(1, len(extra) + 1):
        assert f"IKE_INTERMEDIATE request {n} [ KE ]" in log, n
    assert f"IKE_INTERMEDIATE request {len(extra) + 1} [ KE ]" not in log


@pytest.mark.parametrize("ike", list(ADDKE))
def test_v6_intermediate_ikewire_initiator(
    charon6: Charon, sockets: Any, tmp_path: Path, ike: str
) -> None:
    """ikewire initiates; IKE_SA_INIT, one IKE_INTERMEDIATE per additional key exchange,
    IKE_AUTH with the IntAuth chain; charon shows the same groups."""
    initiator_cell(charon6, sockets, tmp_path, ike, *ADDKE[ike])
    _check_intermediate(charon6, ike)


@pytest.mark.parametrize("ike", list(ADDKE))
def test_v6_intermediate_ikewire_responder(
    charon6: Charon, sockets: Any, tmp_path: Path, ike: str
) -> None:
    responder_cell(charon6, sockets, tmp_path, ike, *ADDKE[ike])
    _check_intermediate(charon6, ike)


@pytest.mark.parametrize("who", ["ikewire", "charon"])
def test_v6_rekeys_with_additional_key_exchanges(
    charon6: Charon, sockets: Any, tmp_path: Path, who: str
) -> None:
    """X25519 + ECP-384 for the IKE SA and as PFS for the Child SA: the Child SA rekey
    and the IKE SA rekey each run one key exchange in CREATE_CHILD_SA and the additional
    one in IKE_FOLLOWUP_KE (RFC 9370 §2.2.4, §2.2.5), started by ``who``."""
    conn = rekey_cell(
        charon6, sockets, tmp_path, who,
        "aes256gcm16-prfsha256-x25519-ke1_ecp384", "aes256gcm16-x25519-ke1_ecp384",
    )  # fmt: skip
    log = charon6.log_text()
    assert charon6.version() == "6.0.1"
    followups = re.findall(r"(?:parsed|generating) IKE_FOLLOWUP_KE (request|response)", log)
    # two rekeys, each one IKE_FOLLOWUP_KE exchange, seen from charon's side
    assert followups.count("request") == 2 and followups.count("response") == 2, followups
    selected = re.findall(r"selected proposal: (\S+)", log)
    assert any(p.startswith("ESP:") and p.endswith("/KE1_ECP_384") for p in selected), selected
    assert conn.generation == 2


def test_v6_simultaneous_ike_sa_rekey_with_additional_key_exchange(
    charon6: Charon, sockets: Any, tmp_path: Path
) -> None:
    """Both sides rekey an X25519 + ECP-384 IKE SA at the same moment (RFC 7296 §2.8.2,
    RFC 9370 §2.2.4): one IKE SA remains and both sides agree on it."""
    simultaneous_cell(
        charon6, sockets, tmp_path,
        "aes256gcm16-prfsha256-x25519-ke1_ecp384", "aes256gcm16-x25519-ke1_ecp384",
    )  # fmt: skip
    assert "IKE_FOLLOWUP_KE" in charon6.log_text()
