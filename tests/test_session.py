"""The window's model, without a window: background loading, pacing, keys' effects."""

import time

import numpy as np
import pytest

from nnviz.app.frame_budget import MAX_SPEED_BUDGET, FrameBudget
from nnviz.app.session import TrainingSession
from nnviz.errors import NnvizError
from nnviz.model.config import TrainConfig
from synthetic_data import synthetic_dataset


def _dataset(progress=None, n_train=640, n_test=200, seed=0):
    return synthetic_dataset(n_train, n_test, seed)


@pytest.fixture
def session():
    s = TrainingSession(TrainConfig(batch_size=32), load_data=_dataset)
    s.start_loading()
    s.wait_for_data(10)
    return s


def test_untrained_network_is_shown_before_data_arrives():
    s = TrainingSession(TrainConfig(), load_data=_dataset)
    assert s.status.startswith("loading") and not s.can_train
    assert s.train_frame(0.01) == 0
    frame = s.frame()
    assert frame.layer_sizes == (784, 16, 16, 10) and frame.predicted_class is None
    assert s.sample()[1] is None


def test_data_failure_keeps_the_session_alive_and_explains():
    def broken(progress):
        raise NnvizError("/data/train-images-idx3-ubyte.gz: truncated")

    s = TrainingSession(TrainConfig(), load_data=broken)
    s.start_loading()
    s.wait_for_data(10)
    assert s.status == "training unavailable: /data/train-images-idx3-ubyte.gz: truncated"
    assert s.train_frame(0.01) == 0 and s.step_batch() == 0
    assert s.status in s.current_messages()


def test_pause_and_single_steps(session):
    session.toggle_pause()
    assert session.train_frame(0.05) == 0
    before = session.trainer.batches_trained
    assert session.step_batch() == 1
    assert session.trainer.batches_trained == before + 1
    session.step_epoch()  # the rest of the epoch, over the next frames, even while paused
    assert session.finishing_epoch
    frames = 0
    while session.finishing_epoch:
        session.train_frame(0.001)
        frames += 1
    assert frames > 1 and session.paused
    assert session.trainer.epoch == 1 and session.trainer.batch_in_epoch == 0
    assert session.current_messages()[-1].startswith("epoch 1 done: test accuracy")
    assert session.train_frame(0.05) == 0  # still paused


def test_speed_levels_cap_batches_per_frame(session):
    session.change_speed(-100)
    assert session.batches_per_frame == 1
    assert session.train_frame(1.0) == 1
    session.change_speed(+2)
    assert session.train_frame(1.0) == 5
    session.toggle_max_speed()
    assert session.batches_per_frame is None


def test_learning_rate_keys(session):
    session.scale_learning_rate(1.5)
    assert session.trainer.config.learning_rate == pytest.approx(0.003)
    assert "learning rate 0.003" in session.current_messages()


def test_switching_activation_reinitialises_only_when_the_init_differs(session):
    session.train_frame(0.05)
    trained = session.trainer.network.params.copy()
    session.switch_activation("sigmoid")  # xavier suits both tanh and sigmoid: weights kept
    np.testing.assert_array_equal(trained, session.trainer.network.params)
    assert session.trainer.network.activation.name == "sigmoid"
    session.switch_activation("relu")  # He init suits ReLU: fresh weights
    assert session.trainer.config.init == "he" and session.trainer.samples_seen == 0
    assert "re-initialised" in session.current_messages()[-1]


def test_next_wrong_sample_shows_a_misclassified_digit(session):
    session.next_wrong_sample()
    image, label = session.sample()
    assert session.trainer.network.predict(image.reshape(-1) / 255.0) != label
    start = session.sample_index
    session.next_sample()
    assert session.sample_index == start + 1


def test_save_and_load_round_trip(session, tmp_path):
    session.train_frame(0.05)
    path = session.save(tmp_path)
    saved = session.trainer.network.params.copy()
    session.reset()
    assert not np.array_equal(saved, session.trainer.network.params)
    assert session.last_saved == path
    assert session.load(path)
    np.testing.assert_array_equal(saved, session.trainer.network.params)
    assert session.trainer.samples_seen == 0 and session.trainer.history == []  # a new run from these weights


def test_load_refuses_a_different_network(tmp_path):
    other = TrainingSession(TrainConfig(layers=(784, 32, 10)), load_data=_dataset)
    path = other.save(tmp_path)
    s = TrainingSession(TrainConfig(), load_data=_dataset)
    before = s.trainer.network.params.copy()
    assert not s.load(path)
    assert "could not load" in s.current_messages()[-1]
    np.testing.assert_array_equal(before, s.trainer.network.params)


def test_frame_budget_keeps_the_frame_rate():
    budget = FrameBudget(60)
    for _ in range(100):
        budget.record_draw(0.004)
    assert budget.training_seconds(False) == pytest.approx(1 / 60 * 0.85 - 0.004, abs=1e-4)
    for _ in range(200):
        budget.record_draw(0.2)  # a software renderer: the target is out of reach
    assert budget.training_seconds(False) == pytest.approx(0.05, rel=0.01)
    assert budget.training_seconds(True) == pytest.approx(1.2, rel=0.01)  # drawing stays 1/7 of the time
    budget.record_draw(0.0)
    for _ in range(200):
        budget.record_draw(0.002)  # a GPU
    assert budget.training_seconds(True) == MAX_SPEED_BUDGET


