"""Coverage-guided fuzzing of :func:`ikewire.decode` with atheris (libFuzzer for Python).

The property (ikewire's decode contract, DESIGN.md): for any byte string ``data``,

* ``ikewire.decode(data)`` returns a message or raises an :class:`ikewire.IKEError`
  (in practice a :class:`ikewire.DecodeError` naming the offset and field) — any other
  exception is a bug;
* when it returns, ``ikewire.encode(msg) == data``: the codec is exact.

Run it::

    python examples/fuzz_decode.py --runs 100000            # atheris, seeded from vectors/
    python examples/fuzz_decode.py --runs 2000 --hypothesis # no atheris: Hypothesis instead
    python examples/fuzz_decode.py -- -max_total_time=600 corpus/   # libFuzzer's own flags

The seeds are the raw IKE messages under ``vectors/`` (given to libFuzzer with
``-seed_inputs``, so nothing is written there). atheris has wheels for Linux x86-64
only; elsewhere, or with ``--hypothesis``, the same property runs under Hypothesis
with ikewire's own strategies (:mod:`ikewire.testing.strategies`: generated messages,
encoded and then mutated). A failure exits non-zero with the input printed in hex.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import ModuleType

atheris: ModuleType | None
try:
    import atheris  # type: ignore[import-untyped,no-redef,unused-ignore]
except ImportError:
    atheris = None

if atheris is not None and "--hypothesis" not in sys.argv:
    # atheris's idiom: instrument ikewire's code for coverage as it is imported
    # (instrumenting everything loaded, cryptography included, takes a minute)
    with atheris.instrument_imports(include=["ikewire"]):
        import ikewire
else:
    import ikewire

SEED_DIR = Path(__file__).resolve().parent.parent / "vectors" / "rusticata-ipsec-parser"


def check(data: bytes) -> None:
    """The property for one input; AssertionError (or any non-ikewire error) is a bug."""
    try:
        msg = ikewire.decode(data)
    except ikewire.IKEError:
        return
    again = ikewire.encode(msg)
    assert again == data, f"encode(decode(x)) != x for x={data.hex()}: got {again.hex()}"


def seeds() -> list[Path]:
    """Raw IKE messages to start from (the ``.bin`` files of a vectors folder)."""
    return sorted(SEED_DIR.glob("*.bin")) if SEED_DIR.is_dir() else []


def run_atheris(runs: int, extra: list[str]) -> int:
    assert atheris is not None
    argv = [sys.argv[0], f"-runs={runs}", "-max_len=4096", *extra]
    files = seeds()
    if files and not any(a.startswith("-seed_inputs=") for a in extra):
        argv.append("-seed_inputs=" + ",".join(str(f) for f in files))
    atheris.Setup(argv, check)
    atheris.Fuzz()  # exits the process (0 when -runs is reached; 1 on a crash)
    return 0


def run_hypothesis(runs: int) -> int:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from ikewire.testing import strategies as iks

    inputs = st.one_of(iks.encoded_messages(), iks.mutated_messages(), st.binary(max_size=512))
    for path in seeds():
        inputs = inputs | iks.mutations_of(path.read_bytes())

    @settings(
        max_examples=runs,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(inputs)
    def prop(data: bytes) -> None:
        check(data)

    prop()
    print(f"fuzz_decode: {runs} Hypothesis examples passed", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10000, help="inputs to try (bounded)")
    parser.add_argument(
        "--hypothesis", action="store_true", help="use Hypothesis even if atheris is installed"
    )
    parser.add_argument("libfuzzer", nargs="*", help="extra libFuzzer flags, after --")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.hypothesis:
        return run_hypothesis(args.runs)
    if atheris is None:
        print("fuzz_decode: atheris is not installed, using Hypothesis", flush=True)
        return run_hypothesis(args.runs)
    return run_atheris(args.runs, args.libfuzzer)


if __name__ == "__main__":
    sys.exit(main())
