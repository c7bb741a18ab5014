import numpy as np
import pytest

from nnviz.model.optimizers import make_optimizer


def _run(name, steps, lr, **kw):
    rng = np.random.default_rng(0)
    params = rng.normal(size=50).astype(np.float32)
    grads = [rng.normal(size=50).astype(np.float32) for _ in range(steps)]
    optimizer = make_optimizer(name, params.size, **kw)
    out = params.copy()
    for g in grads:
        optimizer.step(out, g, lr)
    return params.astype(np.float64), grads, out


def test_sgd_is_plain_gradient_descent():
    start, grads, out = _run("sgd", 3, 0.1)
    np.testing.assert_allclose(out, start - 0.1 * np.sum(grads, axis=0), rtol=1e-5)


def test_momentum_accumulates_velocity():
    start, grads, out = _run("momentum", 4, 0.05, momentum=0.8)
    p, v = start.copy(), np.zeros_like(start)
    for g in grads:
        v = 0.8 * v - 0.05 * g
        p = p + v
    np.testing.assert_allclose(out, p, rtol=1e-5)


def test_adam_matches_kingma_and_ba():
    start, grads, out = _run("adam", 5, 0.01)
    p, m, v = start.copy(), np.zeros_like(start), np.zeros_like(start)
    for t, g in enumerate(grads, 1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        p = p - 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    np.testing.assert_allclose(out, p, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_reset_forgets_state(name):
    optimizer = make_optimizer(name, 3)
    params = np.zeros(3, np.float32)
    optimizer.step(params, np.ones(3, np.float32), 0.1)
    optimizer.reset()
    fresh = make_optimizer(name, 3)
    a, b = np.zeros(3, np.float32), np.zeros(3, np.float32)
    optimizer.step(a, np.full(3, 2, np.float32), 0.1)
    fresh.step(b, np.full(3, 2, np.float32), 0.1)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_loading_a_state_continues_exactly(name):
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=20).astype(np.float32) for _ in range(6)]
    straight, params = make_optimizer(name, 20), np.zeros(20, np.float32)
    for g in grads[:3]:
        straight.step(params, g, 0.01)
    state, resumed_params = straight.state(), params.copy()
    for g in grads[3:]:
        straight.step(params, g, 0.01)
    resumed = make_optimizer(name, 20)
    resumed.load_state(state)
    for g in grads[3:]:
        resumed.step(resumed_params, g, 0.01)
    np.testing.assert_array_equal(resumed_params, params)


def test_a_state_is_a_copy():
    optimizer = make_optimizer("adam", 4)
    state = optimizer.state()
    optimizer.step(np.zeros(4, np.float32), np.ones(4, np.float32), 0.1)
    assert not state["m"].any() and state["t"] == 0


@pytest.mark.parametrize(
    "name,state,message",
    [
        ("adam", {"velocity": np.zeros(4, np.float32)}, "adam state needs"),
        ("momentum", {"velocity": np.zeros(5, np.float32)}, r"has shape \(5,\), expected \(4,\)"),
        ("sgd", {"t": 1}, "sgd state needs"),
    ],
)
def test_a_state_of_another_optimizer_is_refused(name, state, message):
    with pytest.raises(ValueError, match=message):
        make_optimizer(name, 4).load_state(state)


def test_each_optimizer_says_what_a_fresh_start_of_it_means():
    from nnviz.model.optimizers import OPTIMIZERS

    notes = {name: cls.fresh_start for name, cls in OPTIMIZERS.items()}
    assert notes["adam"] == "Adam's moment estimates start from zero"
    assert notes["momentum"] == "its velocity starts from zero"
    assert notes["sgd"]
