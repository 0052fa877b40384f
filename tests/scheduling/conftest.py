"""Fixtures of the scheduling model's tests: the hand-worked 4-user instance."""

import pytest

from partialopt import Block, Instance, Model, Server, User


def hand_instance(overlap: str = "sequential", B: float = 1.0e7, initial=None, alpha: float = 0.0) -> Instance:
    """A 4-user instance whose timeline is worked out by hand in the tests.

    Blocks (v = 1e10 B/s, alpha = 0): A 1e9 B -> 0.1 s, Bk 2e9 B -> 0.2 s, C 1e9 B -> 0.1 s.
    Models: m1 = {A, Bk} e = 0.05; m2 = {A, C} e = 0.05; m3 = {C} e = 0.02.
    Switch costs: none->m1 0.3, none->m2 0.2, none->m3 0.1, m1->m2 0.1 (C), m2->m1 0.2 (Bk),
    m1->m3 0.1, m3->m1 0.3, m2->m3 0, m3->m2 0.1 (A).
    Rate fixed_snr, snr = 3 -> eta = log2(4) = 2 bit/s/Hz.
    """
    server = Server(
        load_bandwidth=1e10,
        tensor_overhead=alpha,
        total_bandwidth=B,
        noise_psd=4e-21,
        rate="fixed_snr",
        overlap=overlap,
        initial_model=initial,
    )
    blocks = (Block("A", 1_000_000_000, 10), Block("Bk", 2_000_000_000, 20), Block("C", 1_000_000_000, 5))
    models = (Model("m1", ("A", "Bk"), 0.05), Model("m2", ("A", "C"), 0.05), Model("m3", ("C",), 0.02))
    users = (
        User("u0", "m1", 2e6, 0.5, snr=3.0),
        User("u1", "m2", 1e6, 0.55, snr=3.0),
        User("u2", "m3", 1e6, 0.6, snr=3.0),
        User("u3", "m1", 4e6, 0.4, snr=3.0),
    )
    return Instance(server, blocks, models, users)


@pytest.fixture(scope="session")
def hand():
    """The hand-worked instance with its defaults (frozen: shared by every test of the session)."""
    return hand_instance()


@pytest.fixture(scope="session")
def make_hand():
    """``make_hand(overlap=..., B=..., initial=..., alpha=...)``: the hand-worked instance varied."""
    return hand_instance


@pytest.fixture
def hand_dict(hand):
    """A fresh JSON dict of the hand-worked instance, for a test to edit."""
    return hand.to_dict()