def test_training_gets_what_the_drawing_threads_own_work_leaves():
    budget = FrameBudget(30)
    for _ in range(200):
        budget.record_draw(0.03, cpu_seconds=0.01)  # 20 ms of each frame waiting for the rasteriser
    assert budget.training_seconds(False) == pytest.approx(1 / 30 * 0.85 - 0.01, abs=1e-4)
    for _ in range(200):
        budget.record_draw(0.12, cpu_seconds=0.01)  # far over: training still keeps its share of the frame
    assert budget.training_seconds(False) == pytest.approx(0.25 * 0.12, rel=0.01)


def test_a_paced_frame_trains_until_what_follows_training_would_end_it_at_its_deadline():
    from nnviz.app.frame_budget import PACED_HEADROOM

    budget = FrameBudget(30)
    for _ in range(200):
        budget.record_draw(0.03, cpu_seconds=0.01)
        budget.record_finish(0.008)  # overlays and swap took 8 ms after training
    deadline = (1 / 30) * (1 - PACED_HEADROOM)
    budget.start_frame(100.0)
    # 6 ms into the frame (events, the scene): training takes the rest up to 8 ms before the deadline,
    # whatever the drawing cost (the unpaced rule would give 1/30 * 0.85 - 0.01).
    assert budget.training_seconds(False, now=100.006) == pytest.approx(deadline - 0.006 - 0.008, abs=1e-6)
    assert budget.training_seconds(False) == pytest.approx(1 / 30 * 0.85 - 0.01, abs=1e-4)
    budget.start_frame(200.0)
    assert budget.training_seconds(False, now=200.030) == pytest.approx(0.25 * 0.03, rel=0.01)  # past it: the floor
    assert budget.training_seconds(True, now=200.006) == budget.training_seconds(True)  # max speed is not paced


def test_selection_text_counts_the_lines_the_renderer_draws():
    from nnviz.app.hud_text import selection_lines, weights_shown
    from nnviz.engine.frame import FrameSnapshot
    from nnviz.model.network import Network

    network = Network([784, 16, 16, 10])
    network.weights[0][:, 3] = np.linspace(-1, 1, 784)
    network.weights[1][3, :] = 0.05
    network.weights[1][3, :4] = 0.5
    network.weights[1][3, 4] = 0.0  # a zero weight is never drawn, whatever the threshold
    network.weights[2][:] = 0.1
    activations = network.forward(np.zeros(784))
    frame = FrameSnapshot.from_layers(network.weights, network.biases, activations)
    neuron = 784 + 3
    incoming = np.linspace(-1, 1, 784).astype(np.float32)
    assert weights_shown(frame, neuron, 0.0) == np.count_nonzero(incoming) + 15
    expected_in = int(np.count_nonzero(np.abs(incoming) >= 0.25))
    assert weights_shown(frame, neuron, 0.25) == expected_in + 4
    assert weights_shown(frame, 784 + 32, 0.0) == 16  # output neurons: incoming only
    lines = selection_lines(frame, neuron, 0.25)
    assert lines[0] == "selected   hidden 1 · neuron 3"
    assert f"weights shown {expected_in + 4}" in lines


def test_frame_carries_the_live_network_and_its_answer(session):
    frame = session.frame()
    network = session.trainer.network
    image, label = session.sample()
    np.testing.assert_array_equal(frame.weight_matrix(1), network.weights[1])
    np.testing.assert_array_equal(frame.layer_biases(2), network.biases[1])
    assert frame.true_class == label
    assert frame.predicted_class == int(network.forward(image.reshape(-1) / 255.0)[-1].argmax())
    np.testing.assert_allclose(frame.layer_activations(3), network.forward(image.reshape(-1) / 255.0)[-1], rtol=1e-6)
    session.train_frame(0.02)  # later training leaves a taken frame alone
    assert not np.array_equal(frame.weight_matrix(1), network.weights[1])


def test_reset_gives_different_fresh_weights_each_time(session):
    first = session.trainer.network.params.copy()
    session.reset()
    second = session.trainer.network.params.copy()
    session.reset()
    assert not np.array_equal(first, second)
    assert not np.array_equal(second, session.trainer.network.params)
    assert "seed" in session.current_messages()[-1]


def test_saving_twice_in_one_second_keeps_both_files(session, tmp_path):
    first = session.save(tmp_path)
    second = session.save(tmp_path)
    assert first != second and first.exists() and second.exists()
    assert session.last_saved == second


def test_batch_size_too_big_for_the_data_explains_instead_of_training():
    s = TrainingSession(TrainConfig(batch_size=5000), load_data=lambda progress: _dataset(n_train=640))
    s.start_loading()
    s.wait_for_data(10)
    assert s.status == "training unavailable: --batch-size 5000: larger than the 640 training images"
    assert s.train_frame(0.05) == 0


def test_download_progress_shows_in_the_status():
    import threading

    release = threading.Event()

    def downloading(progress):
        progress("train-images-idx3-ubyte.gz", 4_950_000, 9_900_000)
        release.wait(10)
        return _dataset()

    s = TrainingSession(TrainConfig(), load_data=downloading)
    s.start_loading()
    deadline = time.monotonic() + 10
    while "downloading" not in s.status and time.monotonic() < deadline:
        time.sleep(0.001)
    assert s.status == "downloading MNIST: train-images-idx3-ubyte.gz, 50% of 9.9 MB"
    release.set()
    s.wait_for_data(10)
    assert s.status == "ready"
