"""A whole training run, kept as snapshots to scrub, replay, and resume from.

Recording policy: a snapshot after every batch for the first
``dense_batches`` batches (the network changes most then), then at a
spacing that grows with the run (the next one at 5% more batches), so a
long run costs few snapshots. Whenever the snapshots would hold more than
``cap_bytes``, the densest part is thinned: the snapshot whose removal
leaves the smallest gap goes, one at a time, which drops every other one
of an evenly spaced stretch. The first and the latest always stay.

Snapshots of a live run hold the trainer's full state but its loss/accuracy
points, which the history keeps once for all of them (state_at puts them
back), so resuming from one trains on exactly as the run did; a snapshot
read from a run file holds the parameters only (nnviz.model.run_io).
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from nnviz.model.config import TrainConfig
from nnviz.model.trainer import MAX_HISTORY_POINTS, HistoryPoint, Trainer, TrainerState, thin_points

#: After the dense start, the next snapshot comes at this many times the latest one's batch.
GROWTH = 1.05
#: What a snapshot costs besides its arrays' data: the state and snapshot objects, array headers,
#: RNG state, config, optimiser mapping (tracemalloc: 1.3-1.7 KB, rounded up).
OBJECT_BYTES = 2048
#: A loss/accuracy point of the run (tracemalloc: 217 bytes with the trainer's list's reference), and this
#: history's own reference to it: up to 2.3 MB at MAX_HISTORY_POINTS.
POINT_BYTES = 232


#: Memory a run's history may hold unless told otherwise (--history-mb).
DEFAULT_CAP_MB = 256


@dataclass(frozen=True, eq=False)  # field-wise == would compare whole arrays
class Snapshot:
    batches: int  # trainer.batches_trained when taken
    samples_seen: int
    state: TrainerState | None  # the full state but its points (resume with RunHistory.state_at); None from a run file
    params: np.ndarray  # flat float32 parameters, read-only; state.params itself when there is a state


class RunHistory:
    """Snapshots of one run in increasing batch order, within a memory cap; and the run's loss/accuracy points.

    Training on from an earlier snapshot's state (after Trainer.restore)
    makes a new future: the snapshots after that point are dropped at the
    first step, as truncate_after would. A trainer's reset() or
    load_parameters() starts a new run, and the recording over with it; so
    does attach(). (A state of another run restored into the trainer needs
    attach() too: nothing here can tell it apart.) Setting the trainer's
    history_recorder to None, or attaching another history, stops recording.

    Snapshot indices shift when the history is thinned or cut: hold on to
    batch numbers (index_at) across training, not indices.
    """

    def __init__(self, cap_bytes: int = DEFAULT_CAP_MB * 2**20, dense_batches: int = 200):
        self.cap_bytes = int(cap_bytes)
        self.dense_batches = int(dense_batches)
        self._trainer: Trainer | None = None
        self._config: TrainConfig | None = None
        self._clear()

    def _clear(self) -> None:
        self._snapshots: list[Snapshot] = []
        self._batches: list[int] = []  # the snapshots' batch numbers, for bisect
        self._points: list[HistoryPoint] = []
        self._nbytes = 0
        self._order_users: dict[int, int] = {}  # id(order array) -> snapshots holding it: counted once
        # after_step records when latest < batch < next is false: past the due batch, or gone back.
        self._latest = -1
        self._next_at = 0
        # The recorded trainer's batch when truncate_after ran: until it moves (restored, say), its newer
        # points are the dropped future, not to be taken back.
        self._truncated_at: int | None = None

    @classmethod
    def from_snapshots(cls, config: TrainConfig, snapshots: list[Snapshot], points: list[HistoryPoint]) -> "RunHistory":
        """A finished run (e.g. read from a file): nothing is recorded into it; the cap is what it holds."""
        history = cls()
        history._config = config
        for snapshot in snapshots:
            if history._batches and snapshot.batches <= history._batches[-1]:
                raise ValueError(f"snapshot at batch {snapshot.batches} after one at batch {history._batches[-1]}")
            history._add(snapshot)
        history._points = list(points)
        while len(history._points) > MAX_HISTORY_POINTS:  # a file's points, as many as a live run keeps
            thin_points(history._points)
        history.cap_bytes = max(history.cap_bytes, history.nbytes)
        return history

    # ------------------------------------------------------------ recording
    def attach(self, trainer: Trainer) -> None:
        """Record ``trainer``'s run from where it is now (what this history held is dropped).

        ValueError if the cap cannot hold the first and the latest snapshot
        of this network (each may be of another epoch, with its own order).
        """
        needed = 2 * _largest_snapshot_bytes(trainer) + POINT_BYTES * trainer.max_history_points
        if needed > self.cap_bytes:
            raise ValueError(f"a cap of {self.cap_bytes / 2**20:.3g} MB is too small: the first and the latest "
                             f"snapshot of this run and its loss/accuracy points need {needed / 2**20:.3g} MB")
        self._clear()
        self._trainer = trainer
        trainer.history_recorder = self
        self._record(trainer)

    def after_step(self, trainer: Trainer) -> None:
        """Called by the trainer after each optimiser step; records when a snapshot is due."""
        if self._latest < trainer.batches_trained < self._next_at:
            return  # the common case, kept to one comparison
        self._record(trainer)

    def _record(self, trainer: Trainer) -> None:
        batch = trainer.batches_trained
        self._truncated_at = None  # the trainer has moved on since (attach, or a step)
        if batch <= self._latest:  # trained on from an earlier state: the recorded future did not happen
            self._drop_after(bisect.bisect_left(self._batches, batch) - 1)
        self._next_at = self._due_after(batch)
        self._sync_points(trainer)
        if not np.isfinite(trainer.network.params).all():
            return  # a diverged network: nothing to look at, and a run file cannot hold it
        # Without its points: a state holding the points of its day kept every point the trainer thinned away
        # since alive, uncounted, for as long as the state stayed (8 MB an hour at full speed).
        state = trainer.snapshot(points=False)
        self._add(Snapshot(state.batches_trained, state.samples_seen, state, state.params))
        self._thin()

    def _due_after(self, batch: int) -> int:
        if batch < self.dense_batches:
            return batch + 1
        return max(batch + 1, math.ceil(batch * GROWTH))

    def _add(self, snapshot: Snapshot) -> None:
        self._snapshots.append(snapshot)
        self._batches.append(snapshot.batches)
        self._latest = snapshot.batches
        self._nbytes += self._count(snapshot, +1)

    def _remove(self, index: int) -> None:
        snapshot = self._snapshots.pop(index)
        del self._batches[index]
        self._nbytes -= self._count(snapshot, -1)

    def _count(self, snapshot: Snapshot, change: int) -> int:
        """The bytes ``snapshot`` adds (change +1) or frees (-1): its order only when it is the order's only holder."""
        state = snapshot.state
        if state is None:
            return snapshot.params.nbytes + OBJECT_BYTES
        key = id(state.order)  # stable: the array lives as long as a snapshot holds it
        holders_before = self._order_users.get(key, 0)
        holders = holders_before + change
        if holders:
            self._order_users[key] = holders
        else:
            del self._order_users[key]
        alone = max(holders, holders_before) == 1
        return _state_bytes(state) + (state.order.nbytes if alone else 0)

    def _thin(self) -> None:
        while self._nbytes + self._points_room() > self.cap_bytes and len(self._snapshots) > 2:
            batches = np.array(self._batches)
            gaps = batches[2:] - batches[:-2]  # the gap each interior snapshot's removal leaves
            self._remove(int(np.argmin(gaps)) + 1)  # the first of the smallest: the earliest dense stretch

    def _sync_points(self, trainer: Trainer) -> None:
        """Take the trainer's points when its latest is newer than ours.

        For their shared past both lists hold the same point objects (states
        carry them), but the trainer thins its list in a long run
        (nnviz.model.trainer.thin_points): so ours becomes a copy of it, made
        only when a point was added (a few times a second at most). Ours are
        newer when the trainer was sent back to an earlier state: the recorded
        future stands until it trains on from there, and _record drops it.
        """
        ours, theirs = self._points, trainer.history
        if trainer.batches_trained == self._truncated_at or not theirs:
            return
        if not ours or theirs[-1].samples_seen > ours[-1].samples_seen:
            self._points = list(theirs)

    # ------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self._snapshots)

    def __getitem__(self, index: int) -> Snapshot:
        return self._snapshots[index]

    def __iter__(self):
        return iter(self._snapshots)

    @property
    def batches(self) -> np.ndarray:
        """Each snapshot's batch number, increasing (int64)."""
        return np.array(self._batches, dtype=np.int64)

    def index_at(self, batch: int) -> int:
        """The last snapshot at or before ``batch``; 0 if it is before the first. IndexError when empty."""
        if not self._snapshots:
            raise IndexError("the history holds no snapshots")
        return max(bisect.bisect_right(self._batches, batch) - 1, 0)

    @property
    def nbytes(self) -> int:
        """Memory the history holds, within cap_bytes: the snapshots' arrays (an order shared by an epoch's
        snapshots once) and objects, and the run's loss/accuracy points."""
        return self._nbytes + POINT_BYTES * len(self.points)

    def _points_room(self) -> int:
        """Room kept for the points: as many as the trainer may hold, since they come between snapshots."""
        most = self._trainer.max_history_points if self._trainer is not None else len(self._points)
        return POINT_BYTES * max(most, len(self._points))

    @property
    def points(self) -> list[HistoryPoint]:
        """The run's loss/accuracy points, up to date with the recorded trainer's."""
        if self._trainer is not None and self._trainer.history_recorder is self:  # still recording it
            self._sync_points(self._trainer)
        return self._points

    @property
    def config(self) -> TrainConfig | None:
        """The run's config: the latest snapshot's (hyperparameters may change live), or the run file's."""
        latest = self._snapshots[-1] if self._snapshots else None
        if latest is not None and latest.state is not None:
            return latest.state.config
        return self._config

    # ------------------------------------------------------------ resuming
    def state_at(self, index: int) -> TrainerState:
        """Snapshot ``index``'s state with the run's points up to it: for Trainer.restore.

        The points are this history's (thinned as the run went on, so maybe
        sparser than the trainer held then): what the curve showed up to there.
        ValueError for a snapshot read from a run file, which has no state.
        """
        snapshot = self._snapshots[index]
        if snapshot.state is None:
            raise ValueError(f"the snapshot at batch {snapshot.batches} holds parameters only (read from a run file)")
        points = self.points
        upto = bisect.bisect_right(points, snapshot.samples_seen, key=lambda point: point.samples_seen)
        return dataclasses.replace(snapshot.state, history=tuple(points[:upto]))

    def truncate_after(self, index: int) -> int:
        """Drop the snapshots after ``index``, and the points after it; return how many snapshots went.

        To train on from there, restore ``self.state_at(index)`` into the
        trainer (before training; the order of the two calls does not matter).
        """
        index = range(len(self._snapshots))[index]  # IndexError when out of range; negative counts from the end
        dropped = self._drop_after(index)
        self._next_at = self._due_after(self._latest)
        self._truncated_at = None if self._trainer is None else self._trainer.batches_trained
        return dropped

    def _drop_after(self, index: int) -> int:
        """Keep snapshots [0, index] (none for -1) and the points up to the last kept one."""
        dropped = len(self._snapshots) - (index + 1)
        for position in range(len(self._snapshots) - 1, index, -1):
            self._remove(position)
        self._latest = self._batches[-1] if self._batches else -1
        kept_samples = self._snapshots[-1].samples_seen if self._snapshots else -1
        while self._points and self._points[-1].samples_seen > kept_samples:
            self._points.pop()
        return dropped


def _state_bytes(state: TrainerState) -> int:
    """A state's own memory: its parameters, optimiser arrays and objects, not the (shared) order."""
    arrays = sum(value.nbytes for value in state.optimizer_state.values() if isinstance(value, np.ndarray))
    return state.params.nbytes + arrays + OBJECT_BYTES


def _largest_snapshot_bytes(trainer: Trainer) -> int:
    """What one snapshot of this trainer may come to: with Adam's two moment arrays and an order of its own."""
    params = trainer.network.params.nbytes
    return 3 * params + np.dtype(np.int64).itemsize * trainer.num_train_samples + OBJECT_BYTES
