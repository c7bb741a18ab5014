"""Frames in, an H.264 ``.mp4`` out: what ``nnviz video`` and the window's recording key write.

    with VideoRecorder(Path("train.mp4"), (1280, 720), fps=30) as video:
        for rgb in frames:           # (720, 1280, 3) uint8, row 0 on top
            video.add(rgb)
    # video.frames frames are now in train.mp4

The encoder is the ffmpeg binary that the ``imageio-ffmpeg`` package ships
(the optional extra ``nnviz[video]``): libx264, yuv420p so every player takes
it, tuned for flat colours and thin lines. yuv420p needs an even width and
height: an odd side is padded with a copy of its last pixel row or column,
never rescaled.

The frames go to a hidden temporary file beside the target (nnviz.safe_files
names and creates it), renamed to the target's name only once the video is
complete and checked, so an interrupted or failed recording never leaves half
a video under that name. An existing file is never overwritten unless
``replace``; with ``next_free_name`` a name taken meanwhile gives way to the
next free one (path-2.mp4, ...), for recordings whose name is only a
suggestion (the window's). Every failure is an NnvizError of one line that
names the target; ffmpeg's own messages go to a log, not the terminal, and
the last of them becomes the error's reason.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from nnviz import safe_files
from nnviz.errors import NnvizError

INSTALL_HINT = "video needs the imageio-ffmpeg package: pip install 'nnviz[video]'"
CODEC = "libx264"
#: Constant quality (x264's CRF: 0 lossless .. 51 worst). 18 keeps one-pixel lines and small text sharp.
CRF = 18
#: x264's speed/size trade-off. "medium" encodes 720p faster than llvmpipe draws it; a live
#: recording from a fast GPU may want "veryfast" (bigger files) so encoding never holds frames up.
PRESET = "medium"
#: "animation" suits rendered frames: flat areas, hard edges, little noise.
TUNE = "animation"
#: Seconds to wait for the check of the finished file.
CHECK_TIMEOUT = 120


class VideoRecorder:
    """Writes (H, W, 3) uint8 RGB frames, all of ``size`` = (W, H), to an H.264 mp4 at ``path``.

    ffmpeg starts when the recorder is made (a missing package or an
    unwritable folder shows at once); add() sends a frame; close() finishes
    the file and returns the number of frames in it (0: nothing was added, no
    file written). abort() (or leaving a ``with`` block by an exception)
    stops ffmpeg and removes the partial file.
    """

    def __init__(self, path: Path, size: tuple[int, int], fps: float, *, preset: str = PRESET,
                 replace: bool = False, next_free_name: bool = False):
        self.path = Path(path)  # where the video is, once close() has returned (next_free_name may change it)
        self.replace = replace
        self.next_free_name = next_free_name
        width, height = (int(side) for side in size)
        if width < 1 or height < 1:
            raise ValueError(f"video size {width}x{height}: both sides must be at least 1")
        if not (np.isfinite(fps) and fps > 0):
            raise ValueError(f"frame rate {fps}: must be above 0")
        self.size = (width, height)
        #: What the file holds: an odd side grows by one pixel (a copy of the last row or column).
        self.encoded_size = (width + width % 2, height + height % 2)
        self.fps = float(fps)
        self.preset = preset
        self.frames = 0
        self._written = False  # close() named the finished file
        self._writer = None
        self._log = None
        self._temp: Path | None = None
        try:
            import imageio_ffmpeg
        except ImportError:
            raise NnvizError(INSTALL_HINT) from None
        if not (replace or next_free_name) and os.path.lexists(self.path):
            raise safe_files.AlreadyExists(self.path)
        self._temp = safe_files.new_temp_file(self.path)
        try:
            self._start(imageio_ffmpeg)
        except BaseException:
            self._discard()
            raise

    # ------------------------------------------------------------ frames
    def add(self, rgb: np.ndarray) -> None:
        """Append one frame: (H, W, 3) uint8, row 0 at the top, exactly ``size``."""
        if self._writer is None:
            raise RuntimeError(f"{self.path}: the recording is closed")
        width, height = self.size
        if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.shape != (height, width, 3):
            got = f"{rgb.shape} {rgb.dtype}" if isinstance(rgb, np.ndarray) else type(rgb).__name__
            raise ValueError(f"a video frame must be ({height}, {width}, 3) uint8, got {got}")
        pad_x, pad_y = self.encoded_size[0] - width, self.encoded_size[1] - height
        if pad_x or pad_y:
            rgb = np.pad(rgb, ((0, pad_y), (0, pad_x), (0, 0)), mode="edge")
        try:
            self._writer.send(np.ascontiguousarray(rgb))
        except OSError:  # ffmpeg stopped: the pipe broke (disk full, killed, bad options)
            self._fail("ffmpeg stopped while writing the video")
        self.frames += 1

    def close(self) -> int:
        """Finish the video and give it its name; returns the frames written (0: no file was made)."""
        if self._writer is None:  # closed or aborted before
            return self.frames if self._written else 0
        if self.frames == 0:
            self.abort()
            return 0
        writer = self._writer
        try:
            writer.close()  # ffmpeg encodes what is left, writes the index and exits
        except BaseException:  # interrupted while it finishes: it is killed; remove what it left
            self._writer = None
            self._discard()
            raise
        self._writer = None
        found = self._count_frames()
        if found < 0:
            self._fail("ffmpeg could not finish the video")
        if found != self.frames:
            self._fail(f"the finished file holds {found} of the {self.frames} frames sent")
        self._publish()
        self._close_log()
        self._written = True
        return self.frames

    def abort(self) -> None:
        """Stop at once and remove the partial file (nothing appears under ``path``)."""
        self._discard()

    def __enter__(self) -> "VideoRecorder":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    # ----------------------------------------------------------- helpers
    def _start(self, imageio_ffmpeg) -> None:
        self._log = tempfile.TemporaryFile()
        try:
            writer = imageio_ffmpeg.write_frames(
                str(self._temp), self.encoded_size, pix_fmt_in="rgb24", pix_fmt_out="yuv420p",
                fps=self.fps, codec=CODEC, quality=None,
                macro_block_size=1,  # never rescale: the sides are made even above
                ffmpeg_log_level="error",
                output_params=["-crf", str(CRF), "-preset", self.preset, "-tune", TUNE,
                               "-movflags", "+faststart",  # the index first: plays while it downloads
                               "-f", "mp4"],  # the temporary name does not end in .mp4
            )
            with _stderr_to(self._log):  # ffmpeg inherits stderr when it starts, here
                writer.send(None)
        except (RuntimeError, OSError) as error:  # no ffmpeg binary found, or it cannot be started
            raise NnvizError(f"{self.path}: cannot start ffmpeg ({_reason(error)})") from None
        self._writer = writer

    def _count_frames(self) -> int:
        """The video frames in the finished temporary file (read without decoding); -1 if it is unreadable."""
        import imageio_ffmpeg

        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-v", "error",
                   "-progress", "pipe:1", "-i", str(self._temp), "-map", "0:v:0", "-c", "copy", "-f", "null", "-"]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=CHECK_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired):
            return -1
        counts = re.findall(r"^frame=(\d+)$", result.stdout, flags=re.M)
        if result.returncode != 0 or not counts:
            return -1
        return int(counts[-1])

    def _publish(self) -> None:
        """Give the finished file its name, unless something took that name meanwhile (see next_free_name)."""
        try:
            if self.next_free_name:
                self.path = safe_files.take_free_name(self._temp, self.path)
            else:
                safe_files.publish(self._temp, self.path, replace=self.replace)
        except safe_files.AlreadyExists:
            self._discard()
            raise NnvizError(f"{self.path}: appeared while recording; not overwriting it") from None
        except NnvizError:
            self._discard()
            raise
        self._temp = None

    def _fail(self, what: str) -> None:
        """Clean up and raise one line: what went wrong, and the last thing ffmpeg said."""
        said = self._ffmpeg_said()
        self._discard()
        raise NnvizError(f"{self.path}: {what}" + (f" (ffmpeg: {said})" if said else ""))

    def _ffmpeg_said(self) -> str:
        if self._log is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self._log.seek(0)
            lines = [line.strip() for line in self._log.read().decode(errors="replace").splitlines()]
            lines = [re.sub(r"^\[[^]]*\]\s*", "", line) for line in lines if line]  # "[out#0/mp4 @ 0x…] "
            return lines[-1] if lines else ""
        return ""

    def _discard(self) -> None:
        """Kill ffmpeg (not waiting for it to encode the rest) and delete the temporary file."""
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(_Stop):
                writer.throw(_Stop())  # write_frames kills ffmpeg on a BaseException
        if self._temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._temp)
            self._temp = None
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


class _Stop(BaseException):
    """Thrown into imageio-ffmpeg's writer to make it kill ffmpeg instead of waiting for it."""


@contextlib.contextmanager
def _stderr_to(log):
    """Point file descriptor 2 at ``log`` while a child process starts, so it inherits that.

    imageio-ffmpeg leaves ffmpeg's stderr on ours; this keeps its lines out
    of the terminal and lets errors quote them. For the milliseconds the
    child takes to start, other threads' stderr output goes there too.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no stderr to redirect: leave it as it is
        yield
        return
    try:
        os.dup2(log.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _reason(error: BaseException) -> str:
    """An exception's message on one line, without imageio-ffmpeg's appended command dump."""
    text = getattr(error, "strerror", None) or str(error).split("\n\n")[0]
    return " ".join(str(text).split()) or type(error).__name__
